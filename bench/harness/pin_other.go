//go:build !linux

package harness

import (
	"fmt"
	"runtime"
)

// PinProcess fails: CPU affinity is set with Linux's sched_setaffinity.
func PinProcess(pid, cpu int) error {
	return fmt.Errorf("pin to cpu %d: sched_setaffinity is Linux only, this is %s", cpu, runtime.GOOS)
}

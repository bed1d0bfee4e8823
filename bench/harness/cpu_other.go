//go:build !unix

package harness

import (
	"fmt"
	"runtime"
	"time"
)

// selfCPU fails: the harness reads CPU time with getrusage and /proc.
func selfCPU() (time.Duration, error) {
	return 0, fmt.Errorf("cpu time: the harness measures on Linux, this is %s", runtime.GOOS)
}

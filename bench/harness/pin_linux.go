//go:build linux

package harness

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// PinProcess sets the CPU affinity of every thread of process pid (0: this
// process) to cpu alone. Threads created later inherit it from the thread
// that creates them.
func PinProcess(pid, cpu int) error {
	dir := "/proc/self/task"
	if pid != 0 {
		dir = "/proc/" + strconv.Itoa(pid) + "/task"
	}
	var set unix.CPUSet
	set.Set(cpu)
	// Go may start threads while this runs: go over the list until it
	// stops growing.
	done := map[int]bool{}
	for range 4 {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("pin to cpu %d: %w", cpu, err)
		}
		fresh := 0
		for _, e := range ents {
			tid, err := strconv.Atoi(e.Name())
			if err != nil || done[tid] {
				continue
			}
			if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
				return fmt.Errorf("pin thread %d to cpu %d: %w", tid, cpu, err)
			}
			done[tid] = true
			fresh++
		}
		if fresh == 0 {
			return nil
		}
	}
	return nil
}

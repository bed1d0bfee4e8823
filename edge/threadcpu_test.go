//go:build linux

package edge

import "golang.org/x/sys/unix"

// threadCPU returns the calling thread's CPU time in ns
// (CLOCK_THREAD_CPUTIME_ID: what the scheduler charged it, so time spent
// preempted is not in it). The caller locks its goroutine to the thread.
func threadCPU() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

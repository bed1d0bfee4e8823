//go:build unix

package harness

import "golang.org/x/sys/unix"

// Mono returns CLOCK_MONOTONIC in ns: one clock for every process on the
// machine, so a time stamped in one process and read in another needs no
// anchoring (each process's wall-anchored clock.Now differs by its own
// anchoring error, and wall-clock slewing moves them apart during a run).
func Mono() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic("clock_gettime(CLOCK_MONOTONIC): " + err.Error()) // never on Linux
	}
	return ts.Nano()
}

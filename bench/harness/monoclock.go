package harness

import "github.com/v2x-edge/v2x-edge/edge/clock"

// NodeClockOffset returns clock.Now() − Mono() in this process: the node's
// time stamps (IngestNS, TimeNS), made with clock.Now in the bench
// process, minus it are CLOCK_MONOTONIC readings that any process can
// compare with its own Mono. Both clocks tick with CLOCK_MONOTONIC (Go's
// monotonic reading is CLOCK_MONOTONIC on Linux), so the offset is
// constant; it is read between two clock.Now calls, and the tightest of a
// few brackets is kept (its error is half that bracket, well under 1 µs).
func NodeClockOffset() int64 {
	best, off := int64(-1), int64(0)
	for range 64 {
		a := clock.Now()
		m := Mono()
		b := clock.Now()
		if w := b - a; best < 0 || w < best {
			best, off = w, a+(b-a)/2-m
		}
	}
	return off
}

package harness

import (
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/clock"
)

// TestNodeClockOffset checks that a node time stamp converted with the
// offset is a CLOCK_MONOTONIC reading: it lies between two Mono readings
// taken around it, to within a microsecond, and stays so over time.
func TestNodeClockOffset(t *testing.T) {
	off := NodeClockOffset()
	for range 3 {
		a := Mono()
		n := clock.Now() - off
		b := Mono()
		if n < a-1000 || n > b+1000 {
			t.Fatalf("node stamp %d as CLOCK_MONOTONIC is outside [%d, %d] (offset %d)", n, a, b, off)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d := NodeClockOffset() - off; d < -1000 || d > 1000 {
		t.Errorf("offset moved by %d ns in 60 ms", d)
	}
}

func TestMonoAdvances(t *testing.T) {
	a := Mono()
	time.Sleep(2 * time.Millisecond)
	if d := Mono() - a; d < int64(2*time.Millisecond) || d > int64(time.Second) {
		t.Errorf("Mono advanced %d ns over a 2 ms sleep", d)
	}
}

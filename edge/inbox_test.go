package edge

import (
	"testing"
)

// TestInboxFairShare: a producer flooding the inbox sheds its own
// measurements; an honest producer's all get through, even when the flood
// filled the inbox before the honest one's first frame.
func TestInboxFairShare(t *testing.T) {
	const limit = 1000
	in := newInbox(limit)
	flood, honest := scene(100, 1, 1), scene(20, 1, 1)
	var b batch
	var floodShed, honestShed int
	for round := range 20 {
		for range 15 { // 1500 flood measurements per batch
			n, over := in.putMeasFrom("flooder", flood)
			floodShed += n
			if n > 0 && round > 0 && !over {
				t.Errorf("round %d: flood shed without being over its share", round)
			}
		}
		n, _ := in.putMeasFrom("honest", honest)
		honestShed += n
		in.swap(&b)
		if len(b.meas) > limit+limit/2 {
			t.Fatalf("round %d: batch of %d measurements, above 1.5 × the limit", round, len(b.meas))
		}
	}
	if honestShed != 0 {
		t.Errorf("honest producer shed %d of %d measurements under another's flood", honestShed, 20*len(honest))
	}
	if floodShed == 0 {
		t.Error("the flood shed nothing")
	}
}

// TestInboxShareAllocatesNothing: putting measurements of known producers
// does not allocate.
func TestInboxShareAllocatesNothing(t *testing.T) {
	in := newInbox(1 << 16)
	ms := scene(10, 1, 1)
	var b batch
	in.putMeasFrom("a", ms)
	in.putMeasFrom("b", ms)
	in.swap(&b)
	in.swap(&b)
	allocs := testing.AllocsPerRun(100, func() {
		in.putMeasFrom("a", ms)
		in.putMeasFrom("b", ms)
		in.swap(&b)
	})
	if allocs != 0 {
		t.Errorf("%v allocs per round, want 0", allocs)
	}
}

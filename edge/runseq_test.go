package edge

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/edge/clock"
)

// TestSeqContinuesAcrossRuns: a node started after another publishes
// sequence numbers above the old run's, so that a subscriber can tell a
// new run; the boot time is exported as a metric.
func TestSeqContinuesAcrossRuns(t *testing.T) {
	before := clock.Now()
	w1, _, hub1 := testWorld(t, FusionLatest)
	const states = 5000 // 5 ms of states at a million a second
	for range states {
		w1.cycle(clock.Now())
	}
	s := hub1.Acquire()
	last := s.Seq
	hub1.Release(s)
	if first := firstSeq(before); last < first+states-1 || last > firstSeq(clock.Now())+states {
		t.Fatalf("after %d states seq %d, want boot µs (%d…) + %d", states, last, first, states-1)
	}
	if got := testutil.ToFloat64(w1.m.started); got < float64(before)/1e9 || got > float64(clock.Now())/1e9 {
		t.Errorf("v2x_node_start_time_seconds %v, want about %v", got, float64(before)/1e9)
	}
	time.Sleep(10 * time.Millisecond) // the old run lasted longer than its states' µs
	w2, _, hub2 := testWorld(t, FusionLatest)
	w2.cycle(clock.Now())
	s = hub2.Acquire()
	defer hub2.Release(s)
	if s.Seq <= last {
		t.Errorf("restarted node's first seq %d, want above the old run's last %d", s.Seq, last)
	}
}

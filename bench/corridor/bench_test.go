package corridor

import (
	"context"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/internal/natsproc"
)

// TestCorridorBench runs a short corridor on a real three-server NATS
// cluster (nats-server processes) and kills one server mid-run: every
// event the nodes published is in the stream exactly once, every node's
// states arrive after the kill, neighbours hand objects over and at
// least one vehicle keeps its id from one intersection into the next.
// The run starts 35 s into the signal cycle, so that the arterial's
// green comes 8 s in and a 25 s run has crossings to judge, with the
// stretches between the intersections empty at the start (a vehicle
// there at the start was never handed over; the first arrivals would
// take the seeds of those behind them).
func TestCorridorBench(t *testing.T) {
	natsproc.Require(t)
	if testing.Short() {
		t.Skip("skipping a 25 s corridor run in -short mode")
	}
	base := sim.Config{Seed: 11}
	base.SetDefaults()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := Bench(ctx, Config{Sim: sim.CorridorConfig{Base: base, N: 3, Spacing: sim.DefaultCorridorSpacing, PlanStart: 35 * time.Second},
		Duration: 25 * time.Second, KillNATS: 10 * time.Second, Progress: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	j := r.Judged
	t.Logf("continuity %v (%d of %d judged, %d crossings), latency %v ms, min MOTA %v; events %d published, %d in stream, %d lost, %d duplicates; handovers %d (%d dropped); states from %d nodes, %d after the kill",
		r.HandoverContinuity, j.KeptID, j.JudgedCrossings, j.Crossings, r.HandoverLatencyMS, r.MinNodeMOTA,
		r.EventsPublished, r.EventsInStream, r.EventsLost, r.Duplicates, r.Handovers, r.HandoversDropped, r.StateSubjectsSeen, r.StateSubjectsAfterKill)
	if r.EventsPublished == 0 || r.EventsLost != 0 || r.Duplicates != 0 || r.EventsInStream != r.EventsPublished {
		t.Errorf("events: %d published, %d in the stream, %d lost, %d duplicates; want all published in the stream once",
			r.EventsPublished, r.EventsInStream, r.EventsLost, r.Duplicates)
	}
	if r.StateSubjectsSeen != 3 || r.StateSubjectsAfterKill != 3 {
		t.Errorf("states of %d nodes, %d after the kill; want 3 and 3", r.StateSubjectsSeen, r.StateSubjectsAfterKill)
	}
	if r.Handovers == 0 || j.JudgedCrossings < 4 || r.HandoverContinuity < 0.75 {
		t.Errorf("%d handovers published; %d of %d judged crossings kept their id; want handovers, 4 or more crossings, continuity 0.75 or more",
			r.Handovers, j.KeptID, j.JudgedCrossings)
	}
	if r.MinNodeMOTA < 0.8 {
		t.Errorf("min node MOTA %v, want at least 0.8 even on a loaded machine", r.MinNodeMOTA)
	}
}

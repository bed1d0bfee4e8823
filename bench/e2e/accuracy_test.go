//go:build !race

// The accuracy judgement runs in real time and needs the tracker at full
// speed, so it is left out of -race builds; `make test` runs it without.

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/feed"
)

// TestAccuracyAgainstGroundTruth runs the node with the tracker, fed by the
// default scenario, and judges its state the way v2x-sim -evaluate does.
func TestAccuracyAgainstGroundTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 20 s of simulated traffic in real time")
	}
	s, dial := startNodeAndSim(t, 11)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := dial()
	var opts feed.Options
	live, err := eval.Attach(ctx, c, s, &opts, eval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var st feed.Stats
	if err := feed.Run(ctx, c, s, opts, &st); err != nil {
		t.Fatal(err)
	}
	r, err := live.Finish()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mota %.3f rmse %.3f m (best single source %s %.3f m, ratio %.2f) id switches %d false %d missed %d over %d frames",
		r.MOTA, r.RMSE, r.BestSingleSource, r.BestSingleSourceRMSE, r.RMSERatio, r.IDSwitches, r.FalseTracks, r.Missed, r.Frames)
	if r.Frames < 50 {
		t.Fatalf("only %d frames judged", r.Frames)
	}
	if r.MOTA < 0.95 {
		t.Errorf("MOTA %.3f, want >= 0.95", r.MOTA)
	}
	if r.BestSingleSourceRMSE == 0 || r.RMSE > 0.7*r.BestSingleSourceRMSE {
		t.Errorf("fused RMSE %.3f m, want <= 0.7 × best single source %.3f m", r.RMSE, r.BestSingleSourceRMSE)
	}
}

//go:build !race

// The accuracy judgement runs in real time and needs the tracker at full
// speed, so it is left out of -race builds; `make test` runs it without.

package e2e

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/shadow"
	"github.com/v2x-edge/v2x-edge/edge"
)

// TestAccuracyAgainstGroundTruth runs the node with the tracker, fed by the
// default scenario, and judges its state the way v2x-sim -evaluate does:
// MOTA, and the fused RMSE against the same tracker fed by each source
// alone (shadow nodes), on the objects that source shares with another.
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
	// The baseline: the same tracker fed by each source alone.
	shadows, err := shadow.Start(ctx, live, s, edge.DefaultConfig(), &opts)
	if err != nil {
		t.Fatal(err)
	}
	defer shadows.Close()
	var st feed.Stats
	if err := feed.Run(ctx, c, s, opts, &st); err != nil {
		t.Fatal(err)
	}
	r, err := live.Finish()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mota %.3f rmse %.3f m, over objects seen by two or more sources %.3f m; tracked single sources %v, fused on the same %v: worst ratio %.2f (%s); raw best single source %s %.3f m; id switches %d false %d missed %d over %d frames",
		r.MOTA, r.RMSE, r.MultiSourceRMSE, r.SourceTrackedRMSE, r.SourceTrackedFusedRMSE, r.RMSERatioTracked, r.BestSingleTracked,
		r.BestSingleSource, r.BestSingleSourceRMSE, r.IDSwitches, r.FalseTracks, r.Missed, r.Frames)
	if r.Frames < 50 {
		t.Fatalf("only %d frames judged", r.Frames)
	}
	// The goals (issue 15: MOTA >= 0.95, ratio <= 0.75) are not met yet:
	// over 20 unseen seeds the default scenario's worst ratio was 0.92 and
	// its median 0.89 (README, "Fusion accuracy"). They are judged with
	// V2X_ACCURACY_GOALS=1; by default the test guards against a
	// regression: MOTA >= 0.93 and a ratio <= 0.95, so that fusion must
	// still beat every single source it shares objects with.
	minMOTA, maxRatio := 0.93, 0.95
	if os.Getenv("V2X_ACCURACY_GOALS") != "" {
		minMOTA, maxRatio = 0.95, 0.75
	}
	if r.MOTA < minMOTA {
		t.Errorf("MOTA %.3f, want >= %.2f", r.MOTA, minMOTA)
	}
	// Against the same tracker fed by one source alone, on the objects
	// that source shares with another, same frames (bench/eval/tracked.go).
	if r.BestSingleTracked == "" || r.RMSERatioTracked > maxRatio {
		t.Errorf("fused RMSE %.2f × the tracked single source %q (%.3f m) on the objects they share, want <= %.2f (per source: %v)",
			r.RMSERatioTracked, r.BestSingleTracked, r.BestSingleTrackedRMSE, maxRatio, r.SourceTrackedRatio)
	}
}

package edge

import (
	"flag"
	"slices"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge/track"
)

var (
	accSeeds   = flag.Int("acc-seeds", 0, "TestAccuracySim: seeds to judge from -acc-first (0: skip)")
	accFirst   = flag.Int64("acc-first", 3000, "TestAccuracySim: first seed")
	accDur     = flag.Duration("acc-duration", 30*time.Second, "TestAccuracySim: simulated time per seed")
	accVariant = flag.String("acc-variant", "default", "TestAccuracySim: default, dense, clock (camera clocks ±2 s), drop (20 % of camera frames) or reorder (30 % late)")
)

// TestAccuracySim judges the tracker as v2x-sim -sweep does, seed by seed,
// but on simulated time (simRun: ingest and the fusion loop without the
// wall clock), so that the figures do not move with the machine's load:
// for developing the tracker on seeds apart from those it is judged on.
// Run with -acc-seeds N [-acc-first S] [-acc-variant V]; it logs one line
// per seed and the minimum and median.
func TestAccuracySim(t *testing.T) {
	if *accSeeds == 0 {
		t.Skip("run with -acc-seeds N")
	}
	var motas []float64
	var missed, fp, sw int
	for sd := *accFirst; sd < *accFirst+int64(*accSeeds); sd++ {
		scfg, reorder := sim.Config{Seed: sd}, 0.0
		switch *accVariant {
		case "default":
		case "dense":
			scfg.Dense = true
		case "clock":
			scfg.CameraClockOffsetMax = 2 * time.Second
		case "drop":
			scfg.CameraDropRate = 0.2
		case "reorder":
			reorder = 0.3
		default:
			t.Fatalf("-acc-variant %q", *accVariant)
		}
		r := simRun(t, scfg, *accDur, reorder, track.Config{})
		t.Logf("seed %d: MOTA %.4f missed %d false %d (near truth %d) switches %d RMSE %.3f frames %d", sd, r.MOTA, r.Missed, r.FalseTracks, r.FalseNearTruth, r.IDSwitches, r.RMSE, r.Frames)
		motas = append(motas, r.MOTA)
		missed, fp, sw = missed+r.Missed, fp+r.FalseTracks, sw+r.IDSwitches
	}
	t.Logf("%s, %d seeds from %d: MOTA min %.4f median %.4f; missed %d false %d switches %d", *accVariant, len(motas), *accFirst, slices.Min(motas), median(motas), missed, fp, sw)
}

package edge

import (
	"flag"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge/track"
)

// oosmSimRun runs a simulator scene through ingest and the fusion loop on
// simulated time (as simTrustRun, no wall clock: the same seed gives the
// same result), with a share of BSM and camera frames held back by 20 to
// 150 ms as v2x-sim -reorder does, and judges the fused state.
func oosmSimRun(t testing.TB, seed int64, dur time.Duration, reorder float64, tcfg track.Config) eval.Result {
	t.Helper()
	scfg := sim.Config{Seed: seed}
	if *oosmWhite {
		scfg.CameraNoise = sim.CameraNoiseWhite
	}
	if *oosmMatched { // the filter told the truth about white cameras: no inflation, no bias term
		tcfg.CorrelationInflation, tcfg.DetectionBiasVar = 1, -1
	}
	return simRun(t, scfg, dur, reorder, tcfg)
}

// simRun runs the scenario scfg through ingest and the fusion loop on
// simulated time for dur, with a share reorder of BSM and camera frames
// held back by 20 to 150 ms, and judges the fused state.
func simRun(t testing.TB, scfg sim.Config, dur time.Duration, reorder float64, tcfg track.Config) eval.Result {
	t.Helper()
	seed := scfg.Seed
	cfg := DefaultConfig()
	m := newMetrics()
	in := newInbox(cfg.InboxSize)
	h := newHub(0, m.bc.hub)
	w := newWorld(newFusionConfig(&cfg), slog.New(slog.NewTextHandler(io.Discard, nil)), &m.fusion, in, h,
		newTrackFuser(tcfg, cfg.Trust))
	scfg.SetDefaults()
	s, err := sim.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	const base = int64(1_800_000_000e9)
	var now int64
	w.now = func() int64 { return now }
	env := ingestEnv{maxFuture: cfg.MaxFuture, maxClockSkew: cfg.MaxClockSkew, in: in, m: m}
	srcs := newSimSources(s, env)
	rng := rand.New(rand.NewPCG(uint64(seed), 15))
	type heldOut struct {
		at time.Duration
		o  sim.Output
	}
	var held []heldOut
	send := func(o *sim.Output, at time.Duration) { srcs.ingest(o, base, base+int64(at)) }
	ev := eval.New(s, eval.Options{Name: "main"})
	var outs []sim.Output
	var truth []sim.TruthObject
	for s.Now() < dur {
		s.Step(10 * time.Millisecond)
		now = base + int64(s.Now())
		for i := 0; i < len(held); { // held frames now due, oldest first
			if held[i].at <= s.Now() {
				send(&held[i].o, held[i].at)
				held = slices.Delete(held, i, i+1)
				continue
			}
			i++
		}
		for _, o := range s.Due(outs[:0]) {
			if reorder > 0 && (o.Type == sim.MsgBSM || o.Type == sim.MsgObjectList) && rng.Float64() < reorder {
				held = append(held, heldOut{at: o.SendAt + 20*time.Millisecond + time.Duration(rng.Int64N(int64(130*time.Millisecond))), o: o})
				continue
			}
			send(&o, o.SendAt)
		}
		w.cycle(now)
		truth = s.Truth(truth[:0])
		ev.AddTruth(now, truth)
		snap := h.Acquire()
		ev.AddState(snap.TimeNS, snap.Objects)
		h.Release(snap)
	}
	return ev.Result()
}

var oosmSeeds = flag.Int("oosm-seeds", 0, "TestOOSMExactVersusApproximate: seeds to compare from -oosm-first (0: skip)")
var oosmFirst = flag.Int64("oosm-first", 6000, "TestOOSMExactVersusApproximate: first seed")
var oosmWhite = flag.Bool("oosm-white", false, "TestOOSMExactVersusApproximate: white-noise cameras (-camera-noise white)")
var oosmMatched = flag.Bool("oosm-matched", false, "TestOOSMExactVersusApproximate: CorrelationInflation 1, DetectionBiasVar none")
var oosmDur = flag.Duration("oosm-duration", 20*time.Second, "TestOOSMExactVersusApproximate: simulated time per seed")

// TestOOSMExactVersusApproximate compares, seed by seed on simulated time
// (deterministic), exact out-of-sequence updates against approximate
// retrodiction at -reorder 0, 0.3 and 0.5. Run with -oosm-seeds N; it
// logs one line per seed and variant and the paired medians.
func TestOOSMExactVersusApproximate(t *testing.T) {
	if *oosmSeeds == 0 {
		t.Skip("run with -oosm-seeds N")
	}
	for _, r := range []float64{0, 0.3, 0.5} {
		var dm, dr, ds, dmiss []float64
		var am, xm, ar, xr []float64
		for sd := *oosmFirst; sd < *oosmFirst+int64(*oosmSeeds); sd++ {
			a := oosmSimRun(t, sd, *oosmDur, r, track.Config{})
			x := oosmSimRun(t, sd, *oosmDur, r, track.Config{ExactOOSM: true})
			t.Logf("reorder %.1f seed %d: approximate MOTA %.4f RMSE %.4f switches %d missed %d false %d | exact MOTA %.4f RMSE %.4f switches %d missed %d false %d",
				r, sd, a.MOTA, a.RMSE, a.IDSwitches, a.Missed, a.FalseTracks, x.MOTA, x.RMSE, x.IDSwitches, x.Missed, x.FalseTracks)
			dm = append(dm, x.MOTA-a.MOTA)
			dr = append(dr, x.RMSE-a.RMSE)
			ds = append(ds, float64(x.IDSwitches-a.IDSwitches))
			dmiss = append(dmiss, float64(x.Missed-a.Missed))
			am, xm, ar, xr = append(am, a.MOTA), append(xm, x.MOTA), append(ar, a.RMSE), append(xr, x.RMSE)
		}
		t.Logf("reorder %.1f, %d seeds: MOTA approximate median %.4f min %.4f, exact median %.4f min %.4f; RMSE approximate median %.4f, exact %.4f; paired exact-approximate medians: MOTA %+.4f, RMSE %+.4f m, id switches %+.1f, missed %+.1f; exact RMSE lower on %d/%d, MOTA higher on %d/%d",
			r, len(dm), median(am), slices.Min(am), median(xm), slices.Min(xm), median(ar), median(xr), median(dm), median(dr), median(ds), median(dmiss), countIf(dr, func(v float64) bool { return v < 0 }), len(dr), countIf(dm, func(v float64) bool { return v > 0 }), len(dm))
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func countIf(v []float64, f func(float64) bool) int {
	n := 0
	for _, x := range v {
		if f(x) {
			n++
		}
	}
	return n
}

package edge

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/edge/trust"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// simTrustRun feeds a clean simulator run (every source honest) through
// the node's ingest and fusion loop on simulated time, as fast as the
// machine goes: measurements carry their true capture time and arrive at
// their send time, the fusion loop folds every 10 ms. It returns the
// misbehaviour findings logged (every one is against an honest source).
func simTrustRun(t testing.TB, seed int64, dur time.Duration, noSensorInfo bool, tc trust.Config) ([]string, eval.Result) {
	return simTrustRunOpts(t, seed, dur, simTrustOpts{noSensorInfo: noSensorInfo}, tc)
}

// simTrustOpts varies the clean run: cameras that declare nothing, dense
// traffic, and a share of BSM and object-list frames that arrive 20-150 ms
// late (as v2x-sim -reorder holds them back).
type simTrustOpts struct {
	noSensorInfo bool
	dense        bool
	reorder      float64
	// stall is, per source and 10-ms step, the chance that the source's
	// frames are held up for 100-600 ms and then arrive in one burst (a
	// producer or a stream starved of CPU on a loaded machine); cycle,
	// when not 0, is the fusion loop's period (cycles coalesced under
	// load) instead of 10 ms.
	stall float64
	cycle time.Duration
}

func simTrustRunOpts(t testing.TB, seed int64, dur time.Duration, o2 simTrustOpts, tc trust.Config) ([]string, eval.Result) {
	noSensorInfo := o2.noSensorInfo
	t.Helper()
	cfg := DefaultConfig()
	cfg.Trust = tc
	m := newMetrics()
	in := newInbox(cfg.InboxSize)
	var logBuf bytes.Buffer
	h := newHub(0, m.bc.hub)
	w := newWorld(newFusionConfig(&cfg), slog.New(slog.NewTextHandler(&logBuf, nil)), &m.fusion, in, h,
		newTrackFuser(track.Config{}, cfg.Trust))
	scfg := sim.Config{Seed: seed, NoSensorInfo: noSensorInfo, Dense: o2.dense}
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
	ev := eval.New(s, eval.Options{})
	var outs []sim.Output
	var truth []sim.TruthObject
	type heldOut struct {
		at int64
		o  sim.Output
	}
	var held []heldOut
	rng := rand.New(rand.NewPCG(uint64(seed), 13))
	stalledTill := map[uint32]int64{} // source -> node time its stall ends
	var stalled []heldOut
	var lastCycle int64
	for s.Now() < dur {
		s.Step(10 * time.Millisecond)
		now = base + int64(s.Now())
		outs = s.Due(outs[:0])
		fresh := len(outs)
		k := 0
		for _, h := range held { // held back earlier, due now: after the fresh ones
			if h.at <= now {
				outs = append(outs, h.o)
			} else {
				held[k] = h
				k++
			}
		}
		held = held[:k]
		if o2.stall > 0 {
			for _, src := range s.Sources() {
				if stalledTill[src.ID] <= now && rng.Float64() < o2.stall {
					stalledTill[src.ID] = now + int64(100*time.Millisecond) + rng.Int64N(int64(500*time.Millisecond))
				}
			}
			k := 0
			for _, h := range stalled { // a stall over: its frames arrive now, in order
				if stalledTill[h.o.Source] <= now {
					srcs.ingest(&h.o, base, now)
				} else {
					stalled[k] = h
					k++
				}
			}
			stalled = stalled[:k]
		}
		for i, o := range outs {
			arrive := base + int64(o.SendAt)
			if o2.stall > 0 && stalledTill[o.Source] > now {
				if o.Type == sim.MsgObjectList {
					o.Objects.Objects = slices.Clone(o.Objects.Objects)
				}
				stalled = append(stalled, heldOut{at: now, o: o})
				continue
			}
			if i < fresh && o2.reorder > 0 && (o.Type == sim.MsgBSM || o.Type == sim.MsgObjectList) && rng.Float64() < o2.reorder {
				o.Objects.Objects = slices.Clone(o.Objects.Objects)
				held = append(held, heldOut{at: now + int64(20*time.Millisecond) + rng.Int64N(int64(130*time.Millisecond)), o: o})
				continue
			}
			if i >= fresh {
				arrive = now
			}
			srcs.ingest(&o, base, arrive)
		}
		if o2.cycle > 0 && now-lastCycle < int64(o2.cycle) {
			continue
		}
		lastCycle = now
		w.cycle(now)
		truth = s.Truth(truth[:0])
		ev.AddTruth(now, truth)
		snap := h.Acquire()
		ev.AddState(snap.TimeNS, snap.Objects)
		h.Release(snap)
	}
	if got := testutil.ToFloat64(m.fusion.measuresIn); got < 1000 {
		t.Fatalf("seed %d: %v measurements folded in", seed, got)
	}
	if got := testutil.ToFloat64(m.fusion.sensorsDeclared); !tc.Disabled && (got == 0) != noSensorInfo {
		t.Fatalf("seed %d: %v declarations", seed, got)
	}
	var found []string
	for _, l := range strings.Split(logBuf.String(), "\n") {
		if strings.Contains(l, "misbehaviour") {
			found = append(found, fmt.Sprintf("seed %d: %s", seed, l))
		}
	}
	return found, ev.Result()
}

type discardRejects struct{}

func (discardRejects) reject(*wire.Header, wire.Code, string) {}

var simTrustSeeds = flag.Int("simtrust-seeds", 0, "TestSimTrustClean: run this many seeds from -simtrust-first (0: a short default)")
var simTrustFirst = flag.Int64("simtrust-first", 1, "TestSimTrustClean: first seed")
var simTrustNoDecl = flag.Bool("simtrust-no-sensor-info", false, "TestSimTrustClean: the cameras declare nothing")
var simTrustDense = flag.Bool("simtrust-dense", false, "TestSimTrustClean: dense traffic (v2x-sim -dense)")
var simTrustReorder = flag.Float64("simtrust-reorder", 0, "TestSimTrustClean: share of BSM and object-list frames arriving 20-150 ms late (v2x-sim -reorder)")
var simTrustStall = flag.Float64("simtrust-stall", 0, "TestSimTrustClean: per source and 10-ms step, the chance its frames are held up 100-600 ms and arrive in a burst")
var simTrustCycle = flag.Duration("simtrust-cycle", 0, "TestSimTrustClean: the fusion loop's period (0: every 10-ms step)")
var simTrustDur = flag.Duration("simtrust-duration", 20*time.Second, "TestSimTrustClean: simulated time per seed")
var simTrustRadius = flag.Float64("simtrust-ghost-radius", 0, "TestSimTrustClean: trust.ghost_radius (0: default)")

// Honest simulated traffic, run through ingest and the fusion loop with
// the checks on and the cameras declaring their fields of view, gives no
// finding: the declared sectors and the ghost support radius take no
// honest vehicle for a ghost; and the checks cost no MOTA on average
// against the same run with them off (the same seed gives the same
// measurements at the same simulated times). A few seeds by default;
// -simtrust-seeds N for a sweep.
func TestSimTrustClean(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 3 × 20 s")
	}
	n, first := 3, int64(1001)
	if *simTrustSeeds > 0 {
		n, first = *simTrustSeeds, *simTrustFirst
	}
	var sum, worst float64
	for seed := first; seed < first+int64(n); seed++ {
		o := simTrustOpts{noSensorInfo: *simTrustNoDecl, dense: *simTrustDense, reorder: *simTrustReorder, stall: *simTrustStall, cycle: *simTrustCycle}
		found, on := simTrustRunOpts(t, seed, *simTrustDur, o, trust.Config{GhostRadius: *simTrustRadius})
		for _, f := range found {
			t.Error(f)
		}
		_, off := simTrustRunOpts(t, seed, *simTrustDur, o, trust.Config{Disabled: true})
		d := on.MOTA - off.MOTA
		sum += d
		worst = min(worst, d)
		t.Logf("seed %d: MOTA %.4f with the checks, %.4f without (%+.4f)", seed, on.MOTA, off.MOTA, d)
	}
	t.Logf("MOTA change over %d seeds: mean %+.5f, worst %+.4f", n, sum/float64(n), worst)
	if sum/float64(n) < -0.005 {
		t.Errorf("the checks cost %.4f MOTA on average", -sum/float64(n))
	}
}

package trust

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// claim sends one moving car's BSM at t (ns), reporting sigma (m).
func (w *testWorld) claim(t int64, stream, id uint64, e, n, speed, heading, sigma float64) {
	s, c := math.Sincos(heading * math.Pi / 180)
	v := sigma * sigma
	x := track.Measurement{Kind: track.MeasSelfReport, Class: v2x.ClassCar, Stream: stream, LocalID: id, TimeNS: t, IngestNS: t,
		Lat: n * 1e-5, Lon: e * 1e-5, Speed: float32(speed), Heading: float32(heading), VelE: float32(speed * s), VelN: float32(speed * c),
		Length: 4.5, Width: 1.8, CovEE: float32(v), CovNN: float32(v)}
	w.frame([]track.Measurement{x}, []float64{e}, []float64{n})
}

// findings drains the monitor and counts the findings of check c, and
// those against stream.
func findings(m *Monitor, c wire.Check, stream uint64) (ofCheck, against int) {
	for _, f := range m.Drain() {
		if f.Action != wire.EventFinding {
			continue
		}
		if f.Check == c {
			ofCheck++
		}
		if f.Stream == stream {
			against++
		}
	}
	return ofCheck, against
}

// One source sending a real vehicle's motion under three more ids at
// fixed offsets (none on the same track, bodies apart): a Sybil within
// 500 ms; two honest vehicles of another source driving side by side in
// lockstep, each with its own GNSS noise, draw nothing.
func TestLockstepSybil(t *testing.T) {
	w := newTestWorld()
	rng := rand.New(rand.NewPCG(1, 2))
	offsets := [][2]float64{{0, 0}, {2.5, 1.5}, {-2.5, 2}, {0.5, -3}}
	var foundAt int64 = -1
	for k := 0; k < 60; k++ {
		now := int64(k) * 100e6
		n0 := -100 + 10*float64(k)/10
		// honest: two cars side by side, 3.5 m apart, 10 m/s north, own noise
		w.claim(now+3e6, 1, 100, 1.75+0.6*rng.NormFloat64(), n0+0.6*rng.NormFloat64(), 10, 0, 1)
		w.claim(now+3e6, 1, 101, 5.25+0.6*rng.NormFloat64(), n0+0.6*rng.NormFloat64(), 10, 0, 1)
		if k >= 20 { // the forger starts at 2 s, 40 m east
			for i, o := range offsets {
				w.claim(now, 9, uint64(900+i), 40+o[0], n0+o[1], 10, 0, 1)
			}
		}
		w.m.Cycle(w.tr.Tracks(), now+5e6)
		c, honest := findings(w.m, wire.CheckSybil, 1)
		if honest > 0 {
			t.Fatalf("finding against the honest source at %d ms", now/1e6)
		}
		if c > 0 && foundAt < 0 {
			foundAt = now - 20*100e6
		}
	}
	if foundAt < 0 || foundAt > 500e6 {
		t.Fatalf("Sybil found %d ms after the first forged message, want within 500", foundAt/1e6)
	}
}

// A camera sees one car, which reports itself; another source claims a
// second car 1.5-2.5 m off it, moving alike, which no camera sees: a
// Sybil against that source, none against the car.
func TestCameraSeesOneSybil(t *testing.T) {
	for _, off := range [][2]float64{{1.5, 0.5}, {0.3, 2.5}, {-1.2, -1.9}} {
		w := newTestWorld()
		t0 := w.learn(0)
		found := false
		for k := 1; k <= 15; k++ {
			now := t0 + int64(k)*100e6
			e, n := 15.0, 30+float64(k) // 10 m/s north, between the roads the camera learned
			w.camera(now, [2]float64{e, n})
			w.claim(now+2e6, 1, 7, e+0.3, n-0.2, 10, 0, 1)
			w.claim(now+4e6, 9, 99, e+off[0], n+off[1], 10, 0, 1)
			w.m.Cycle(w.tr.Tracks(), now+5e6)
			c, honest := findings(w.m, wire.CheckSybil, 1)
			if honest > 0 {
				t.Fatalf("offset %v: finding against the honest car", off)
			}
			found = found || c > 0
			if c := w.shownNear(e, n, 6, now+5e6); c > 1 {
				t.Fatalf("offset %v: %d objects shown where the camera sees one", off, c)
			}
		}
		if !found {
			t.Errorf("offset %v: no Sybil finding", off)
		}
	}
}

// Two honest cars of different sources queued bumper to bumper, moving
// slowly, with GNSS noise: no overlap finding. Two claims of different
// sources on the same ground, driving, no camera about: an overlap
// finding.
func TestOverlap(t *testing.T) {
	w := newTestWorld()
	rng := rand.New(rand.NewPCG(3, 4))
	for k := 0; k < 100; k++ {
		now := int64(k) * 100e6
		n0 := -60 + 0.2*float64(k)/10
		w.claim(now+1e6, 1, 1, 1.75+0.5*rng.NormFloat64(), n0+0.5*rng.NormFloat64(), 2, 0, 1)
		w.claim(now+2e6, 2, 2, 1.75+0.5*rng.NormFloat64(), n0-7+0.5*rng.NormFloat64(), 2, 0, 1)
		w.m.Cycle(w.tr.Tracks(), now+5e6)
	}
	if fs := w.m.Drain(); len(fs) > 0 {
		t.Fatalf("findings against a queue: %+v", fs[0])
	}
	found := false
	for k := 100; k < 130 && !found; k++ {
		now := int64(k) * 100e6
		e := 20 + 0.5*float64(k-100) // 5 m/s east
		w.claim(now+1e6, 3, 30, e, 60, 5, 90, 0.3)
		w.claim(now+2e6, 4, 40, e+4, 60.2, 5, 90, 0.3) // 4 m ahead, same lane: bodies 4.5 m long
		w.m.Cycle(w.tr.Tracks(), now+5e6)
		c, _ := findings(w.m, wire.CheckOverlap, 0)
		found = c > 0
	}
	if !found {
		t.Fatal("no overlap finding for two bodies on the same ground")
	}
}

// The heading check: a car driving east while reporting north is found;
// a car turning through 90° with noisy positions, and one creeping at
// 1 m/s with a random heading, are not.
func TestHeadingCheck(t *testing.T) {
	w := newTestWorld()
	rng := rand.New(rand.NewPCG(5, 6))
	var wrong, honest int
	for k := 0; k < 50; k++ {
		now := int64(k) * 100e6
		// east at 10 m/s, claiming heading 0
		w.claim(now, 1, 1, -80+float64(k), 40, 10, 0, 1)
		// a left turn on a 20 m radius at 8 m/s (115° in 5 s), noisy
		a := float64(k) * 0.1 * 8 / 20 // rad
		w.claim(now+1e6, 2, 2, -20+20*math.Cos(a)+0.6*rng.NormFloat64(), -60+20*math.Sin(a)+0.6*rng.NormFloat64(), 8, math.Mod(360-a*180/math.Pi, 360), 1)
		// creeping at 1 m/s, heading noise
		w.claim(now+2e6, 3, 3, 60, -40+0.1*float64(k), 1, 360*rng.Float64(), 1)
		w.m.Cycle(w.tr.Tracks(), now+5e6)
		for _, f := range w.m.Drain() {
			if f.Check != wire.CheckHeading || f.Action != wire.EventFinding {
				continue
			}
			if f.Stream == 1 {
				wrong++
			} else {
				honest++
			}
		}
	}
	if wrong == 0 {
		t.Error("no heading finding for a car driving sideways to its heading")
	}
	if honest > 0 {
		t.Errorf("%d heading findings against honest cars", honest)
	}
}

// shownNear counts the tracks shown within r of e, n.
func (w *testWorld) shownNear(e, n, r float64, now int64) int {
	ts, c := w.tr.Tracks(), 0
	for i := range ts {
		te, tn := ts[i].Position()
		if ts[i].Confirmed && math.Hypot(te-e, tn-n) < r && w.m.Broadcastable(&ts[i], now) {
			c++
		}
	}
	return c
}

// BenchmarkPairPass measures one pass of the pair checks (lockstep over
// the claims, then the track pairs) over 200 self-reported vehicles on a
// 10 m grid, as BenchmarkFusionCycleTrust's scene has them; the fusion
// loop runs a pass every 50 ms.
func BenchmarkPairPass(b *testing.B) {
	w := newTestWorld()
	var now int64
	for k := 0; k < 5; k++ {
		now = int64(k) * 100e6
		for i := 0; i < 200; i++ {
			w.claim(now, 1, uint64(1000+i), float64(i%20)*10-100, float64(i/20)*10-100+float64(k), 10, 0, 1)
		}
		w.m.Cycle(w.tr.Tracks(), now)
	}
	w.m.Drain()
	ts := w.tr.Tracks()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.m.pairAt, w.m.selfNew = 0, true
		w.m.pairs(ts, now)
	}
}

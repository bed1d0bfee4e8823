package trust

import (
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// world is a monitor with a tracker, fed frame by frame as the fusion
// loop does.
type testWorld struct {
	m  *Monitor
	tr *track.Tracker
}

func newTestWorld() *testWorld { return &testWorld{m: New(Config{}), tr: track.New(track.Config{})} }

func (w *testWorld) frame(ms []track.Measurement, e, n []float64) {
	k := 0
	for i := range ms {
		if w.m.Measurement(&ms[i], e[i], n[i]) {
			ms[k], e[k], n[k] = ms[i], e[i], n[i]
			k++
		}
	}
	if k == 0 {
		return
	}
	w.tr.UpdateFrame(ms[:k], e[:k], n[:k])
	w.m.AfterFrame(w.tr.Tracks(), ms[:k], w.tr.Matched())
}

// camera sends one camera frame at t (ns) with detections at the points.
func (w *testWorld) camera(t int64, pts ...[2]float64) {
	ms := make([]track.Measurement, len(pts))
	e, n := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		ms[i] = track.Measurement{Kind: track.MeasDetection, Class: v2x.ClassCar, Stream: 50, Source: 1, LocalID: uint64(i + 1),
			TimeNS: t, IngestNS: t, Lat: p[1] * 1e-5, Lon: p[0] * 1e-5, CovEE: 0.25, CovNN: 0.25}
		e[i], n[i] = p[0], p[1]
	}
	w.frame(ms, e, n)
}

// selfReport sends one stopped car's BSM at t.
func (w *testWorld) selfReport(t int64, stream, id uint64, e, n float64) {
	x := track.Measurement{Kind: track.MeasSelfReport, Class: v2x.ClassCar, Stream: stream, LocalID: id, TimeNS: t, IngestNS: t,
		Lat: n*1e-5 + float64(t%7)*1e-9, Lon: e * 1e-5, CovEE: 2.25, CovNN: 2.25}
	w.frame([]track.Measurement{x}, []float64{e}, []float64{n})
}

// learn lets the camera see traffic along three roads of its sector
// (bearings -40°, 0°, 40° from north, out to 80 m) for 3 s.
func (w *testWorld) learn(t0 int64) int64 {
	t := t0
	for k := 0; k < 30; k++ {
		t += 100e6
		var pts [][2]float64
		for _, deg := range []float64{-40, 0, 40} {
			for r := float64(5 + k%5); r < 80; r += 5 {
				s, c := math.Sincos(deg * math.Pi / 180)
				pts = append(pts, [2]float64{r * s, r * c})
			}
		}
		w.camera(t, pts...)
		w.m.Cycle(w.tr.Tracks(), t)
	}
	return t
}

func (w *testWorld) shown(id uint64, now int64) bool {
	ts := w.tr.Tracks()
	for i := range ts {
		if ts[i].VehicleID == id && ts[i].Confirmed && w.m.Broadcastable(&ts[i], now) {
			return true
		}
	}
	return false
}

func TestGhostInsideCoverage(t *testing.T) {
	w := newTestWorld()
	t0 := w.learn(0)
	var found int64
	for k := 1; k <= 10; k++ {
		now := t0 + int64(k)*100e6
		w.selfReport(now, 2, 0xdead, 25, 55) // between the roads, seen by no camera
		w.camera(now, [2]float64{0, 30})     // the camera keeps running
		w.m.Cycle(w.tr.Tracks(), now)
		if w.shown(0xdead, now) {
			t.Fatalf("ghost shown %d ms after its first BSM", k*100-100)
		}
		for _, f := range w.m.Drain() {
			if f.Check == wire.CheckGhost && found == 0 {
				found = now - (t0 + 100e6)
			}
		}
	}
	if found == 0 || found > 500e6 {
		t.Fatalf("ghost found after %d ms, want within 500", found/1e6)
	}
}

func TestHonestVehicleSeenByCameraIsNoGhost(t *testing.T) {
	w := newTestWorld()
	t0 := w.learn(0)
	shownAt := int64(-1)
	for k := 1; k <= 20; k++ {
		now := t0 + int64(k)*100e6
		w.selfReport(now, 2, 7, 20, 40)
		if k%3 != 0 { // the camera misses it every third frame
			w.camera(now+10e6, [2]float64{20.3, 39.8})
		}
		w.m.Cycle(w.tr.Tracks(), now+10e6)
		if shownAt < 0 && w.shown(7, now+10e6) {
			shownAt = int64(k)
		}
	}
	if fs := w.m.Drain(); len(fs) > 0 {
		t.Fatalf("findings against an honest vehicle: %+v", fs)
	}
	if shownAt != 1 {
		t.Errorf("honest vehicle first shown at frame %d, want 1 (confirmed by the camera at once)", shownAt)
	}
}

// A vehicle outside camera coverage is held while the camera's coverage
// is being learned (trust.coverage_learn after its first detection) and
// shown once it is learned.
func TestSelfReportOutsideCoverageShown(t *testing.T) {
	w := newTestWorld()
	t0 := w.learn(0)
	w.selfReport(t0+100e6, 2, 7, 0, -60) // behind the camera
	w.m.Cycle(w.tr.Tracks(), t0+100e6)
	if w.shown(7, t0+100e6) {
		t.Fatal("a self-report shown while the coverage is being learned")
	}
	now := t0 + 100e6
	for ; now < int64(w.m.Config().CoverageLearn)+200e6; now += 100e6 {
		w.camera(now, [2]float64{0, 30})
		w.selfReport(now+1e6, 2, 7, 0, -60)
		w.m.Cycle(w.tr.Tracks(), now+1e6)
	}
	if !w.shown(7, now) {
		t.Fatal("a vehicle outside camera coverage was held after the coverage was learned")
	}
}

// Two ids of one vehicle, from two sources, updating the same track at
// the same place with the same motion: Sybil. From one source, two ids
// sharing a track are not judged here (two honest cars in a queue whose
// GNSS biases pull them together do that for seconds): the lockstep
// check judges one source's ids on their claims (TestLockstepSybil).
func TestSybil(t *testing.T) {
	for _, tc := range []struct {
		name    string
		streams [2]uint64
		want    bool
	}{
		{"two sources", [2]uint64{3, 4}, true},
		{"one source", [2]uint64{3, 3}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newTestWorld()
			var found bool
			for k := 0; k < 20 && !found; k++ {
				now := int64(k) * 100e6
				for i, id := range []uint64{10, 11} {
					n := -100 + 10*float64(k)/10 + 0.1*float64(i)
					x := track.Measurement{Kind: track.MeasSelfReport, Class: v2x.ClassCar, Stream: tc.streams[i], LocalID: id, TimeNS: now + int64(i)*20e6,
						IngestNS: now + int64(i)*20e6, Lat: n * 1e-5, Lon: float64(k) * 1e-9, Speed: 10, VelN: 10, CovEE: 2.25, CovNN: 2.25}
					w.frame([]track.Measurement{x}, []float64{3.5}, []float64{n})
				}
				for _, f := range w.m.Drain() {
					found = found || f.Check == wire.CheckSybil && f.LocalID == 11 && f.Stream == tc.streams[1] && f.Value >= sybilRepeats
				}
			}
			if found != tc.want {
				t.Fatalf("Sybil found %v, want %v", found, tc.want)
			}
		})
	}
}

package trust

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// A camera at the origin looking north, 90° wide, 2 to 80 m.
var northSector = Sector{Heading: 0, Opening: 90, Range: 80, MinRange: 2}

func TestSectorContains(t *testing.T) {
	full := Sector{E: 10, N: 10, Opening: 360, Range: 20}
	for _, tc := range []struct {
		name   string
		s      Sector
		e, n   float64
		margin float64
		want   bool
	}{
		{"on the axis", northSector, 0, 40, 0, true},
		{"on the axis, 5 m margin", northSector, 0, 40, 5, true},
		{"behind", northSector, 0, -10, 0, false},
		{"beyond the range", northSector, 0, 81, 0, false},
		{"4 m inside the range, 5 m margin", northSector, 0, 76, 5, false},
		{"in the blind zone", northSector, 0, 1.5, 0, false},
		{"just inside the left edge", northSector, -27, 28, 0, true},
		{"just outside the left edge", northSector, -29, 28, 0, false},
		// 2 m from the edge line (45°): inside, but not with 3 m of margin.
		{"2 m inside the right edge, 3 m margin", northSector, 40 - 2*math.Sqrt2, 40, 3, false},
		{"2 m inside the right edge, 1 m margin", northSector, 40 - 2*math.Sqrt2, 40, 1, true},
		{"1 m outside the right edge, within 2 m", northSector, 40 + math.Sqrt2, 40, -2, true},
		{"3 m outside the right edge, within 2 m", northSector, 40 + 3*math.Sqrt2, 40, -2, false},
		{"rotated: east-facing camera sees east", Sector{Heading: 90, Opening: 60, Range: 50}, 30, 5, 0, true},
		{"rotated: east-facing camera does not see north", Sector{Heading: 90, Opening: 60, Range: 50}, 5, 30, 0, false},
		{"wrapping heading 350° sees 10°", Sector{Heading: 350, Opening: 60, Range: 50}, 30 * math.Sin(10*math.Pi/180), 30 * math.Cos(10*math.Pi/180), 0, true},
		{"full circle", full, 10, -5, 0, true},
		{"full circle, margin past the range", full, 10, -5, 6, false},
		{"wide 270°, behind-left", Sector{Heading: 0, Opening: 270, Range: 50}, -20, -10, 0, true},
		{"wide 270°, behind-right gap", Sector{Heading: 0, Opening: 270, Range: 50}, 10, -20, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := prepare(tc.s)
			if got := p.contains(tc.e, tc.n, tc.margin); got != tc.want {
				t.Errorf("contains(%.2f, %.2f, margin %v) = %v, want %v", tc.e, tc.n, tc.margin, got, tc.want)
			}
		})
	}
}

// The simulator's cameras declare exactly their fields of view: the
// declared sector, with no margin, contains the points sim.Covered says a
// camera sees, and no others (away from the edges, where float32 rounding
// of the declaration decides).
func TestSimDeclarationsAreTrueFieldsOfView(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		cfg := sim.Config{Seed: seed, Cameras: 12}
		cfg.SetDefaults()
		s, err := sim.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var outs []sim.Output
		decls := map[uint32]sim.Output{}
		for step := 0; step < 4 && len(decls) < len(s.Cameras()); step++ {
			s.Step(100 * time.Millisecond)
			for _, o := range s.Due(outs[:0]) {
				if o.Type == sim.MsgSensorInfo {
					decls[o.Source] = o
				}
			}
		}
		for _, c := range s.Cameras() {
			o, ok := decls[c.Source]
			if !ok {
				t.Fatalf("seed %d: camera %d declared nothing", seed, c.Source)
			}
			si := o.Sensor
			if si.SensorID != c.Source || math.Abs(float64(si.Heading)-c.Facing) > 1e-3 || math.Abs(float64(si.Opening)-c.FOV) > 1e-3 ||
				math.Abs(float64(si.Range)-c.Range) > 1e-3 {
				t.Fatalf("seed %d camera %d: declared %+v, is %+v", seed, c.Source, si, c)
			}
			p := prepare(Sector{E: c.E, N: c.N, Heading: float64(si.Heading), Opening: float64(si.Opening), Range: float64(si.Range), MinRange: float64(si.MinRange)})
			r := rand.New(rand.NewPCG(uint64(seed), uint64(c.Source)))
			for range 2000 {
				e, n := c.E+(2*r.Float64()-1)*110, c.N+(2*r.Float64()-1)*110
				in, out := p.contains(e, n, 0.01), !p.contains(e, n, -0.01)
				if tc := sim.Covered([]sim.Camera{c}, e, n); (in && !tc) || (out && tc) {
					t.Fatalf("seed %d camera %d: at %.2f, %.2f declared inside %v, outside %v; sees %v", seed, c.Source, e, n, in, out, tc)
				}
			}
		}
	}
}

// declaredWorld is a test world whose camera (stream 50, source 1) at
// the origin declared northSector; it keeps sending a detection at 0, 30
// so that it runs. No traffic teaches it any coverage.
func declaredWorld(t *testing.T) (*testWorld, int64) {
	t.Helper()
	w := newTestWorld()
	if !w.m.DeclareSensor(50, 1, northSector, 1e9) {
		t.Fatal("declaration refused")
	}
	now := int64(1e9)
	for k := 0; k < 12; k++ { // running for AppearanceSettle: a claim that appears inside is judged at once
		now += 100e6
		w.camera(now, [2]float64{0, 30})
		w.m.Cycle(w.tr.Tracks(), now)
	}
	return w, now
}

// declaredWorldHeard is declaredWorld with a stopped vehicle (stream, id)
// reporting at e, n from the camera's first frame on: it was heard before
// the camera ran long enough for it to appear inside, with a bus at
// (0, 40), on its line of sight, in each of the camera's frames.
func declaredWorldHeard(t *testing.T, stream, id uint64, e, n float64) (*testWorld, int64) {
	t.Helper()
	w := newTestWorld()
	if !w.m.DeclareSensor(50, 1, northSector, 1e9) {
		t.Fatal("declaration refused")
	}
	now := int64(1e9)
	for k := 0; k < 12; k++ {
		now += 100e6
		bus := track.Measurement{Kind: track.MeasDetection, Class: v2x.ClassBus, Stream: 50, Source: 1, LocalID: 99,
			TimeNS: now, IngestNS: now, Lat: 40e-5, CovEE: 0.25, CovNN: 0.25, Length: 12, Width: 2.5, VelN: 0.01}
		w.frame([]track.Measurement{bus}, []float64{0}, []float64{40})
		w.selfReport(now, stream, id, e, n)
		w.m.Cycle(w.tr.Tracks(), now)
	}
	if f := w.m.Drain(); len(f) != 0 {
		t.Fatalf("findings while the camera starts: %+v", f)
	}
	return w, now
}

// With a declared sector, a ghost is found within 500 ms of its first BSM
// and never shown, although no traffic ever passed where it stands and the
// camera's coverage is not learned; a claim outside the sector is neither
// found nor held.
func TestDeclaredCoverageFindsGhostAtOnce(t *testing.T) {
	w, t0 := declaredWorld(t)
	var found int64
	for k := 1; k <= 10; k++ {
		now := t0 + int64(k)*100e6
		w.selfReport(now, 2, 0xdead, 20, 60) // inside the sector, nobody there
		w.selfReport(now, 3, 0xbeef, 0, -40) // behind the camera
		w.camera(now, [2]float64{0, 30})     // the camera keeps running
		w.m.Cycle(w.tr.Tracks(), now)
		if w.shown(0xdead, now) {
			t.Fatalf("ghost shown %d ms after its first BSM", k*100-100)
		}
		for _, f := range w.m.Drain() {
			switch {
			case f.Check == wire.CheckGhost && f.LocalID == 0xdead && found == 0:
				found = now - (t0 + 100e6)
			case f.Check != wire.CheckNone && f.LocalID == 0xbeef:
				t.Fatalf("finding %v against the vehicle outside the sector", f.Check)
			}
		}
	}
	if found == 0 || found > 500e6 {
		t.Fatalf("ghost found after %d ms, want within 500", found/1e6)
	}
	if !w.shown(0xbeef, t0+11*100e6) {
		t.Error("the vehicle outside every sector is held")
	}
}

// A claim inside the sector but nearer its edge than its uncertainty,
// that came in from outside (as honest vehicles do), is not judged (its
// centre may lie outside, unseen), and it is held; one that appeared
// there (its id's first claim inside the sector) is judged like any other
// claim inside, within 500 ms.
func TestDeclaredCoverageEdge(t *testing.T) {
	for _, tc := range []struct {
		name   string
		from   float64 // north of the camera, metres, of the first claim: it then moves to 79 m, 1 m inside the range
		ghost  bool
		within int64
	}{
		{"came in from outside", 85, false, 0},
		{"appeared at the edge", 79, true, 500e6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, t0 := declaredWorld(t)
			var found int64
			for k := 1; k <= 20; k++ {
				now := t0 + int64(k)*100e6
				n := max(79, tc.from-float64(k-1)) // 10 m/s until it stops at 79 m
				w.selfReport(now, 2, 0x51de, 0, n)
				w.camera(now, [2]float64{0, 30})
				w.m.Cycle(w.tr.Tracks(), now)
				if tc.from <= 80 && w.shown(0x51de, now) { // (outside, it is shown, and stays so)
					t.Fatal("a claim at the sector's edge was shown before a camera confirmed it")
				}
				for _, f := range w.m.Drain() {
					if f.Check == wire.CheckGhost && found == 0 {
						found = now - (t0 + 100e6)
					}
				}
			}
			switch {
			case !tc.ghost && found != 0:
				t.Fatalf("a claim 1 m inside the sector's range that came in from outside was judged a ghost after %d ms", found/1e6)
			case tc.ghost && (found == 0 || found > tc.within):
				t.Fatalf("ghost at the edge found after %d ms, want within %d", found/1e6, tc.within/1e6)
			}
		})
	}
}

// A camera whose declaration stops holding (its stream silent) covers
// nothing: the ghost check needs a running camera.
func TestDeclaredCoverageNeedsRunningCamera(t *testing.T) {
	w, t0 := declaredWorld(t)
	for k := 1; k <= 10; k++ {
		now := t0 + 2e9 + int64(k)*100e6 // the camera fell silent at t0
		w.selfReport(now, 2, 0xdead, 20, 60)
		w.m.Cycle(w.tr.Tracks(), now)
		for _, f := range w.m.Drain() {
			if f.Check == wire.CheckGhost {
				t.Fatal("ghost finding with no camera running")
			}
		}
	}
}

// A camera whose detections fall outside its declared sector (it looks
// elsewhere) loses its declaration: the sector covers nothing, and
// vehicles claimed in it are not taken for ghosts.
func TestDeclarationContradictedByDetections(t *testing.T) {
	w := newTestWorld()
	w.m.DeclareSensor(50, 1, northSector, 1e9)
	now := int64(1e9)
	for k := 0; k < 30; k++ { // it sees traffic in the south
		now += 100e6
		w.camera(now, [2]float64{0, -30}, [2]float64{10, -50})
		w.m.Cycle(w.tr.Tracks(), now)
	}
	cm := &w.m.cov.cams[0]
	if cm.declBelieved() {
		t.Fatalf("declaration still believed after %d detections outside it", cm.declOut)
	}
	if w.m.cov.declaredCovers(0, 40, 1, now, int64(time.Second)) {
		t.Error("a disbelieved declaration still covers")
	}
	// Declaring anew (say, after the camera was re-aimed) is believed again.
	w.m.DeclareSensor(50, 1, Sector{Heading: 180, Opening: 90, Range: 80}, now)
	w.camera(now+100e6, [2]float64{0, -30})
	if !w.m.cov.declaredCovers(0, -40, 1, now+100e6, int64(time.Second)) {
		t.Error("a new declaration that agrees with the detections does not cover")
	}
}

// Honest detections near the edges of the declared sector (their noise
// puts some just outside) do not discredit it.
func TestDeclarationKeptWithNoisyEdgeDetections(t *testing.T) {
	w := newTestWorld()
	w.m.DeclareSensor(50, 1, northSector, 1e9)
	r := rand.New(rand.NewPCG(1, 2))
	now := int64(1e9)
	for k := 0; k < 200; k++ {
		now += 50e6
		// objects on the left edge and at the range, with 0.5 m noise
		w.camera(now, [2]float64{-28 + 0.5*r.NormFloat64(), 28 + 0.5*r.NormFloat64()}, [2]float64{0.5 * r.NormFloat64(), 79.5 + 0.5*r.NormFloat64()})
	}
	if cm := &w.m.cov.cams[0]; !cm.declBelieved() {
		t.Fatalf("declaration disbelieved: %d in, %d out", cm.declIn, cm.declOut)
	}
}

// Reproject moves declared sectors with the reference frame.
func TestDeclaredSectorReproject(t *testing.T) {
	w, now := declaredWorld(t)
	w.m.Reset()
	w.m.Reproject(func(e, n float64) (float64, float64) { return e + 100, n - 50 }) // the new origin is 100 m west, 50 m north
	w.camera(now+100e6, [2]float64{100, -20})
	if !w.m.cov.declaredCovers(100, -10, 1, now+100e6, int64(time.Second)) {
		t.Error("moved sector does not cover its new place")
	}
	if w.m.cov.declaredCovers(0, 40, 1, now+100e6, int64(time.Second)) {
		t.Error("moved sector still covers its old place")
	}
}

// The ghost support counts a detection by its own position, not its
// cell's: a stopped car 10.6 m from a claimed one, in a cell that reaches
// within the support radius, does not support it; one 6 m away does.
func TestGhostSupportByDistance(t *testing.T) {
	c := newCoverage(4)
	cm := c.camera(50, 1, 1e9)
	c.mark(cm, 7.5, 57.5, 0, 0, 1e9, 1e9, 0.25, 0, 0.25, 0)
	if got := c.newestNear(0, 50, 7.25, 0, 0, ghostSpeedTol); got != 0 {
		t.Errorf("a detection 10.6 m away supports a claim within 7.25 m (at %d)", got)
	}
	c.mark(cm, 3, 55, 0, 0, 2e9, 2e9, 0.25, 0, 0.25, 0)
	if got := c.newestNear(0, 50, 7.25, 0, 0, ghostSpeedTol); got != 2e9 {
		t.Errorf("a detection 5.8 m away does not support a claim within 7.25 m (%d)", got)
	}
	if got := c.newestNear(0, 50, 7.25, 10, 0, ghostSpeedTol); got != 0 {
		t.Errorf("a stopped detection supports a claim moving at 10 m/s (%d)", got)
	}
}

// The checks with declared sectors allocate nothing per cycle.
func TestDeclaredCoverageAllocs(t *testing.T) {
	w, t0 := declaredWorld(t)
	for k := 1; k <= 5; k++ {
		w.selfReport(t0+int64(k)*100e6, 2, 7, 10, 40)
	}
	ts := w.tr.Tracks()
	now := t0 + 600e6
	x := track.Measurement{Kind: track.MeasDetection, Stream: 50, Source: 1, LocalID: 1, TimeNS: now, IngestNS: now, CovEE: 0.25, CovNN: 0.25}
	if n := testing.AllocsPerRun(100, func() {
		now += 10e6
		x.TimeNS, x.IngestNS = now, now
		w.m.Measurement(&x, 0, 30)
		w.m.Cycle(ts, now)
		for i := range ts {
			w.m.Broadcastable(&ts[i], now)
		}
		w.m.Drain()
	}); n != 0 {
		t.Errorf("%v allocs per cycle, want 0", n)
	}
}

// The ghost timer of a claim runs on the frames of the cameras whose
// declared sectors hold it: while the one camera that sees it is held up
// (its frames stalled on the way), another camera's frames arriving do
// not make the claim a ghost; once that camera's frames arrive again
// without it, it is found within 500 ms of them.
func TestGhostTimerPerCamera(t *testing.T) {
	w := newTestWorld()
	south := Sector{Heading: 180, Opening: 90, Range: 80, MinRange: 2}
	if !w.m.DeclareSensor(50, 1, northSector, 1e9) || !w.m.DeclareSensor(50, 2, south, 1e9) {
		t.Fatal("declaration refused")
	}
	southCam := func(now int64) {
		x := track.Measurement{Kind: track.MeasDetection, Class: v2x.ClassCar, Stream: 50, Source: 2, LocalID: 1,
			TimeNS: now, IngestNS: now, Lat: -30e-5, CovEE: 0.25, CovNN: 0.25}
		w.frame([]track.Measurement{x}, []float64{0}, []float64{-30})
	}
	now := int64(1e9)
	for k := 0; k < 12; k++ { // both cameras running, settled
		now += 100e6
		w.camera(now, [2]float64{0, 30})
		southCam(now)
		w.m.Cycle(w.tr.Tracks(), now)
	}
	found := func() bool {
		for _, f := range w.m.Drain() {
			if f.Check == wire.CheckGhost && f.LocalID == 0xdead {
				return true
			}
		}
		return false
	}
	// The north camera stalls for 900 ms (its last frame arrived at now);
	// the claim appears in its sector only, the south camera goes on.
	for k := 1; k <= 9; k++ {
		t := now + int64(k)*100e6
		w.selfReport(t, 2, 0xdead, 20, 60)
		southCam(t)
		w.m.Cycle(w.tr.Tracks(), t)
	}
	if found() {
		t.Fatal("a claim only a stalled camera sees found a ghost on another camera's frames")
	}
	// Its frames come again (without the claim): found within 500 ms.
	resumed := now + 1000e6
	var at int64
	for k := 0; k <= 8 && at == 0; k++ {
		t := resumed + int64(k)*100e6
		w.selfReport(t, 2, 0xdead, 20, 60)
		w.camera(t, [2]float64{0, 30})
		southCam(t)
		w.m.Cycle(w.tr.Tracks(), t)
		if found() {
			at = t
		}
	}
	if at == 0 || at-resumed > 500e6 {
		t.Fatalf("ghost found %d ms after the camera resumed, want within 500", (at-resumed)/1e6)
	}
}

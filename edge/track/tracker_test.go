package track

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// truthObj moves in a straight line at constant velocity.
type truthObj struct {
	class  v2x.Class
	x, y   float64
	vx, vy float64
}

func (o truthObj) at(t float64) (float64, float64) { return o.x + o.vx*t, o.y + o.vy*t }

// scenario generates noisy camera frames and BSMs of straight-moving
// objects; it is the tracker's unit-test world (the simulator in
// bench/sim is the full one).
type scenario struct {
	objs  []truthObj
	rng   *rand.Rand
	sigma float64
}

func newScenario(n int, seed uint64) *scenario {
	s := &scenario{rng: rand.New(rand.NewPCG(seed, 1)), sigma: 0.5}
	for i := 0; i < n; i++ {
		c := v2x.ClassCar
		speed := 8 + float64((i/20)%3)*3 // one speed per row: nobody overtakes in a lane
		if i%5 == 4 {
			c, speed = v2x.ClassPedestrian, 1.3
		}
		// Rows of traffic 12 m apart, alternating direction, so that no
		// two objects cross; pedestrians walk across at walking pace.
		a := 0.0
		if (i/20)%2 == 1 {
			a = math.Pi
		}
		if c == v2x.ClassPedestrian {
			a = math.Pi / 2
		}
		s.objs = append(s.objs, truthObj{class: c, x: float64(i%20)*25 - 250, y: float64(i/20)*12 - 60,
			vx: speed * math.Cos(a), vy: speed * math.Sin(a)})
	}
	return s
}

// frame returns one camera's measurements of every object at time t (s).
func (s *scenario) frame(source uint32, t float64, dst []Measurement, e, n []float64) ([]Measurement, []float64, []float64) {
	dst, e, n = dst[:0], e[:0], n[:0]
	ns := int64(t * 1e9)
	v := s.sigma * s.sigma
	for i, o := range s.objs {
		x, y := o.at(t)
		mx, my := x+s.rng.NormFloat64()*s.sigma, y+s.rng.NormFloat64()*s.sigma
		dst = append(dst, Measurement{Kind: MeasDetection, Class: o.class, Stream: uint64(source), Source: source,
			LocalID: uint64(i), TimeNS: ns, IngestNS: ns, Lat: 22.5, Lon: 114,
			VelE: float32(o.vx + s.rng.NormFloat64()*0.5), VelN: float32(o.vy + s.rng.NormFloat64()*0.5),
			Length: 4.5, Width: 1.8, CovEE: float32(v), CovNN: float32(v)})
		e, n = append(e, mx), append(n, my)
	}
	return dst, e, n
}

// rmse matches each confirmed track to its nearest true object at time t.
func rmse(tr *Tracker, s *scenario, t float64) (float64, int) {
	var sum float64
	var k int
	for i := range tr.tracks {
		trk := &tr.tracks[i]
		if !trk.Confirmed {
			continue
		}
		e, n, _, _ := trk.At(int64(t * 1e9))
		best := math.Inf(1)
		for _, o := range s.objs {
			x, y := o.at(t)
			best = min(best, (x-e)*(x-e)+(y-n)*(y-n))
		}
		sum += best
		k++
	}
	return math.Sqrt(sum / float64(max(k, 1))), k
}

func TestTwoCamerasBeatOne(t *testing.T) {
	const objects = 40
	s := newScenario(objects, 1)
	tr := New(Config{})
	var ms []Measurement
	var e, n []float64
	ids := map[uint64]uint32{} // truth index -> fused id, after settling
	switches := 0
	var sumErr float64
	var cnt int
	for step := 0; step < 100; step++ { // 5 s, two cameras at 10 Hz, offset by 50 ms
		for cam := uint32(1); cam <= 2; cam++ {
			tm := float64(step)*0.05 + float64(cam-1)*0.025
			ms, e, n = s.frame(cam, tm, ms, e, n)
			tr.UpdateFrame(ms, e, n)
			tr.Expire(int64(tm * 1e9))
		}
		tm := float64(step)*0.05 + 0.025
		if step > 20 {
			r, k := rmse(tr, s, tm)
			if k != objects {
				for _, trk := range tr.tracks {
					e, n := trk.Position()
					t.Logf("track %d %s conf %v hits %d pos %.1f,%.1f P %.2f born %d", trk.ID, trk.Class, trk.Confirmed, trk.Hits, e, n, trk.f.P[0][0], trk.BornNS/1e6)
				}
				t.Fatalf("t=%.2f: %d confirmed tracks for %d objects", tm, k, objects)
			}
			sumErr += r * r
			cnt++
			for i, o := range s.objs {
				x, y := o.at(tm)
				for j := range tr.tracks {
					te, tn := tr.tracks[j].Position()
					if tr.tracks[j].Confirmed && math.Hypot(te-x, tn-y) < 1.5 {
						if prev, ok := ids[uint64(i)]; ok && prev != tr.tracks[j].ID {
							switches++
						}
						ids[uint64(i)] = tr.tracks[j].ID
						break
					}
				}
			}
		}
	}
	fused := math.Sqrt(sumErr / float64(cnt))
	if fused > 0.7*s.sigma {
		t.Errorf("fused RMSE %.3f m, want <= 0.7 × single-camera %.3f m", fused, s.sigma)
	}
	if switches != 0 {
		t.Errorf("%d id switches", switches)
	}
	t.Logf("fused RMSE %.3f m vs camera sigma %.3f m", fused, s.sigma)
}

func TestBSMCreatesConfirmedTrackAndKeepsIDAcrossTemporaryIDChange(t *testing.T) {
	tr := New(Config{})
	bsm := func(vid uint64, ts float64) {
		x := 10 * ts
		m := []Measurement{{Kind: MeasSelfReport, Class: v2x.ClassCar, Stream: 9, Source: 1, LocalID: vid,
			TimeNS: int64(ts * 1e9), Lat: 22.5, Lon: 114, VelE: 10, Speed: 10, Heading: 90, CovEE: 1, CovNN: 1}}
		tr.UpdateFrame(m, []float64{x}, []float64{0})
	}
	bsm(0xAAAA, 0)
	if len(tr.tracks) != 1 || !tr.tracks[0].Confirmed || tr.tracks[0].VehicleID != 0xAAAA {
		t.Fatalf("a BSM should create one confirmed track carrying its vehicle id: %+v", tr.tracks)
	}
	id := tr.tracks[0].ID
	for i := 1; i <= 10; i++ {
		bsm(0xAAAA, float64(i)*0.1)
	}
	for i := 11; i <= 20; i++ { // the sender changes its temporary id
		bsm(0xBBBB, float64(i)*0.1)
	}
	if len(tr.tracks) != 1 || tr.tracks[0].ID != id || tr.tracks[0].VehicleID != 0xBBBB {
		t.Fatalf("after a temporary-id change: %d tracks, id %d (want %d), vehicle %x", len(tr.tracks), tr.tracks[0].ID, id, tr.tracks[0].VehicleID)
	}
}

func TestOutOfSequenceWithinLagUsedBeyondDropped(t *testing.T) {
	tr := New(Config{})
	m := func(ts float64, x float64) {
		tr.UpdateFrame([]Measurement{{Kind: MeasSelfReport, Class: v2x.ClassCar, Stream: 1, Source: 1, LocalID: 1,
			TimeNS: int64(ts * 1e9), VelE: 10, CovEE: 1, CovNN: 1}}, []float64{x}, []float64{0})
	}
	for i := 0; i <= 10; i++ {
		m(float64(i)*0.1, float64(i))
	}
	m(0.9, 9)    // 100 ms late: used
	m(0.55, 5.5) // 450 ms late: dropped
	if tr.C.OutOfSequence != 1 || tr.C.TooOld != 1 {
		t.Fatalf("out of sequence %d (want 1), too old %d (want 1)", tr.C.OutOfSequence, tr.C.TooOld)
	}
	if x, _ := tr.tracks[0].Position(); math.Abs(x-10) > 0.5 {
		t.Errorf("track at %.2f after a consistent late measurement, want ~10", x)
	}
}

func TestClassGatingKeepsPedestrianApartFromCar(t *testing.T) {
	tr := New(Config{})
	for i := 0; i < 10; i++ {
		ts := int64(i) * 100e6
		ms := []Measurement{
			{Kind: MeasDetection, Class: v2x.ClassCar, Stream: 1, Source: 1, LocalID: 1, TimeNS: ts, CovEE: 0.25, CovNN: 0.25},
			{Kind: MeasDetection, Class: v2x.ClassPedestrian, Stream: 1, Source: 1, LocalID: 2, TimeNS: ts, CovEE: 0.25, CovNN: 0.25},
		}
		tr.UpdateFrame(ms, []float64{0, 0.8}, []float64{0, 0})
	}
	classes := map[v2x.Class]int{}
	for _, t := range tr.tracks {
		classes[t.Class]++
	}
	if len(tr.tracks) != 2 || classes[v2x.ClassCar] != 1 || classes[v2x.ClassPedestrian] != 1 {
		t.Fatalf("tracks by class %v, want one car and one pedestrian", classes)
	}
}

func TestExpireTentativeAndConfirmed(t *testing.T) {
	tr := New(Config{})
	tr.UpdateFrame([]Measurement{{Kind: MeasDetection, Class: v2x.ClassCar, Stream: 1, Source: 1, LocalID: 1, TimeNS: 0}}, []float64{0}, []float64{0})
	tr.Expire(200e6)
	if len(tr.tracks) != 1 {
		t.Fatal("tentative track expired too early")
	}
	tr.Expire(400e6)
	if len(tr.tracks) != 0 {
		t.Fatal("tentative track not expired after 400 ms")
	}
}

func TestUpdateFrameAllocatesNothing(t *testing.T) {
	s := newScenario(200, 3)
	tr := New(Config{})
	var ms []Measurement
	var e, n []float64
	tm := 0.0
	step := func() {
		for cam := uint32(1); cam <= 6; cam++ {
			tm += 0.0167
			ms, e, n = s.frame(cam, tm, ms, e, n)
			tr.UpdateFrame(ms, e, n)
		}
		tr.Expire(int64(tm * 1e9))
	}
	for i := 0; i < 20; i++ {
		step()
	}
	if a := testing.AllocsPerRun(20, step); a != 0 {
		t.Fatalf("tracker allocates %v times per six frames of 200 objects", a)
	}
}

// BenchmarkUpdateFrame measures one sensor frame against a world of the
// given size seen by the given number of sources (round robin).
func BenchmarkUpdateFrame(b *testing.B) {
	for _, objects := range []int{50, 200, 1000} {
		for _, sources := range []int{1, 6, 12} {
			b.Run(fmt.Sprintf("objects=%d,sources=%d", objects, sources), func(b *testing.B) {
				s := newScenario(objects, 5)
				tr := New(Config{})
				var ms []Measurement
				var e, n []float64
				tm := 0.0
				frames := make([][]Measurement, sources)
				for i := 0; i < 30; i++ {
					for c := 0; c < sources; c++ {
						tm += 0.1 / float64(sources)
						ms, e, n = s.frame(uint32(c+1), tm, ms, e, n)
						tr.UpdateFrame(ms, e, n)
						frames[c] = slices.Clone(ms)
					}
				}
				lat := make([]int64, 0, b.N)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					c := i % sources
					tm += 0.1 / float64(sources)
					ms, e, n = s.frame(uint32(c+1), tm, ms, e, n)
					t0 := nowNS()
					tr.UpdateFrame(ms, e, n)
					tr.Expire(int64(tm * 1e9))
					lat = append(lat, nowNS()-t0)
				}
				b.StopTimer()
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2]), "p50-ns")
				b.ReportMetric(float64(lat[len(lat)*99/100]), "p99-ns")
			})
		}
	}
}

func TestLatLonLocalConversionIsExactEnough(t *testing.T) {
	f := geo.NewFrame(22.5431, 114.0579, 0)
	tr := New(Config{})
	for _, p := range [][2]float64{{0, 0}, {150, -80}, {-1900, 600}} {
		lat, lon, _ := f.FromENU(p[0], p[1], 0)
		trk := Track{anchorLat: lat, anchorLon: lon, anchorE: p[0], anchorN: p[1]}
		for _, d := range [][2]float64{{3, 0}, {0, -4}, {5, 5}} {
			gl, go_ := tr.LatLon(&trk, p[0]+d[0], p[1]+d[1])
			e, n, _ := f.ToENU(gl, go_, 0)
			if err := math.Hypot(e-p[0]-d[0], n-p[1]-d[1]); err > 1e-3 {
				t.Errorf("anchor %v offset %v: %.2g m off", p, d, err)
			}
		}
	}
}

// TestDetectionBiasVar: a detection's position covariance gets the
// configured bias variance on both axes; a self-report's does not, and a
// negative setting adds nothing.
func TestDetectionBiasVar(t *testing.T) {
	for _, c := range []struct {
		name    string
		biasVar float64
		kind    MeasKind
		want    float64
	}{
		{"detection, default", 0, MeasDetection, 0.04 + 0.09},
		{"detection, set", 0.25, MeasDetection, 0.04 + 0.25},
		{"detection, off", -1, MeasDetection, 0.04},
		{"self-report", 0, MeasSelfReport, 0.04},
	} {
		tr := New(Config{DetectionBiasVar: c.biasVar})
		mm := tr.toMeas(&Measurement{Kind: c.kind, Class: v2x.ClassCar, CovEE: 0.04, CovNN: 0.04}, 0, 0)
		if math.Abs(mm.Rpos[0][0]-c.want) > 1e-9 || math.Abs(mm.Rpos[1][1]-c.want) > 1e-9 || mm.Rpos[0][1] != 0 {
			t.Errorf("%s: Rpos %v, want %v on the diagonal", c.name, mm.Rpos, c.want)
		}
	}
}

package track

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// biasedCams is three cameras with known affine calibration biases
// (offset, range scale, yaw about their own positions).
var biasedCams = []struct{ e, n, offE, offN, scale, yaw float64 }{
	{-10, 10, 0.25, -0.1, 0.003, 0.0015},
	{10, -10, -0.15, 0.2, -0.002, -0.001},
	{10, 10, 0.05, 0.05, 0.001, 0.0},
}

// camBias is camera c's true bias at (e, n).
func camBias(c int, e, n float64) (float64, float64) {
	k := biasedCams[c]
	de, dn := e-k.e, n-k.n
	return k.offE + k.scale*de + k.yaw*dn, k.offN + k.scale*dn - k.yaw*de
}

// runBiased feeds tr 20 s of the scenario's objects seen by the cameras
// (each with its bias and white noise, 20 Hz, staggered by 15 ms) and
// returns the mean squared error of the confirmed tracks over the last
// 10 s.
func runBiased(t *testing.T, tr *Tracker, cams int) float64 {
	t.Helper()
	s := newScenario(20, 7)
	s.sigma = 0.3
	for i := range s.objs { // within about 150 m of the cameras, like the simulator's
		o := &s.objs[i]
		o.x, o.vx, o.vy = o.x/2, o.vx/3, o.vy/3
	}
	var ms []Measurement
	var e, n []float64
	var sum float64
	var cnt int
	for step := range 400 {
		for c := range cams {
			tm := float64(step)*0.05 + float64(c)*0.015
			ms, e, n = s.frame(uint32(c+1), tm, ms, e, n)
			for j := range ms {
				de, dn := camBias(c, e[j], n[j])
				e[j] += de
				n[j] += dn
			}
			tr.UpdateFrame(ms, e, n)
			tr.Expire(int64(tm * 1e9))
		}
		if step >= 200 {
			r, k := rmse(tr, s, float64(step)*0.05+0.045)
			sum += r * r * float64(k)
			cnt += k
		}
	}
	return sum / float64(max(cnt, 1))
}

// TestCameraBiasEstimated: cameras that see the same objects tell their
// biases apart: the estimated differences between cameras match the true
// ones within 5 cm where the cameras see objects (within 100 m), and the
// estimates' sum is near zero there (the zero-mean prior anchors their
// common part, which camera pairs cannot see). A tracker fed by one camera
// estimates nothing.
func TestCameraBiasEstimated(t *testing.T) {
	tr := New(Config{})
	runBiased(t, tr, len(biasedCams))
	be := tr.bias
	if be.n != len(biasedCams) || be.pairs == 0 {
		t.Fatalf("%d cameras, %d pairs", be.n, be.pairs)
	}
	idx := func(src uint32) int {
		for key, st := range tr.sources {
			if key.source == src {
				return be.camera(st)
			}
		}
		t.Fatalf("camera %d unknown", src)
		return -1
	}
	for _, p := range [][2]float64{{-100, -50}, {0, 0}, {90, 40}} {
		var sumE, sumN float64
		for c := range biasedCams {
			te0, tn0 := camBias(0, p[0], p[1])
			te, tn := camBias(c, p[0], p[1])
			ee0, en0 := be.bias(idx(1), p[0], p[1])
			ee, en := be.bias(idx(uint32(c+1)), p[0], p[1])
			sumE, sumN = sumE+ee, sumN+en
			if d := math.Hypot((ee-ee0)-(te-te0), (en-en0)-(tn-tn0)); d > 0.05 {
				t.Errorf("at %v: camera %d minus camera 1 estimated (%.3f, %.3f), true (%.3f, %.3f)", p, c+1, ee-ee0, en-en0, te-te0, tn-tn0)
			}
		}
		if math.Hypot(sumE, sumN) > 0.05 {
			t.Errorf("at %v: estimates sum to (%.3f, %.3f), want near 0", p, sumE, sumN)
		}
	}
	one := New(Config{})
	runBiased(t, one, 1)
	if one.bias.pairs != 0 || one.bias.at != 0 {
		t.Errorf("one camera: %d pairs, estimate at %d", one.bias.pairs, one.bias.at)
	}
}

// TestBesideCamera: a BSM's position covariance is multiplied by
// SelfBesideCamera only when a camera updated the track shortly before;
// detections and BSMs far from a camera's update are left alone.
func TestBesideCamera(t *testing.T) {
	for _, c := range []struct {
		name    string
		kind    MeasKind
		lastCam int64
		factor  float64
		want    float64
	}{
		{"bsm beside a camera", MeasSelfReport, 9.8e9, 0, 25},
		{"bsm, camera long ago", MeasSelfReport, 9e9, 0, 1},
		{"bsm, never a camera", MeasSelfReport, 0, 0, 1},
		{"bsm beside a camera, off", MeasSelfReport, 9.8e9, -1, 1},
		{"detection", MeasDetection, 9.8e9, 0, 1},
	} {
		tr := New(Config{SelfBesideCamera: c.factor})
		trk := &Track{LastCam: c.lastCam}
		m := &Measurement{Kind: c.kind, TimeNS: 10e9}
		mm := &meas{Rpos: [2][2]float64{{1, 0.2}, {0.2, 2}}}
		tr.besideCamera(trk, m, mm)
		if mm.Rpos != [2][2]float64{{c.want, 0.2 * c.want}, {0.2 * c.want, 2 * c.want}} {
			t.Errorf("%s: Rpos %v, want %v × the reported", c.name, mm.Rpos, c.want)
		}
	}
}

// TestLinkFirst: vehicles (and unknown objects) keep their source's link
// without a search; pedestrians and cyclists go through the assignment
// every frame.
func TestLinkFirst(t *testing.T) {
	for _, c := range []struct {
		class v2x.Class
		want  bool
	}{
		{v2x.ClassCar, true}, {v2x.ClassTruck, true}, {v2x.ClassBus, true}, {v2x.ClassMotorcycle, true},
		{v2x.ClassUnknown, true}, {v2x.ClassPedestrian, false}, {v2x.ClassBicycle, false},
	} {
		if got := linkFirst(&Measurement{Class: c.class}); got != c.want {
			t.Errorf("%s: linkFirst %v, want %v", c.class, got, c.want)
		}
	}
}

// addRef is biasEst.add as first written: the pair's 8 (or 4) regressor
// entries with their indices, every product of two computed in place.
func (be *biasEst) addRef(k, j int, e, n, de, dn, v float64) {
	if !(v > 0) || de*de+dn*dn > biasOutlierChi2*v+biasOutlierVar {
		return
	}
	w := 1 / (biasVarFactor * v)
	if j < 0 {
		w /= biasSelfDiscount
	}
	he, hn := biasRows(e, n)
	var idx [2 * biasParams]int
	var re, rn [2 * biasParams]float64
	m := 0
	for i := range biasParams {
		idx[m], re[m], rn[m] = k*biasParams+i, he[i], hn[i]
		m++
	}
	if j >= 0 {
		for i := range biasParams {
			idx[m], re[m], rn[m] = j*biasParams+i, -he[i], -hn[i]
			m++
		}
	}
	for r := range m {
		be.b[idx[r]] += w * (re[r]*de + rn[r]*dn)
		for c := range m {
			be.a[idx[r]][idx[c]] += w * (re[r]*re[c] + rn[r]*rn[c])
		}
	}
	be.pairs++
}

// TestBiasAddIsReference: add accumulates the normal equations to the bit
// as the straightforward form does, over camera pairs and camera-BSM
// pairs at random positions and offsets (outliers included).
func TestBiasAddIsReference(t *testing.T) {
	got, want := newBiasEst(), newBiasEst()
	rng := rand.New(rand.NewPCG(8, 9))
	for i := 0; i < 20000; i++ {
		k, j := rng.IntN(biasMaxCams), rng.IntN(biasMaxCams+1)-1
		if j == k {
			continue // a camera is never paired with itself
		}
		e, n := (rng.Float64()-0.5)*300, (rng.Float64()-0.5)*300
		de, dn, v := rng.NormFloat64(), rng.NormFloat64(), rng.Float64()*0.5
		got.add(k, j, e, n, de, dn, v)
		want.addRef(k, j, e, n, de, dn, v)
	}
	for r := range biasN {
		if math.Float64bits(got.b[r]) != math.Float64bits(want.b[r]) {
			t.Fatalf("b[%d] = %v, want %v", r, got.b[r], want.b[r])
		}
		for c := range biasN {
			if math.Float64bits(got.a[r][c]) != math.Float64bits(want.a[r][c]) {
				t.Fatalf("a[%d][%d] = %v, want %v", r, c, got.a[r][c], want.a[r][c])
			}
		}
	}
	if got.pairs != want.pairs || got.pairs < 10000 {
		t.Errorf("%d pairs, want %d (of which most within the outlier bound)", got.pairs, want.pairs)
	}
}

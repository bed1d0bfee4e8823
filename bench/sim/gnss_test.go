package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// axes returns an error's components along a receiver's ellipse axes, in
// units of their sigmas.
func (b *bsmState) axes(de, dn float64) (x, y float64) {
	return (de*b.sinO + dn*b.cosO) / b.major, (de*b.cosO - dn*b.sinO) / b.minor
}

// Over many receivers the error along each axis has the reported sigma.
func TestGNSSErrorSigma(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 40000
	var sx, sy, sxy float64
	for range n {
		b := newBSMState(r, 2.0)
		if b.major < b.minor || b.major < 2*gnssQualityLo || b.major > 2*gnssQualityHi*(1+gnssElongation) {
			t.Fatalf("ellipse %.2f x %.2f for sigma 2", b.major, b.minor)
		}
		x, y := b.axes(b.gnssError(r))
		sx, sy, sxy = sx+x*x, sy+y*y, sxy+x*y
	}
	if math.Abs(sx/n-1) > 0.03 || math.Abs(sy/n-1) > 0.03 || math.Abs(sxy/n) > 0.03 {
		t.Errorf("normalised variances %.3f, %.3f, covariance %.3f; want 1, 1, 0", sx/n, sy/n, sxy/n)
	}
}

// One receiver's error varies slowly: a bias with time constant gnssTau
// plus white noise.
func TestGNSSErrorCorrelation(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	b := newBSMState(r, 1)
	const n = 200000
	xs := make([]float64, n)
	for i := range xs {
		xs[i], _ = b.axes(b.gnssError(r))
	}
	corr := func(lag int) float64 {
		var s, v float64
		for i := lag; i < n; i++ {
			s += xs[i] * xs[i-lag]
		}
		for _, x := range xs {
			v += x * x
		}
		return s / float64(n-lag) / (v / n)
	}
	lagTau := int(gnssTau / bsmPeriod)
	for _, tc := range []struct {
		lag  int
		want float64
		tol  float64
	}{
		{1, gnssBias * gnssBias * gnssPhi, 0.03},
		{lagTau, gnssBias * gnssBias * math.Exp(-1), 0.12},
	} {
		if got := corr(tc.lag); math.Abs(got-tc.want) > tc.tol {
			t.Errorf("autocorrelation at %v: %.3f, want %.3f", time.Duration(tc.lag)*bsmPeriod, got, tc.want)
		}
	}
}

func TestBSMStart(t *testing.T) {
	b := &bsmState{phase: 30 * time.Millisecond}
	for _, tc := range []struct{ t, want time.Duration }{
		{0, 30 * time.Millisecond},
		{30 * time.Millisecond, 30 * time.Millisecond},
		{31 * time.Millisecond, 130 * time.Millisecond},
		{-75 * time.Millisecond, -70 * time.Millisecond},
		{5 * time.Second, 5030 * time.Millisecond},
	} {
		b.start(tc.t)
		if b.next != tc.want {
			t.Errorf("start(%v): next %v, want %v", tc.t, b.next, tc.want)
		}
	}
}

// BSMs in the running simulator: every equipped vehicle sends one every
// 100 ms with a rolling counter, its true identity, and an error that
// matches its reported accuracy.
func TestBSMs(t *testing.T) {
	s := newSim(t, func(c *Config) { c.Cameras, c.EquippedShare = 0, 1 })
	truth := map[time.Duration]map[uint64]TruthObject{}
	last := map[uint64]Output{}
	count := map[uint64]int{}
	var tr []TruthObject
	var outs []Output
	var ex, ey, n, speedErr float64
	for s.Now() < 30*time.Second {
		s.Step(tick)
		tr = s.Truth(tr[:0])
		m := map[uint64]TruthObject{}
		for _, o := range tr {
			if o.Equipped {
				m[o.VehicleID] = o
			}
		}
		truth[s.Now()] = m
		outs = s.Due(outs[:0])
		for _, o := range outs {
			if o.Type != MsgBSM {
				continue
			}
			b := o.BSM
			count[b.VehicleID]++
			if p, ok := last[b.VehicleID]; ok {
				if o.Capture-p.Capture != bsmPeriod || b.MsgCount != (p.BSM.MsgCount+1)%128 {
					t.Fatalf("vehicle %x: BSM %d at %v after %d at %v", b.VehicleID, b.MsgCount, o.Capture, p.BSM.MsgCount, p.Capture)
				}
			}
			last[b.VehicleID] = o
			// the true state at the end of the step the BSM was captured in
			stepEnd := (o.Capture + tick - 1) / tick * tick
			x, ok := truth[stepEnd][b.VehicleID]
			if !ok {
				t.Fatalf("BSM from %x, which is not an equipped vehicle", b.VehicleID)
			}
			if x.Class != b.Class || x.Length != b.Length || x.Width != b.Width {
				t.Fatalf("BSM from %x says %v %.1fx%.1f, truth %v %.1fx%.1f", b.VehicleID, b.Class, b.Length, b.Width, x.Class, x.Length, x.Width)
			}
			back := (stepEnd - o.Capture).Seconds()
			sh, ch := math.Sincos(float64(x.Heading) * math.Pi / 180)
			te, tn := x.E-float64(x.Speed)*sh*back, x.N-float64(x.Speed)*ch*back
			e, nn, _ := s.frame.ToENU(b.Lat, b.Lon, 0)
			bs := bsmState{major: float64(b.AccSemiMajor), minor: float64(b.AccSemiMinor)}
			bs.sinO, bs.cosO = math.Sincos(float64(b.AccOrientation) * math.Pi / 180)
			ax, ay := bs.axes(e-te, nn-tn)
			ex, ey, n = ex+ax*ax, ey+ay*ay, n+1
			speedErr = math.Max(speedErr, math.Abs(float64(b.Speed-x.Speed)))
			if b.Speed < 0 || b.Heading < 0 || b.Heading >= 360 || b.AccSemiMajor < b.AccSemiMinor || b.AccSemiMinor <= 0 {
				t.Fatalf("implausible BSM %+v", b)
			}
		}
		delete(truth, s.Now()-time.Second)
	}
	full := 0
	for _, c := range count {
		if c >= 250 {
			full++
		}
	}
	if full < 5 {
		t.Errorf("only %d vehicles sent BSMs for 25 s of 30", full)
	}
	t.Logf("%d vehicles, %v BSMs: normalised squared error %.2f, %.2f; speed error up to %.2f m/s", len(count), n, ex/n, ey/n, speedErr)
	// The bias is correlated over gnssTau, so few independent samples.
	if ex/n < 0.6 || ex/n > 1.5 || ey/n < 0.6 || ey/n > 1.5 {
		t.Errorf("normalised squared GNSS error %.2f, %.2f over %v BSMs; want about 1", ex/n, ey/n, n)
	}
	if speedErr > 6*bsmSpeedSigma {
		t.Errorf("speed error up to %.2f m/s", speedErr)
	}
}

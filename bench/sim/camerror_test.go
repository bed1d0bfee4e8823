package sim

import (
	"math"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// TestCameraCorrelatedErrors: under the correlated model, a detection's
// error minus the camera's bias has the random sigmas of the white model,
// its lag-one autocorrelation (100 ms) is camNoiseCorrShare·e^(-0.1 s/τ),
// and the reported covariance is optimistic by camCovReported² (the
// Mahalanobis distance of the random error doubles).
func TestCameraCorrelatedErrors(t *testing.T) {
	c := newCamera(0, 7, 0, CameraNoiseCorrelated)
	c.falseMean = 0
	f := geo.NewFrame(DefaultRefLat, DefaultRefLon, 0)
	var objs []objState
	for x := -90.0; x <= 90; x += 9 {
		for y := -90.0; y <= 90; y += 9 {
			objs = append(objs, objState{id: uint32(len(objs) + 1), class: v2x.ClassCar, e: c.E + x, n: c.N + y,
				length: 4.5, width: 1.8, height: 1.5})
		}
	}
	const frames = 400
	prev := map[uint32]float64{} // normalised radial random error of the last frame, by object
	var n, radial, tangential, maha, lagProd, lagA, lagB float64
	var biasSeen float64
	for k := range frames {
		te := time.Duration(k) * 100 * time.Millisecond
		out, _ := c.capture(te, te, objs, 0, &f)
		trueOf := map[uint32]uint32{}
		for id, tr := range c.tracks {
			if tr.last == te {
				trueOf[tr.local] = id
			}
		}
		seen := map[uint32]float64{}
		for _, d := range out.Objects.Objects {
			o := &objs[trueOf[d.LocalID]-1]
			rng, bearing, _ := c.sees(o.e, o.n)
			ue, un := math.Sincos(bearing * math.Pi / 180)
			be, bn := c.bias.at(rng, ue, un)
			biasSeen += be*be + bn*bn
			e, nn, _ := f.ToENU(d.Lat, d.Lon, 0)
			de, dn := e-o.e-be, nn-o.n-bn
			sr, st := camSigmas(rng)
			zr, zt := (de*ue+dn*un)/sr, (de*un-dn*ue)/st
			radial += zr * zr
			tangential += zt * zt
			ee, en, nnc := float64(d.CovEE), float64(d.CovEN), float64(d.CovNN)
			maha += (nnc*de*de - 2*en*de*dn + ee*dn*dn) / (ee*nnc - en*en) / 2
			n++
			id := trueOf[d.LocalID]
			if p, ok := prev[id]; ok {
				lagProd, lagA, lagB = lagProd+p*zr, lagA+p*p, lagB+zr*zr
			}
			seen[id] = zr
		}
		prev = seen
	}
	if n < 20000 {
		t.Fatalf("only %v detections", n)
	}
	if biasSeen/n < 0.001 {
		t.Errorf("mean squared bias %.4f m²: no calibration bias", biasSeen/n)
	}
	rho := camNoiseCorrShare * math.Exp(-0.1/camNoiseTau.Seconds())
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"radial", radial / n, 1},
		{"tangential", tangential / n, 1},
		{"mahalanobis/2", maha / n, 1 / (camCovReported * camCovReported)},
		{"lag-1 autocorrelation", lagProd / math.Sqrt(lagA*lagB), rho},
	} {
		if math.Abs(c.got-c.want) > 0.05*math.Max(1, c.want) {
			t.Errorf("%s %.3f, want %.3f", c.name, c.got, c.want)
		}
	}
}

// TestOcclusion: from a camera at camHeight, a 3.5 m truck 20 m away
// hides a 1.5 m car's top up to 36 m behind the camera (the sight line to
// it passes the truck below 3.5 m), not beyond, not off its line of sight,
// and never what stands in front of it.
func TestOcclusion(t *testing.T) {
	truck := occluder{rng: 20, bearing: 90, halfAngle: math.Atan2(6, 20) * 180 / math.Pi, height: 3.5}
	for _, c := range []struct {
		name         string
		rng, bearing float64
		want         bool
	}{
		{"behind", 30, 90, true},
		{"behind, near the edge", 30, 90 + 0.9*truck.halfAngle, true},
		{"beyond the shadow", 40, 90, false},
		{"beside", 30, 90 + 1.1*truck.halfAngle, false},
		{"in front", 10, 90, false},
	} {
		if got := occluded([]occluder{truck}, c.rng, c.bearing, 1.5); got != c.want {
			t.Errorf("%s: occluded %v, want %v", c.name, got, c.want)
		}
	}
}

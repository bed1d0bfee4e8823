package trust

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestDetectionsIsMeasurement: a camera frame's detections given to
// Detections leave the monitor exactly as Measurement on each in turn
// does, and keep the same detections in the same order: frames from
// several cameras and streams (one of them quarantined part of the time,
// more cameras than the coverage keeps records for), detections outside
// the grid, trucks (occluders), elongated covariances (the camera's
// apex), a declared sector, self-reports in between, and frames whose
// measurements differ in owner or arrival time.
func TestDetectionsIsMeasurement(t *testing.T) {
	a, b := New(Config{}), New(Config{})
	for _, m := range []*Monitor{a, b} {
		m.DeclareSensor(11, 1, Sector{E: 0, N: 0, Heading: 0, Opening: 90, Range: 80}, 1e9)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	now := int64(1e9)
	var fr []track.Measurement
	var e, n []float64
	for step := 0; step < 3000; step++ {
		now += int64(rng.IntN(20e6))
		if step == 1000 {
			for _, m := range []*Monitor{a, b} {
				m.find(Finding{Check: wire.CheckGhost, Stream: 12, TimeNS: now})
			}
		}
		if rng.IntN(5) == 0 { // a self-report, through Measurement on both
			x := track.Measurement{Kind: track.MeasSelfReport, Class: v2x.ClassCar, Stream: 2, Source: 2, LocalID: uint64(rng.IntN(20)),
				TimeNS: now - 15e6, IngestNS: now, Speed: float32(rng.Float64() * 15), Heading: float32(rng.Float64() * 360)}
			pe, pn := (rng.Float64()-0.5)*200, (rng.Float64()-0.5)*200
			if ga, gb := a.Measurement(&x, pe, pn), b.Measurement(&x, pe, pn); ga != gb {
				t.Fatalf("step %d: self-report kept %v and %v", step, ga, gb)
			}
			continue
		}
		stream := uint64(10 + rng.IntN(4))
		src := uint32(rng.IntN(6)) // with 4 streams, up to 24 cameras: more than maxCameras
		capture := now - int64(30e6+rng.IntN(70e6))
		fr, e, n = fr[:0], e[:0], n[:0]
		for range rng.IntN(30) {
			x := track.Measurement{Kind: track.MeasDetection, Class: v2x.ClassCar, Stream: stream, Source: src, Owner: 100 + stream,
				LocalID: uint64(rng.IntN(1000)), TimeNS: capture, IngestNS: now, VelE: float32(rng.NormFloat64() * 10),
				VelN: float32(rng.NormFloat64() * 10), Length: 4.5, Width: 1.8, CovEE: 0.1, CovNN: 0.1}
			switch rng.IntN(10) {
			case 0:
				x.Class, x.Length = v2x.ClassTruck, 12
			case 1:
				x.CovEE, x.CovEN, x.CovNN = 1.0, 0.3, 0.2
			case 2:
				if rng.IntN(20) == 0 {
					x.Owner++ // a frame whose owners differ
				}
			case 3:
				if rng.IntN(20) == 0 {
					x.IngestNS++
				}
			}
			fr = append(fr, x)
			pe, pn := (rng.Float64()-0.5)*240, (rng.Float64()-0.5)*240
			if rng.IntN(30) == 0 {
				pe = 400 // outside the grid
			}
			e, n = append(e, pe), append(n, pn)
		}
		var want []track.Measurement
		var wantE []float64
		for i := range fr {
			if a.Measurement(&fr[i], e[i], n[i]) {
				want, wantE = append(want, fr[i]), append(wantE, e[i])
			}
		}
		k := b.Detections(fr, e, n)
		if k != len(want) || k > 0 && (!reflect.DeepEqual(fr[:k], want) || !reflect.DeepEqual(e[:k], wantE)) {
			t.Fatalf("step %d: Detections kept %d of %d, Measurement %d", step, k, len(fr), len(want))
		}
		if step%10 == 0 {
			a.Cycle(nil, now)
			b.Cycle(nil, now)
		}
		if step%25 == 0 && !reflect.DeepEqual(a, b) {
			t.Fatalf("step %d: monitor after Detections differs from after Measurement", step)
		}
	}
	if a.C.Quarantined == 0 || len(a.cov.cams) != maxCameras {
		t.Errorf("scenario too tame: %d kept out, %d camera records", a.C.Quarantined, len(a.cov.cams))
	}
}

package sim

import (
	"math"
	"slices"
	"time"
)

// Floor is the information floor of the tracked accuracy ratio in a
// scenario: what an ideal fusion of independent sources could reach
// against the best of them, frame by frame, from the error model alone
// (docs/fusion.md, "How far the goal is").
type Floor struct {
	// Ratio is, over cameras with at least 50 samples, the highest of
	// sqrt(mean fused variance / mean variance of the camera alone) on the
	// (frame, object) samples it shares with another source: the
	// rmse_ratio_tracked an ideal fuser would reach if tracking smoothed
	// every source alike. NoBias is the same with every camera's
	// calibration bias known and removed (the fused side only: a camera
	// alone keeps its bias).
	Ratio, NoBias float64
	// PerCamera: the two ratios of each camera, by source name.
	PerCamera map[string][2]float64
}

// FusionFloor steps a scenario for d, sampling the scene every 100 ms
// after the judge's 2 s warm-up. A camera that sees an object contributes
// its error variance per axis: the random error (camSigmas) and, as a
// random variable independent from camera to camera, its calibration bias
// (camBias* sigmas at that range); an equipped vehicle's BSM contributes
// GNSSSigma². Detection probability and occlusion are left out (every
// camera in view detects). Fused variance is 1 / Σ 1/v over the sources.
func FusionFloor(cfg Config, d time.Duration) (Floor, error) {
	s, err := New(cfg)
	if err != nil {
		return Floor{}, err
	}
	type acc struct {
		single, fused, fusedNB float64
		n                      int
	}
	sums := make([]acc, len(s.cams))
	yaw := camBiasYawDeg * math.Pi / 180
	var outs []Output
	var in []int
	var vr, vb []float64
	for t := time.Duration(0); t < d; t += 100 * time.Millisecond {
		s.Step(100 * time.Millisecond)
		outs = s.Due(outs[:0])
		if t < 2*time.Second {
			continue
		}
		for _, o := range s.snapshot() {
			in, vr, vb = in[:0], vr[:0], vb[:0]
			for k, c := range s.cams {
				rng, _, ok := c.sees(o.e, o.n)
				if !ok {
					continue
				}
				sr, st := camSigmas(rng)
				in = append(in, k)
				vr = append(vr, (sr*sr+st*st)/2)
				b := 0.0
				if cfg.CameraNoise == CameraNoiseCorrelated {
					b = camBiasOffset*camBiasOffset + ((yaw*rng)*(yaw*rng)+(camBiasScale*rng)*(camBiasScale*rng))/2
				}
				vb = append(vb, b)
			}
			bsm := 0.0
			if o.equipped {
				bsm = 1 / (cfg.GNSSSigma * cfg.GNSSSigma)
			}
			if len(in) == 0 || len(in) == 1 && bsm == 0 {
				continue
			}
			info, infoNB := bsm, bsm
			for i := range in {
				info += 1 / (vr[i] + vb[i])
				infoNB += 1 / vr[i]
			}
			for i, k := range in {
				a := &sums[k]
				a.single += vr[i] + vb[i]
				a.fused += 1 / info
				a.fusedNB += 1 / infoNB
				a.n++
			}
		}
	}
	f := Floor{PerCamera: map[string][2]float64{}}
	for k, a := range sums {
		if a.n < 50 {
			continue
		}
		r, rn := math.Sqrt(a.fused/a.single), math.Sqrt(a.fusedNB/a.single)
		f.PerCamera[s.sources[slices.IndexFunc(s.sources, func(x Source) bool { return x.ID == s.cams[k].Source })].Name] = [2]float64{r, rn}
		f.Ratio, f.NoBias = max(f.Ratio, r), max(f.NoBias, rn)
	}
	return f, nil
}

package sim

import (
	"math"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestFusionFloor: the floor is below 1 (fusion can only add information)
// and removing the biases lowers it; with white cameras there is no bias
// to remove. V2X_FLOOR_SEEDS=N logs the floor of seeds 3000.. 3000+N-1 (30
// s each; -dense with V2X_FLOOR_DENSE=1).
func TestFusionFloor(t *testing.T) {
	for _, noise := range []CameraNoise{CameraNoiseCorrelated, CameraNoiseWhite} {
		cfg := Config{Seed: 3, CameraNoise: noise}
		cfg.SetDefaults()
		f, err := FusionFloor(cfg, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !(f.Ratio > 0 && f.Ratio < 1) || !(f.NoBias > 0 && f.NoBias <= f.Ratio) || len(f.PerCamera) == 0 {
			t.Errorf("%s: floor %+v", noise, f)
		}
		if noise == CameraNoiseWhite && math.Abs(f.Ratio-f.NoBias) > 1e-12 {
			t.Errorf("white: floor %.4f with biases, %.4f without: want equal", f.Ratio, f.NoBias)
		}
		t.Logf("%s: floor %.3f, %.3f without biases; per camera %v", noise, f.Ratio, f.NoBias, f.PerCamera)
	}
	n, _ := strconv.Atoi(os.Getenv("V2X_FLOOR_SEEDS"))
	var rs, rns []float64
	for seed := int64(3000); seed < 3000+int64(n); seed++ {
		cfg := Config{Seed: seed, Dense: os.Getenv("V2X_FLOOR_DENSE") == "1"}
		cfg.SetDefaults()
		f, err := FusionFloor(cfg, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		rs, rns = append(rs, f.Ratio), append(rns, f.NoBias)
		t.Logf("seed %d: floor %.3f, without biases %.3f", seed, f.Ratio, f.NoBias)
	}
	if n > 0 {
		t.Logf("%d seeds: floor median %.3f max %.3f; without biases median %.3f max %.3f", n, median(rs), slicesMax(rs), median(rns), slicesMax(rns))
	}
}

func median(x []float64) float64 {
	y := append([]float64(nil), x...)
	for i := range y {
		for j := i + 1; j < len(y); j++ {
			if y[j] < y[i] {
				y[i], y[j] = y[j], y[i]
			}
		}
	}
	return y[len(y)/2]
}

func slicesMax(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

package modelcmp

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/v2x"
)

// SimMap is the simulated intersection's MAP (dense: the -dense layout),
// the round-trip tests' realistic input.
func SimMap(t testing.TB, dense bool) v2x.Map {
	t.Helper()
	cfg := sim.Config{Dense: dense}
	cfg.SetDefaults()
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s.Map()
}

// Line returns n points from (e, north) d metres apart towards the east.
func Line(n int, e, north, d float32) []v2x.Point {
	ps := make([]v2x.Point, n)
	for i := range ps {
		ps[i] = v2x.Point{E: e + float32(i)*d, N: north}
	}
	return ps
}

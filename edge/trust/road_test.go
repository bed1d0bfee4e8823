package trust

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// TestOnRoadIsDistanceWithinMargin: onRoad's early exit on squared
// distances gives distance(e, n) <= margin exactly, on random points and
// on points placed on the boundary of a lane or of the box.
func TestOnRoadIsDistanceWithinMargin(t *testing.T) {
	mp := &v2x.Map{IntersectionID: 1, Lanes: []v2x.Lane{
		{ID: 1, Kind: v2x.LaneVehicle, Width: 3.5, Nodes: []v2x.Point{{E: 1.75, N: -15}, {E: 1.75, N: -200}}},
		{ID: 2, Kind: v2x.LaneVehicle, Width: 3.5, Nodes: []v2x.Point{{E: -1.75, N: 15}, {E: -30, N: 120}, {E: -40, N: 200}}},
		{ID: 3, Kind: v2x.LaneVehicle, Width: 2, Nodes: []v2x.Point{{E: 15, N: 0}}},
		{ID: 4, Kind: v2x.LaneCrosswalk, Width: 3, Nodes: []v2x.Point{{E: 12, N: -12}, {E: 12, N: 12}}},
	}}
	var r road
	r.set(mp, func(e, n float64) (float64, float64) { return e, n })
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(e, n, margin float64) {
		t.Helper()
		if got, want := r.onRoad(e, n, margin), r.distance(e, n) <= margin; got != want &&
			!(e < r.minE-margin || e > r.maxE+margin || n < r.minN-margin || n > r.maxN+margin) {
			t.Fatalf("onRoad(%v, %v, %v) = %v, distance %v", e, n, margin, got, r.distance(e, n))
		}
	}
	for i := 0; i < 200000; i++ {
		check(rng.Float64()*120-60, rng.Float64()*420-210, rng.Float64()*6)
	}
	// On the boundary: a margin equal to the point's distance, and a hair
	// either side of it.
	for i := 0; i < 20000; i++ {
		e, n := rng.Float64()*120-60, rng.Float64()*420-210
		d := r.distance(e, n)
		if d < 0 {
			continue
		}
		for _, m := range []float64{d, math.Nextafter(d, 0), math.Nextafter(d, 100), d * (1 + 1e-10), d * (1 - 1e-10)} {
			check(e, n, m)
		}
	}
}

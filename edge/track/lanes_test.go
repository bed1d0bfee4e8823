package track

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

func TestMatchLane(t *testing.T) {
	// Approach 1 from the east: ingress lane 11 runs from the stop line at
	// E=10 outwards to E=100 along N=-1.75 (traffic moves west), egress
	// lane 21 along N=+1.75 (traffic moves east), a crosswalk lane 31
	// across the leg at E=7.
	m := &v2x.Map{Lanes: []v2x.Lane{
		{ID: 11, Kind: v2x.LaneVehicle, Approach: 1, Ingress: true, Width: 3.5, Nodes: []v2x.Point{{E: 10, N: -1.75}, {E: 100, N: -1.75}}},
		{ID: 21, Kind: v2x.LaneVehicle, Approach: 1, Width: 3.5, Nodes: []v2x.Point{{E: 10, N: 1.75}, {E: 100, N: 1.75}}},
		{ID: 31, Kind: v2x.LaneCrosswalk, Approach: 1, Width: 3, Nodes: []v2x.Point{{E: 7, N: -5}, {E: 7, N: 5}}},
	}}
	tr := New(Config{})
	tr.SetMap(m, func(e, n float64) (float64, float64) { return e, n })
	tests := []struct {
		name         string
		class        v2x.Class
		e, n, ve, vn float64
		lane         uint8
	}{
		{"westbound on the ingress lane", v2x.ClassCar, 50, -1.5, -10, 0, 11},
		{"eastbound on the egress lane", v2x.ClassCar, 50, 2, 10, 0, 21},
		{"wrong way on the ingress lane", v2x.ClassCar, 50, -1.75, 10, 0, 0},
		{"stopped on the ingress lane", v2x.ClassCar, 30, -1.75, 0, 0, 11},
		{"off the road", v2x.ClassCar, 50, 8, -10, 0, 0},
		{"pedestrian on the crosswalk", v2x.ClassPedestrian, 7.5, 0, 0, 1.3, 31},
		{"car on the crosswalk area", v2x.ClassCar, 7, 0, 0, 0, 0},
	}
	for _, tc := range tests {
		lane, appr := tr.lanes.matchLane(tc.class, tc.e, tc.n, tc.ve, tc.vn)
		if lane != tc.lane {
			t.Errorf("%s: lane %d, want %d", tc.name, lane, tc.lane)
		}
		if lane != 0 && appr != 1 {
			t.Errorf("%s: approach %d, want 1", tc.name, appr)
		}
	}
}

package track

import (
	"math"
	"math/rand/v2"
	"slices"
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

// largeMap is a MAP of the most lanes and nodes the node takes, its lanes
// spread over a kilometre, with random widths, directions and kinds.
func largeMap(rng *rand.Rand) *v2x.Map {
	m := &v2x.Map{}
	for id := 1; id <= v2x.MaxLanes; id++ {
		l := v2x.Lane{ID: uint8(id), Kind: v2x.LaneKind(rng.IntN(2)), Approach: uint8(1 + id%4), Ingress: rng.IntN(2) == 0,
			Width: float32(2 + rng.Float64()*3)}
		e, n := rng.Float64()*1000-500, rng.Float64()*1000-500
		for range v2x.MaxLaneNodes {
			l.Nodes = append(l.Nodes, v2x.Point{E: float32(e), N: float32(n)})
			e, n = e+rng.Float64()*10-5, n+rng.Float64()*10-5
		}
		m.Lanes = append(m.Lanes, l)
	}
	return m
}

// TestMatchLaneBoxesSameAsScan: testing only the lanes whose box holds the
// point matches exactly what testing every segment in order matches.
func TestMatchLaneBoxesSameAsScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tr := New(Config{})
	m := largeMap(rng)
	tr.SetMap(m, func(e, n float64) (float64, float64) { return e, n })
	scan := func(c v2x.Class, e, n, ve, vn float64) (lane, approach uint8) {
		best := math.Inf(1)
		for i := range tr.lanes.segs {
			if l, a, d, ok := tr.lanes.segs[i].match(c == v2x.ClassPedestrian, e, n, ve, vn, math.Hypot(ve, vn)); ok && d < best {
				best, lane, approach = d, l, a
			}
		}
		return lane, approach
	}
	matched := 0
	for i := range 20000 {
		c := v2x.ClassCar
		if i%3 == 0 {
			c = v2x.ClassPedestrian
		}
		// Half the points on a lane node, half anywhere.
		var e, n float64
		if i%2 == 0 {
			l := &m.Lanes[rng.IntN(len(m.Lanes))]
			p := l.Nodes[rng.IntN(len(l.Nodes))]
			e, n = float64(p.E)+rng.Float64()*4-2, float64(p.N)+rng.Float64()*4-2
		} else {
			e, n = rng.Float64()*1200-600, rng.Float64()*1200-600
		}
		ve, vn := rng.Float64()*20-10, rng.Float64()*20-10
		gl, ga := tr.lanes.matchLane(c, e, n, ve, vn)
		wl, wa := scan(c, e, n, ve, vn)
		if gl != wl || ga != wa {
			t.Fatalf("point %.2f,%.2f %s v %.1f,%.1f: lane %d approach %d, want %d %d", e, n, c, ve, vn, gl, ga, wl, wa)
		}
		if gl != 0 {
			matched++
		}
	}
	if matched < 1000 {
		t.Fatalf("only %d of 20000 points matched a lane: the test says little", matched)
	}
}

// BenchmarkMatchLaneLargeMapFar: a track far from every lane of the
// largest MAP (a flood's parked objects) costs one box test per lane.
func BenchmarkMatchLaneLargeMapFar(b *testing.B) {
	tr := New(Config{})
	tr.SetMap(largeMap(rand.New(rand.NewPCG(1, 2))), func(e, n float64) (float64, float64) { return e, n })
	for b.Loop() {
		tr.lanes.matchLane(v2x.ClassCar, 2000, 2000, 0, 0)
	}
}

// A MAP re-sent with the same lane geometry (a fresh copy, or with only
// attributes map matching does not use changed) keeps every track's lane
// match; a MAP whose lanes moved has every track re-matched; and the boxes
// built for a changed MAP are those of a first SetMap of it.
func TestSetMapSameGeometryKeepsLanes(t *testing.T) {
	mp := func(laneE float32, speed float32) *v2x.Map {
		return &v2x.Map{Lanes: []v2x.Lane{
			{ID: 11, Kind: v2x.LaneVehicle, Approach: 1, Ingress: true, Width: 3.5, SpeedLimit: speed,
				Nodes: []v2x.Point{{E: laneE, N: -1.75}, {E: laneE + 45, N: -1.75}, {E: laneE + 90, N: -1.75}}},
			{ID: 21, Kind: v2x.LaneVehicle, Approach: 1, Width: 3.5, SpeedLimit: speed, Nodes: []v2x.Point{{E: 10, N: 1.75}, {E: 100, N: 1.75}}},
		}}
	}
	id := func(e, n float64) (float64, float64) { return e, n }
	tr := New(Config{})
	tr.SetMap(mp(10, 13.9), id)
	// A confirmed westbound car on lane 11, matched at time 1 s.
	tr.UpdateFrame([]Measurement{{Kind: MeasSelfReport, Class: v2x.ClassCar, Stream: 1, Source: 1, LocalID: 1, TimeNS: 1e9, VelE: -10}},
		[]float64{50}, []float64{-1.75})
	tr.MatchLanes(1e9)
	trk := &tr.tracks[0]
	if trk.Lane != 11 || trk.laneAt != 1e9 {
		t.Fatalf("lane %d matched at %d, want 11 at 1e9", trk.Lane, trk.laneAt)
	}
	for _, c := range []struct {
		name string
		m    *v2x.Map
	}{{"the same MAP again", mp(10, 13.9)}, {"a new speed limit", mp(10, 16.7)}} {
		tr.SetMap(c.m, id)
		if trk.laneAt != 1e9 || trk.Lane != 11 {
			t.Errorf("%s: lane %d matched at %d: the match was reset", c.name, trk.Lane, trk.laneAt)
		}
	}
	moved := mp(12, 13.9)
	tr.SetMap(moved, id)
	if trk.laneAt != 0 {
		t.Error("a MAP with moved lanes kept the old match")
	}
	fresh := New(Config{})
	fresh.SetMap(moved, id)
	if !slices.Equal(tr.lanes.segs, fresh.lanes.segs) || !slices.Equal(tr.lanes.boxes, fresh.lanes.boxes) {
		t.Errorf("lanes after a change differ from a first SetMap:\n%+v\n%+v", tr.lanes.boxes, fresh.lanes.boxes)
	}
	if len(tr.lanes.boxes) != 2 || tr.lanes.boxes[0].end != 2 || tr.lanes.boxes[1].first != 2 {
		t.Errorf("boxes %+v, want one per lane (lane 11: segments 0-1, lane 21: 2)", tr.lanes.boxes)
	}
	if allocs := testing.AllocsPerRun(10, func() { tr.SetMap(moved, id) }); allocs != 0 {
		t.Errorf("re-setting an unchanged MAP allocates %v times", allocs)
	}
}

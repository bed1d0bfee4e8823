package csae53

import (
	"math"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/internal/modelcmp"
	"github.com/v2x-edge/v2x-edge/v2x"
)

// mapTol is the CSAE 53 MAP's precision: points at 1e-7 degree (at most
// 0.56 cm on each axis), widths in cm, speeds in 0.02 m/s.
var mapTol = modelcmp.MapTol{Pos: 0.006, Width: 0.005, SpeedLimit: 0.01}

// mapRoundTrip encodes m as a MessageFrame, decodes it and converts it back.
func mapRoundTrip(t *testing.T, m *v2x.Map) (v2x.Map, error) {
	t.Helper()
	var f MessageFrame
	f.Choice = MessageFrameChoiceMapFrame
	if err := MAPFromModel(m, 5, &f.MapFrame); err != nil {
		return v2x.Map{}, err
	}
	raw, err := AppendFrame(nil, &f)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	var g MessageFrame
	n, err := DecodeFrame(raw, &g)
	if err != nil || n != len(raw) || g.Choice != MessageFrameChoiceMapFrame {
		t.Fatalf("decode: %v (%d of %d bytes, alternative %d)", err, n, len(raw), g.Choice)
	}
	if g.MapFrame.MsgCnt != 5 {
		t.Errorf("msgCnt %d", g.MapFrame.MsgCnt)
	}
	var out v2x.Map
	if err := g.MapFrame.ToModel(&out); err != nil {
		t.Fatalf("to model: %v", err)
	}
	return out, nil
}

func TestMAPFromModelRoundTrip(t *testing.T) {
	ref := v2x.Map{IntersectionID: 7<<16 | 301, RefLat: 22.5431, RefLon: 114.0579, RefElevation: 12.3}
	with := func(lanes ...v2x.Lane) *v2x.Map {
		m := ref
		m.Lanes = lanes
		return &m
	}
	wide := make([]v2x.Lane, 32) // the most lanes one direction of an approach holds
	for i := range wide {
		wide[i] = v2x.Lane{ID: uint8(i + 1), Approach: 1, Ingress: true, Width: 3, Nodes: modelcmp.Line(31, 10, float32(i)*3, 20)}
	}
	renumbered := func(m *v2x.Map, approaches ...uint8) *v2x.Map {
		r := *m
		r.Lanes = append([]v2x.Lane(nil), m.Lanes...)
		for i := range r.Lanes {
			r.Lanes[i].Approach = approaches[i]
		}
		return &r
	}
	sparse := with(
		v2x.Lane{ID: 1, Approach: 2, Ingress: true, Width: 3.5, Nodes: modelcmp.Line(2, 14, 0, 100)},
		v2x.Lane{ID: 2, Approach: 3, Width: 3.5, Nodes: modelcmp.Line(2, 0, 14, 100)},
		v2x.Lane{ID: 3, Approach: 5, Ingress: true, Width: 3.5, Nodes: modelcmp.Line(2, -14, 0, -100)},
		v2x.Lane{ID: 4, Approach: 5, Width: 3.5, Nodes: modelcmp.Line(2, -14, 5, -100)},
	)
	for _, tc := range []struct {
		name string
		m    *v2x.Map
		want *v2x.Map // if not m
	}{
		{"simulator", ptr(modelcmp.SimMap(t, false)), nil},
		{"simulator dense", ptr(modelcmp.SimMap(t, true)), nil},
		{"no lanes", with(), nil},
		{"one lane without points", with(v2x.Lane{ID: 1, Approach: 1, Ingress: true, Width: 3.25}), nil},
		{"32 lanes of 31 points", with(wide...), nil},
		{"every kind, far points, no limits", with(
			v2x.Lane{ID: 1, Kind: v2x.LaneBike, Approach: 1, Ingress: true, Width: 1.5, Nodes: modelcmp.Line(2, 5, 5, 5000),
				Connections: []v2x.Connection{{ToLane: 2}, {ToLane: 9, SignalGroup: 3, Maneuver: v2x.ManeuverUTurn}}},
			v2x.Lane{ID: 2, Kind: v2x.LaneSidewalk, Approach: 1, Width: 2, Nodes: modelcmp.Line(3, -1000, -200, -1000)},
			v2x.Lane{ID: 3, Kind: v2x.LaneCrosswalk, Approach: 3, Width: 4, Nodes: modelcmp.Line(2, -9, 11, 18)},
			v2x.Lane{ID: 4, Kind: v2x.LaneVehicle, Approach: 2, Ingress: true, Width: 3.5, SpeedLimit: 163.8,
				Maneuvers: v2x.ManeuverStraight | v2x.ManeuverLeft | v2x.ManeuverRight | v2x.ManeuverUTurn, Nodes: modelcmp.Line(2, 0, -14, -150)},
		), nil},
		// CSAE 53 has no approach numbers: ToModel numbers the links
		// into the intersection, then those out of it from other roads.
		{"approaches renumbered", sparse, renumbered(sparse, 1, 3, 2, 2)},
		{"approaches with one direction only", with(
			v2x.Lane{ID: 1, Approach: 1, Ingress: true, Width: 3.5, Nodes: modelcmp.Line(2, 14, 0, 100)},
			v2x.Lane{ID: 2, Approach: 2, Width: 3.5, Nodes: modelcmp.Line(2, -14, 0, -100)},
		), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mapRoundTrip(t, tc.m)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want == nil {
				want = tc.m
			}
			if d := modelcmp.MapDiff(&got, want, mapTol); d != "" {
				t.Error(d)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestMAPFromModelOutsideTheSchema(t *testing.T) {
	lane := func(id, approach uint8, ingress bool, points int) v2x.Lane {
		return v2x.Lane{ID: id, Approach: approach, Ingress: ingress, Width: 3, Nodes: modelcmp.Line(points, 0, 0, 10)}
	}
	many := func(n int, f func(i int) v2x.Lane) []v2x.Lane {
		ls := make([]v2x.Lane, n)
		for i := range ls {
			ls[i] = f(i)
		}
		return ls
	}
	for _, tc := range []struct {
		name, want string
		lanes      []v2x.Lane
	}{
		{"one point", "1 points", []v2x.Lane{lane(1, 1, true, 1)}},
		{"32 points", "32 points", []v2x.Lane{lane(1, 1, true, 32)}},
		{"33 ingress lanes", "more than 32 lanes", many(33, func(i int) v2x.Lane { return lane(uint8(i), 1, true, 2) })},
		{"33 ingress approaches", "33 approaches", many(33, func(i int) v2x.Lane { return lane(uint8(i), uint8(i), true, 2) })},
		{"63 egress approaches", "63 with egress", many(63, func(i int) v2x.Lane { return lane(uint8(i), uint8(i), false, 2) })},
		{"17 connections", "17 connections", []v2x.Lane{{ID: 1, Connections: make([]v2x.Connection, 17)}}},
		{"unknown kind", "kind", []v2x.Lane{{ID: 1, Kind: 9}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m MapData
			err := MAPFromModel(&v2x.Map{Lanes: tc.lanes}, 0, &m)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestMAPFromModelReuses(t *testing.T) {
	m := modelcmp.SimMap(t, false)
	var f MessageFrame
	f.Choice = MessageFrameChoiceMapFrame
	buf := make([]byte, 0, 4096)
	if err := MAPFromModel(&m, 0, &f.MapFrame); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() {
		if err := MAPFromModel(&m, 1, &f.MapFrame); err != nil {
			t.Fatal(err)
		}
		buf, _ = AppendFrame(buf[:0], &f)
	}); n != 0 {
		t.Errorf("MAPFromModel and AppendFrame into reused values: %.0f allocations", n)
	}
	t.Logf("simulator MAP: %d bytes in CSAE 53", len(buf))
}

func TestMapToModel(t *testing.T) {
	// MAP.xer: node region 1 id 149 at 28.0985258, 112.9830304; 4 links
	// with one lane each (laneID 1, width 2200 cm, maneuvers 111… =
	// straight, left, right), connections with phaseIds 1, 2, 3, …
	var m v2x.Map
	if err := sample(t, "MAP.uper").MapFrame.ToModel(&m); err != nil {
		t.Fatal(err)
	}
	if m.IntersectionID != 1<<16|149 || !near(m.RefLat, 28.0985258, 1e-9) || !near(m.RefLon, 112.9830304, 1e-9) {
		t.Errorf("intersection %x at %v,%v", m.IntersectionID, m.RefLat, m.RefLon)
	}
	if len(m.Lanes) != 4 {
		t.Fatalf("%d lanes, want 4", len(m.Lanes))
	}
	l := m.Lanes[0]
	if l.ID != 1 || l.Width != 22 || l.Maneuvers != v2x.ManeuverStraight|v2x.ManeuverLeft|v2x.ManeuverRight || l.Approach != 1 || !l.Ingress {
		t.Errorf("lane 0: %+v", l)
	}
	if len(l.Nodes) < 2 || len(l.Connections) == 0 || l.Connections[0].SignalGroup != 1 {
		t.Errorf("lane 0: %d nodes, connections %+v", len(l.Nodes), l.Connections)
	}
	// Nodes run from the stop line outwards: the first is nearer the
	// reference point than the last.
	first, last := l.Nodes[0], l.Nodes[len(l.Nodes)-1]
	if math.Hypot(float64(first.E), float64(first.N)) > math.Hypot(float64(last.E), float64(last.N)) {
		t.Errorf("lane nodes run towards the intersection: first %v last %v", first, last)
	}
}

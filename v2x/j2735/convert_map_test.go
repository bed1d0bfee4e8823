package j2735

import (
	"math"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/internal/modelcmp"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// mapTol is the J2735 MAP's precision with node-XY offsets: cm.
var mapTol = modelcmp.MapTol{Pos: 0.006, Width: 0.005, SpeedLimit: 0.01}

// mapRoundTrip encodes m as a MessageFrame, decodes it and converts it back.
func mapRoundTrip(t *testing.T, m *v2x.Map) (MapData, v2x.Map) {
	t.Helper()
	var md MapData
	if err := MAPFromModel(m, 4, &md); err != nil {
		t.Fatal(err)
	}
	v, err := AppendMapData(nil, &md)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := AppendFrame(nil, &MessageFrame{MessageID: IDMap, Value: v})
	if err != nil {
		t.Fatal(err)
	}
	var f MessageFrame
	if n, err := DecodeFrame(raw, &f); err != nil || n != len(raw) || f.MessageID != IDMap {
		t.Fatalf("frame: id %d, %d of %d bytes, %v", f.MessageID, n, len(raw), err)
	}
	var back MapData
	var d uper.Decoder
	d.Reset(f.Value)
	back.DecodeUPER(&d)
	if err := d.Err(); err != nil || d.BytesUsed() != len(f.Value) {
		t.Fatalf("decode: %v (%d of %d bytes)", err, d.BytesUsed(), len(f.Value))
	}
	if back.MsgIssueRevision != 4 {
		t.Errorf("msgIssueRevision %d", back.MsgIssueRevision)
	}
	var out v2x.Map
	if err := back.ToModel(&out); err != nil {
		t.Fatal(err)
	}
	return back, out
}

func TestMAPFromModelRoundTrip(t *testing.T) {
	ref := v2x.Map{IntersectionID: 7<<16 | 301, RefLat: 39.5952649, RefLon: -105.0914122, RefElevation: 1601.4}
	with := func(lanes ...v2x.Lane) *v2x.Map {
		m := ref
		m.Lanes = lanes
		return &m
	}
	// The most lanes J2735 holds, one with the most nodes: 255 lanes of 63
	// nodes would need a value longer than 16383 bytes, which UPER
	// fragments and v2x/uper does not (see TestMAPFromModelTooLong).
	most := make([]v2x.Lane, v2x.MaxLanes)
	for i := range most {
		most[i] = v2x.Lane{ID: uint8(i), Approach: uint8(i % 16), Ingress: i%2 == 0, Width: 3, Nodes: modelcmp.Line(2+61*(i/254), 14, float32(i), 4)}
	}
	sm := modelcmp.SimMap(t, false)
	for _, tc := range []struct {
		name string
		m    *v2x.Map
		tol  modelcmp.MapTol
	}{
		{"simulator", &sm, mapTol},
		{"simulator dense", ptr(modelcmp.SimMap(t, true)), mapTol},
		{"255 lanes of 63 nodes", with(most...), mapTol},
		{"every kind, widths, limits", with(
			v2x.Lane{ID: 1, Kind: v2x.LaneBike, Approach: 15, Ingress: true, Width: 1.5, SpeedLimit: 163.8, Nodes: modelcmp.Line(3, -5.12, 5.11, -10.24),
				Connections: []v2x.Connection{{ToLane: 2}, {ToLane: 9, SignalGroup: 255, Maneuver: v2x.ManeuverUTurn | v2x.ManeuverLeft}}},
			v2x.Lane{ID: 2, Kind: v2x.LaneSidewalk, Width: 6.61, Nodes: modelcmp.Line(2, 327.67, -327.68, -327.67)},
			v2x.Lane{ID: 3, Kind: v2x.LaneCrosswalk, Approach: 2, Width: 0, Nodes: modelcmp.Line(2, -9, 11, 18)},
			v2x.Lane{ID: 255, Kind: v2x.LaneVehicle, Approach: 3, Ingress: true, Width: 3.5, SpeedLimit: 0.02,
				Maneuvers: v2x.ManeuverStraight | v2x.ManeuverLeft | v2x.ManeuverRight | v2x.ManeuverUTurn, Nodes: modelcmp.Line(2, 0, -14, -150)},
		), mapTol},
		// node-LatLon, then offsets from where ToModel puts it: 1e-7
		// degree and its truncation to cm.
		{"far nodes", with(v2x.Lane{ID: 1, Ingress: true, Width: 3.5, Nodes: []v2x.Point{{E: 400, N: 0}, {E: 410, N: 1}, {E: -2000, N: 3000}, {E: -2001, N: 3000}}}),
			modelcmp.MapTol{Pos: 0.017, Width: 0.005, SpeedLimit: 0.01}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, got := mapRoundTrip(t, tc.m)
			if d := modelcmp.MapDiff(&got, tc.m, tc.tol); d != "" {
				t.Error(d)
			}
			for i := range got.Lanes {
				if got.Lanes[i].ID != tc.m.Lanes[i].ID {
					t.Fatalf("lane %d has id %d, want %d: lanes reordered", i, got.Lanes[i].ID, tc.m.Lanes[i].ID)
				}
			}
		})
	}
	back, _ := mapRoundTrip(t, with(v2x.Lane{ID: 1, Ingress: true, Width: 3.5, Nodes: []v2x.Point{{E: 400, N: 0}, {E: 410, N: 1}, {E: 5.11, N: -5.12}}}))
	var alts []uint8
	for _, n := range back.Intersections[0].LaneSet[0].NodeList.Nodes {
		alts = append(alts, n.Delta.Choice)
	}
	if want := []uint8{NodeOffsetPointXYChoiceNodeLatLon, NodeOffsetPointXYChoiceNodeXY2, NodeOffsetPointXYChoiceNodeLatLon}; string(alts) != string(want) {
		t.Errorf("node alternatives %v, want %v", alts, want)
	}
}

func ptr[T any](v T) *T { return &v }

// TestMAPFromModelTooLong: a MapData over 16383 bytes encodes, but as a
// MessageFrame value it would need UPER length fragmentation, which
// v2x/uper does not do (nor decode): AppendFrame fails.
func TestMAPFromModelTooLong(t *testing.T) {
	m := v2x.Map{Lanes: make([]v2x.Lane, v2x.MaxLanes)}
	for i := range m.Lanes {
		m.Lanes[i] = v2x.Lane{ID: uint8(i), Width: 3, Nodes: modelcmp.Line(63, 14, float32(i), 4)}
	}
	var md MapData
	if err := MAPFromModel(&m, 0, &md); err != nil {
		t.Fatal(err)
	}
	v, err := AppendMapData(nil, &md)
	if err != nil || len(v) <= 16383 {
		t.Fatalf("%d bytes, %v", len(v), err)
	}
	if _, err := AppendFrame(nil, &MessageFrame{MessageID: IDMap, Value: v}); err == nil || !strings.Contains(err.Error(), "beyond 16383") {
		t.Errorf("a %d-byte value framed: %v", len(v), err)
	}
}

func TestMAPFromModelOutsideTheSchema(t *testing.T) {
	lane := v2x.Lane{ID: 1, Width: 3, Nodes: modelcmp.Line(2, 0, 0, 10)}
	edit := func(f func(l *v2x.Lane)) []v2x.Lane {
		l := lane
		f(&l)
		return []v2x.Lane{lane, l}
	}
	for _, tc := range []struct {
		name, want string
		lanes      []v2x.Lane
	}{
		{"no lanes", "0 lanes", nil},
		{"one node", "1 nodes", edit(func(l *v2x.Lane) { l.Nodes = l.Nodes[:1] })},
		{"64 nodes", "64 nodes", edit(func(l *v2x.Lane) { l.Nodes = modelcmp.Line(64, 0, 0, 1) })},
		{"approach 16", "approach 16", edit(func(l *v2x.Lane) { l.Approach = 16 })},
		{"17 connections", "17 connections", edit(func(l *v2x.Lane) { l.Connections = make([]v2x.Connection, 17) })},
		{"unknown kind", "kind 9", edit(func(l *v2x.Lane) { l.Kind = 9 })},
		{"width", "8.13 m wide", edit(func(l *v2x.Lane) { l.Width = 8.13 })},
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
	var md MapData
	var f MessageFrame
	var buf []byte
	run := func() {
		var err error
		if err = MAPFromModel(&m, 1, &md); err != nil {
			t.Fatal(err)
		}
		if f.Value, err = AppendMapData(f.Value[:0], &md); err != nil {
			t.Fatal(err)
		}
		f.MessageID = IDMap
		if buf, err = AppendFrame(buf[:0], &f); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if n := testing.AllocsPerRun(20, run); n != 0 {
		t.Errorf("MAPFromModel, AppendMapData and AppendFrame into reused values: %.0f allocations", n)
	}
	t.Logf("simulator MAP: %d bytes in J2735", len(buf))
}

func TestMapToModel(t *testing.T) {
	// decoder-output-map.xml: reference 39.5952649, -105.0914122, lane
	// width 366 cm; lane 2 is an ingress lane of approach 1 whose first
	// node is node-XY6 (2225, 808) cm, the second (10517, -161) further.
	var m MapData
	decodeValue(t, "decoder-output-map.xml", &m)
	var out v2x.Map
	if err := m.ToModel(&out); err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(out.RefLat-39.5952649) < 1e-9 && math.Abs(out.RefLon+105.0914122) < 1e-9) || len(out.Lanes) == 0 {
		t.Fatalf("map at %v,%v with %d lanes", out.RefLat, out.RefLon, len(out.Lanes))
	}
	l := out.Lanes[0]
	if l.ID != 2 || !l.Ingress || l.Approach != 1 || l.Kind != v2x.LaneVehicle || math.Abs(float64(l.Width)-3.66) > 1e-4 {
		t.Errorf("lane 2: %+v", l)
	}
	if len(l.Nodes) < 2 || l.Nodes[0] != (v2x.Point{E: 22.25, N: 8.08}) ||
		math.Abs(float64(l.Nodes[1].E)-127.42) > 1e-3 || math.Abs(float64(l.Nodes[1].N)-6.47) > 1e-3 {
		t.Errorf("lane 2 nodes: %v, want (22.25, 8.08), (127.42, 6.47), …", l.Nodes)
	}
}

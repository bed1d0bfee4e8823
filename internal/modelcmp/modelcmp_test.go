package modelcmp

import (
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

func TestMapDiff(t *testing.T) {
	want := v2x.Map{IntersectionID: 9, RefLat: 22.5, RefLon: 114, Lanes: []v2x.Lane{
		{ID: 1, Ingress: true, Width: 3.5, Nodes: []v2x.Point{{E: 1, N: 2}, {E: 3, N: 4}}, Connections: []v2x.Connection{{ToLane: 2, SignalGroup: 1}}},
		{ID: 2, Width: 3.5, Nodes: []v2x.Point{{E: -1, N: 2}, {E: -3, N: 4}}},
	}}
	tol := MapTol{Pos: 0.01, Width: 0.005, SpeedLimit: 0.01}
	got := want
	got.Lanes = []v2x.Lane{want.Lanes[1], want.Lanes[0]} // order does not matter
	got.Lanes[0].Nodes = []v2x.Point{{E: -1.009, N: 2}, {E: -3, N: 4.009}}
	if d := MapDiff(&got, &want, tol); d != "" {
		t.Errorf("within tolerance: %s", d)
	}
	for _, tc := range []struct {
		name, want string
		edit       func(m *v2x.Map)
	}{
		{"node", "lane 2 node 1", func(m *v2x.Map) { m.Lanes[0].Nodes = []v2x.Point{{E: -1, N: 2}, {E: -3, N: 4.02}} }},
		{"direction", "lane 1: kind", func(m *v2x.Map) { m.Lanes[1].Ingress = false }},
		{"connection", "lane 1 connection 0", func(m *v2x.Map) { m.Lanes[1].Connections = []v2x.Connection{{ToLane: 2}} }},
		{"missing lane", "lane 1 missing", func(m *v2x.Map) { m.Lanes = m.Lanes[:1] }},
		{"width", "lane 2: width", func(m *v2x.Map) { m.Lanes[0].Width = 3.4 }},
	} {
		g := got
		g.Lanes = []v2x.Lane{got.Lanes[0], got.Lanes[1]}
		tc.edit(&g)
		if d := MapDiff(&g, &want, tol); !strings.Contains(d, tc.want) {
			t.Errorf("%s: diff %q, want it to name %q", tc.name, d, tc.want)
		}
	}
}

func TestSPATDiff(t *testing.T) {
	u := v2x.TimeUnknown
	want := v2x.SPAT{IntersectionID: 3, Phases: []v2x.Phase{{ID: 1, State: v2x.LightRed, Start: -500, MinEnd: u, LikelyEnd: 3000, MaxEnd: u, Confidence: 90}}}
	got := v2x.SPAT{IntersectionID: 3, Phases: []v2x.Phase{{ID: 1, State: v2x.LightRed, Start: -450, MinEnd: u, LikelyEnd: 3050, MaxEnd: u, Confidence: 91}}}
	if d := SPATDiff(&got, &want, 50, func(uint8) uint8 { return 91 }); d != "" {
		t.Errorf("within tolerance: %s", d)
	}
	if d := SPATDiff(&got, &want, 49, func(uint8) uint8 { return 91 }); d == "" {
		t.Error("51 ms apart passes a 49 ms tolerance")
	}
	got.Phases[0].MaxEnd = 0
	if d := SPATDiff(&got, &want, 50, func(uint8) uint8 { return 91 }); d == "" {
		t.Error("a known time passes for an unknown one")
	}
}

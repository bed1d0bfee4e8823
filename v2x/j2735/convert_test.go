package j2735

import (
	"math"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

func decodeValue(t *testing.T, file string, m message) {
	t.Helper()
	raw, _ := odeSample(t, file)
	var f MessageFrame
	if _, err := DecodeFrame(raw, &f); err != nil {
		t.Fatal(err)
	}
	var d uper.Decoder
	d.Reset(f.Value)
	m.DecodeUPER(&d)
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
}

func TestSPATToModel(t *testing.T) {
	// decoder-output-spat.xml: intersection 12111, timeStamp 35176 (ms in
	// the minute, no moy); signal group 2 protected-Movement-Allowed with
	// minEndTime 22120 and maxEndTime 22121 (tenths past the hour:
	// 36:52.0 and 36:52.1); group 4 stop-And-Remain, minEndTime 22181.
	var s SPAT
	decodeValue(t, "decoder-output-spat.xml", &s)
	ref := time.Date(2026, 11, 22, 10, 36, 36, 0, time.UTC)
	var out v2x.SPAT
	capture, err := s.ToModel(0, ref.UnixNano(), &out)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 22, 10, 36, 35, 176e6, time.UTC); capture != want.UnixNano() {
		t.Errorf("capture %v, want %v", time.Unix(0, capture).UTC(), want)
	}
	if out.IntersectionID != 12111 || len(out.Phases) < 2 {
		t.Fatalf("intersection %d with %d phases", out.IntersectionID, len(out.Phases))
	}
	p := out.Phases[0]
	if p.ID != 2 || p.State != v2x.LightGreen || p.MinEnd != 16824 || p.MaxEnd != 16924 || p.LikelyEnd != v2x.TimeUnknown || p.Start != v2x.TimeUnknown {
		t.Errorf("signal group 2: %+v, want green, min end +16824 ms, max +16924 ms", p)
	}
	if q := out.Phases[1]; q.ID != 4 || q.State != v2x.LightRed || q.MinEnd != 22924 {
		t.Errorf("signal group 4: %+v", q)
	}
	if n := testing.AllocsPerRun(50, func() { s.ToModel(0, ref.UnixNano(), &out) }); n != 0 {
		t.Errorf("SPAT ToModel: %.0f allocations", n)
	}
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

package wire

import (
	"bytes"
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// sampleMap is the north leg of the intersection: two southbound ingress
// lanes, one northbound egress lane and the north crosswalk.
func sampleMap() v2x.Map {
	return v2x.Map{IntersectionID: sampleIntersection, RefLat: refLat, RefLon: refLon, RefElevation: 8.5,
		Lanes: []v2x.Lane{
			{ID: 1, Kind: v2x.LaneVehicle, Approach: 1, Ingress: true, Maneuvers: v2x.ManeuverLeft | v2x.ManeuverUTurn,
				Width: 3.5, SpeedLimit: 16.67,
				Nodes:       []v2x.Point{{E: -1.75, N: 15}, {E: -1.75, N: 45}, {E: -1.9, N: 80}},
				Connections: []v2x.Connection{{ToLane: 21, SignalGroup: 2, Maneuver: v2x.ManeuverLeft}}},
			{ID: 2, Kind: v2x.LaneVehicle, Approach: 1, Ingress: true, Maneuvers: v2x.ManeuverStraight | v2x.ManeuverRight,
				Width: 3.5, SpeedLimit: 16.67,
				Nodes: []v2x.Point{{E: -5.25, N: 15}, {E: -5.25, N: 45}, {E: -5.4, N: 80}},
				Connections: []v2x.Connection{
					{ToLane: 31, SignalGroup: 1, Maneuver: v2x.ManeuverStraight},
					{ToLane: 41, SignalGroup: 5, Maneuver: v2x.ManeuverRight}}},
			{ID: 11, Kind: v2x.LaneVehicle, Approach: 1, Width: 3.5, SpeedLimit: 16.67,
				Nodes: []v2x.Point{{E: 1.75, N: 15}, {E: 1.75, N: 80}}},
			{ID: 51, Kind: v2x.LaneCrosswalk, Approach: 1, Width: 4,
				Nodes: []v2x.Point{{E: -8, N: 12}, {E: 8, N: 12}}},
		}}
}

// maxMap is a MAP at every limit: 255 lanes of 64 nodes and 16
// connections each.
func maxMap() v2x.Map {
	m := v2x.Map{IntersectionID: math.MaxUint32, RefLat: refLat, RefLon: refLon, RefElevation: -10,
		Lanes: make([]v2x.Lane, v2x.MaxLanes)}
	for i := range m.Lanes {
		l := v2x.Lane{ID: uint8(i + 1), Kind: v2x.LaneKind(i % 4), Approach: uint8(i%4 + 1), Ingress: i%2 == 0,
			Maneuvers: v2x.Maneuver(i % 16), Width: 3.25, SpeedLimit: 13.9,
			Nodes: make([]v2x.Point, v2x.MaxLaneNodes), Connections: make([]v2x.Connection, v2x.MaxConnections)}
		for j := range l.Nodes {
			l.Nodes[j] = v2x.Point{E: float32(i) * 0.5, N: float32(j) * 2}
		}
		for j := range l.Connections {
			l.Connections[j] = v2x.Connection{ToLane: uint8(j + 1), SignalGroup: uint8(j % 8), Maneuver: v2x.ManeuverStraight}
		}
		m.Lanes[i] = l
	}
	return m
}

// mapHeadLen is the size of the MAP header and laneHeadLen of the fixed
// part of a lane record.
const (
	mapHeadLen  = 26
	laneHeadLen = 16
)

var mapCodec = payloadCodec{
	typ:    TypeMAP,
	header: Header{Source: 0x1001, Seq: 12, Capture: captureNS},
	sample: func() []byte { m := sampleMap(); return AppendMap(nil, &m) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		var m v2x.Map
		if err := DecodeMap(p, &m); err != nil {
			return nil, err
		}
		if len(m.Lanes) > v2x.MaxLanes || len(m.Lanes)*laneHeadLen > len(p) {
			t.Fatalf("%d lanes from %d bytes", len(m.Lanes), len(p))
		}
		for _, l := range m.Lanes {
			if len(l.Nodes) > v2x.MaxLaneNodes || len(l.Connections) > v2x.MaxConnections {
				t.Fatalf("lane %d: %d nodes, %d connections", l.ID, len(l.Nodes), len(l.Connections))
			}
		}
		dirty := sampleMap()
		if err := DecodeMap(p, &dirty); err != nil {
			t.Fatalf("decoding into a used struct failed: %v", err)
		}
		q := AppendMap(nil, &m)
		if !bytes.Equal(AppendMap(nil, &dirty), q) {
			t.Fatal("decoding into a used struct gives a different message")
		}
		return q, nil
	},
	canon: func(p []byte) []byte {
		q := cloneBytes(p)
		off := mapHeadLen
		for off < len(q) {
			q[off+3] &= laneIngress
			q[off+7] = 0
			nodes, conns := int(q[off+5]), int(q[off+6])
			off += laneHeadLen + 8*nodes
			for range conns {
				q[off+3] = 0
				off += 4
			}
		}
		return q
	},
}

func TestMapRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		m    v2x.Map
	}{
		{"typical", sampleMap()},
		{"no lanes", v2x.Map{IntersectionID: 1, RefLat: refLat, RefLon: refLon}},
		{"lane without nodes", v2x.Map{Lanes: []v2x.Lane{{ID: 9, Kind: v2x.LaneSidewalk, Maneuvers: 0xf0}}}},
		{"maximum", maxMap()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := AppendMap(nil, &c.m)
			want := mapHeadLen
			for _, l := range c.m.Lanes {
				want += laneHeadLen + 8*len(l.Nodes) + 4*len(l.Connections)
			}
			if len(p) != want {
				t.Fatalf("encoded %d bytes, want %d", len(p), want)
			}
			var got v2x.Map
			if err := DecodeMap(p, &got); err != nil {
				t.Fatal(err)
			}
			if !sameValue(got, c.m) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c.m)
			}
		})
	}
}

func TestMapLayout(t *testing.T) {
	m := sampleMap()
	p := AppendMap(nil, &m)
	if be32(p, 0) != sampleIntersection || be64(p, 4) != math.Float64bits(refLat) || be64(p, 12) != math.Float64bits(refLon) ||
		be32(p, 20) != math.Float32bits(8.5) || be32(p, 24)>>16 != uint32(len(m.Lanes)) {
		t.Errorf("header % x", p[:mapHeadLen])
	}
	l := p[mapHeadLen:]
	if l[0] != 1 || l[1] != byte(v2x.LaneVehicle) || l[2] != 1 || l[3] != 1 || l[4] != byte(v2x.ManeuverLeft|v2x.ManeuverUTurn) ||
		l[5] != 3 || l[6] != 1 || l[7] != 0 || be32(l, 8) != math.Float32bits(3.5) || be32(l, 12) != math.Float32bits(16.67) {
		t.Errorf("lane head % x", l[:laneHeadLen])
	}
	if be32(l, 16) != math.Float32bits(-1.75) || be32(l, 20) != math.Float32bits(15) {
		t.Errorf("first node % x", l[16:24])
	}
	c := l[laneHeadLen+3*8:]
	if c[0] != 21 || c[1] != 2 || c[2] != byte(v2x.ManeuverLeft) || c[3] != 0 {
		t.Errorf("connection % x", c[:4])
	}
	// The next lane starts right after the connection.
	if c[4] != 2 {
		t.Errorf("second lane id %d", c[4])
	}
}

func TestDecodeMapErrors(t *testing.T) {
	decode := func(q []byte) error { var m v2x.Map; return DecodeMap(q, &m) }
	for _, m := range []v2x.Map{sampleMap(), {IntersectionID: 1}} {
		p := AppendMap(nil, &m)
		checkPrefixes(t, p, decode)
		checkTrailing(t, p, decode)
	}
	head := func(lanes uint16) []byte {
		p := appendU32(nil, 1)
		p = appendF64(p, refLat)
		p = appendF64(p, refLon)
		p = appendF32(p, 0)
		return appendU16(p, lanes)
	}
	checkDecodeErr(t, "256 lanes", decode(append(head(v2x.MaxLanes+1), make([]byte, (v2x.MaxLanes+1)*laneHeadLen)...)), ErrInvalid)
	checkDecodeErr(t, "65535 lanes", decode(head(math.MaxUint16)), ErrInvalid)
	checkDecodeErr(t, "255 lanes claimed, none present", decode(head(v2x.MaxLanes)), ErrTruncated)

	lane := func(nodes, conns byte) []byte {
		p := append(head(1), 1, 0, 1, 1, 1, nodes, conns, 0)
		p = appendF32(p, 3.5)
		p = appendF32(p, 0)
		return append(p, make([]byte, int(nodes)*8+int(conns)*4)...)
	}
	if err := decode(lane(v2x.MaxLaneNodes, v2x.MaxConnections)); err != nil {
		t.Errorf("lane at the limits: %v", err)
	}
	checkDecodeErr(t, "65 nodes", decode(lane(v2x.MaxLaneNodes+1, 0)), ErrInvalid)
	checkDecodeErr(t, "17 connections", decode(lane(0, v2x.MaxConnections+1)), ErrInvalid)
	checkDecodeErr(t, "nodes cut", decode(lane(4, 0)[:mapHeadLen+laneHeadLen+31]), ErrTruncated)

	// The encoder does not police the limits: a lane over them encodes
	// and is then rejected.
	over := v2x.Map{Lanes: []v2x.Lane{{ID: 1, Nodes: make([]v2x.Point, v2x.MaxLaneNodes+1)}}}
	checkDecodeErr(t, "encoded 65 nodes", decode(AppendMap(nil, &over)), ErrInvalid)
}

// TestDecodeMapFresh checks that DecodeMap never writes into lanes a caller
// may still hold.
func TestDecodeMapFresh(t *testing.T) {
	a, b := sampleMap(), maxMap()
	var m v2x.Map
	if err := DecodeMap(AppendMap(nil, &a), &m); err != nil {
		t.Fatal(err)
	}
	held := m.Lanes
	if err := DecodeMap(AppendMap(nil, &b), &m); err != nil {
		t.Fatal(err)
	}
	if !sameValue(held, a.Lanes) {
		t.Error("a later decode changed the lanes of an earlier one")
	}
}

func FuzzDecodeMap(f *testing.F) {
	empty := v2x.Map{IntersectionID: 1, RefLat: refLat, RefLon: refLon}
	odd := v2x.Map{Lanes: []v2x.Lane{{ID: 9, Kind: 200, Maneuvers: 0xff, Width: float32(math.NaN())}}}
	fuzzPayload(f, &mapCodec, AppendMap(nil, &empty), AppendMap(nil, &odd))
}

package wire

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x"
)

const laneIngress = 1 << 0

// AppendMap appends the native encoding of m. Lists longer than the limits
// in package v2x are the caller's error; they are truncated to fit the
// one-byte counts.
func AppendMap(b []byte, m *v2x.Map) []byte {
	b = appendU32(b, m.IntersectionID)
	b = appendF64(b, m.RefLat)
	b = appendF64(b, m.RefLon)
	b = appendF32(b, m.RefElevation)
	b = appendU16(b, uint16(len(m.Lanes)))
	for i := range m.Lanes {
		l := &m.Lanes[i]
		var flags byte
		if l.Ingress {
			flags |= laneIngress
		}
		nodes, conns := min(len(l.Nodes), 255), min(len(l.Connections), 255)
		b = append(b, l.ID, byte(l.Kind), l.Approach, flags, byte(l.Maneuvers), byte(nodes), byte(conns), 0)
		b = appendF32(b, l.Width)
		b = appendF32(b, l.SpeedLimit)
		for _, p := range l.Nodes[:nodes] {
			b = appendF32(b, p.E)
			b = appendF32(b, p.N)
		}
		for _, c := range l.Connections[:conns] {
			b = append(b, c.ToLane, c.SignalGroup, byte(c.Maneuver), 0)
		}
	}
	return b
}

// DecodeMap decodes a native MAP payload into m. MAP is a cold message: it
// allocates fresh lane slices so that a held Map is never overwritten.
func DecodeMap(p []byte, m *v2x.Map) error {
	d := dec{b: p}
	m.IntersectionID = d.u32()
	m.RefLat = d.f64()
	m.RefLon = d.f64()
	m.RefElevation = d.f32()
	n := int(d.u16())
	if d.bad {
		return fmt.Errorf("map: %w: %d-byte header", ErrTruncated, len(p))
	}
	if n > v2x.MaxLanes {
		return fmt.Errorf("map: %w: %d lanes (max %d)", ErrInvalid, n, v2x.MaxLanes)
	}
	if !d.need(n * 16) {
		return fmt.Errorf("map: %w: %d lanes in %d bytes", ErrTruncated, n, len(d.b))
	}
	m.Lanes = make([]v2x.Lane, n)
	for i := range m.Lanes {
		l := &m.Lanes[i]
		l.ID = d.u8()
		l.Kind = v2x.LaneKind(d.u8())
		l.Approach = d.u8()
		l.Ingress = d.u8()&laneIngress != 0
		l.Maneuvers = v2x.Maneuver(d.u8())
		nodes, conns := int(d.u8()), int(d.u8())
		d.u8()
		l.Width = d.f32()
		l.SpeedLimit = d.f32()
		if nodes > v2x.MaxLaneNodes || conns > v2x.MaxConnections {
			return fmt.Errorf("map: lane %d: %w: %d nodes, %d connections (max %d, %d)",
				l.ID, ErrInvalid, nodes, conns, v2x.MaxLaneNodes, v2x.MaxConnections)
		}
		if !d.need(nodes*8 + conns*4) {
			return fmt.Errorf("map: lane %d: %w", l.ID, ErrTruncated)
		}
		l.Nodes = make([]v2x.Point, nodes)
		for j := range l.Nodes {
			l.Nodes[j] = v2x.Point{E: d.f32(), N: d.f32()}
		}
		l.Connections = make([]v2x.Connection, conns)
		for j := range l.Connections {
			c := &l.Connections[j]
			c.ToLane, c.SignalGroup, c.Maneuver = d.u8(), d.u8(), v2x.Maneuver(d.u8())
			d.u8()
		}
		if d.bad {
			return fmt.Errorf("map: lane %d: %w", l.ID, ErrTruncated)
		}
	}
	if len(d.b) != 0 {
		return fmt.Errorf("map: %w: %d trailing bytes", ErrInvalid, len(d.b))
	}
	return nil
}

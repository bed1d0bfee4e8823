package wire

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// PhaseLen is the size of one phase record.
const PhaseLen = 20

// AppendSPAT appends the native encoding of m.
func AppendSPAT(b []byte, m *v2x.SPAT) []byte {
	b = appendU32(b, m.IntersectionID)
	b = appendU16(b, uint16(len(m.Phases)))
	b = appendU16(b, 0)
	for i := range m.Phases {
		ph := &m.Phases[i]
		b = append(b, ph.ID, byte(ph.State), ph.Confidence, 0)
		b = appendU32(b, uint32(ph.Start))
		b = appendU32(b, uint32(ph.MinEnd))
		b = appendU32(b, uint32(ph.LikelyEnd))
		b = appendU32(b, uint32(ph.MaxEnd))
	}
	return b
}

// DecodeSPAT decodes a native SPAT payload into m, reusing m.Phases.
func DecodeSPAT(p []byte, m *v2x.SPAT) error {
	d := dec{b: p}
	m.IntersectionID = d.u32()
	n := int(d.u16())
	d.u16()
	if d.bad {
		return fmt.Errorf("spat: %w: %d-byte header", ErrTruncated, len(p))
	}
	if n > v2x.MaxPhases {
		return fmt.Errorf("spat: %w: %d phases (max %d)", ErrInvalid, n, v2x.MaxPhases)
	}
	if len(d.b) != n*PhaseLen {
		return checkLen(fmt.Sprintf("spat: %d phases", n), len(d.b), n*PhaseLen)
	}
	m.Phases = grow(m.Phases, n)
	for i := range m.Phases {
		ph := &m.Phases[i]
		ph.ID = d.u8()
		ph.State = v2x.LightState(d.u8())
		ph.Confidence = d.u8()
		d.u8()
		ph.Start = d.i32()
		ph.MinEnd = d.i32()
		ph.LikelyEnd = d.i32()
		ph.MaxEnd = d.i32()
	}
	return nil
}

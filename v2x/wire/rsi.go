package wire

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// AppendRSI appends the native encoding of m. Texts longer than
// v2x.MaxText bytes are cut.
func AppendRSI(b []byte, m *v2x.RSI) []byte {
	b = appendU32(b, m.RSUID)
	b = appendU16(b, uint16(len(m.Events)))
	b = appendU16(b, 0)
	for i := range m.Events {
		e := &m.Events[i]
		text := e.Text[:min(len(e.Text), v2x.MaxText)]
		b = appendU16(b, e.ID)
		b = append(b, byte(e.Kind), e.Priority)
		b = appendU16(b, e.Type)
		b = appendU16(b, uint16(len(text)))
		b = appendF64(b, e.Lat)
		b = appendF64(b, e.Lon)
		b = appendF32(b, e.Radius)
		b = appendU64(b, uint64(e.StartNS))
		b = appendU64(b, uint64(e.EndNS))
		b = append(b, text...)
	}
	return b
}

// rsiEventLen is the fixed part of an event record.
const rsiEventLen = 44

// DecodeRSI decodes a native RSI payload into m. RSI is a cold message and
// allocates its event texts.
func DecodeRSI(p []byte, m *v2x.RSI) error {
	d := dec{b: p}
	m.RSUID = d.u32()
	n := int(d.u16())
	d.u16()
	if d.bad {
		return fmt.Errorf("rsi: %w: %d-byte header", ErrTruncated, len(p))
	}
	if n > v2x.MaxEvents {
		return fmt.Errorf("rsi: %w: %d events (max %d)", ErrInvalid, n, v2x.MaxEvents)
	}
	if !d.need(n * rsiEventLen) {
		return fmt.Errorf("rsi: %w: %d events in %d bytes", ErrTruncated, n, len(d.b))
	}
	m.Events = make([]v2x.RoadEvent, n)
	for i := range m.Events {
		e := &m.Events[i]
		e.ID = d.u16()
		e.Kind = v2x.EventKind(d.u8())
		e.Priority = d.u8()
		e.Type = d.u16()
		tl := int(d.u16())
		e.Lat = d.f64()
		e.Lon = d.f64()
		e.Radius = d.f32()
		e.StartNS = d.i64()
		e.EndNS = d.i64()
		if tl > v2x.MaxText {
			return fmt.Errorf("rsi: event %d: %w: text of %d bytes (max %d)", e.ID, ErrInvalid, tl, v2x.MaxText)
		}
		t := d.take(tl)
		if d.bad {
			return fmt.Errorf("rsi: event %d: %w", e.ID, ErrTruncated)
		}
		e.Text = string(t)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("rsi: %w: %d trailing bytes", ErrInvalid, len(d.b))
	}
	return nil
}

package wire

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// ObjectLen is the size of one detected-object record.
const ObjectLen = 60

const objHasCov = 1 << 0

func appendObject(b []byte, o *v2x.DetectedObject) []byte {
	var flags byte
	if o.HasCov {
		flags |= objHasCov
	}
	b = appendU32(b, o.LocalID)
	b = append(b, byte(o.Class), o.Confidence, flags, 0)
	b = appendF64(b, o.Lat)
	b = appendF64(b, o.Lon)
	for _, f := range [...]float32{o.VelE, o.VelN, o.Heading, o.Length, o.Width, o.Height, o.CovEE, o.CovEN, o.CovNN} {
		b = appendF32(b, f)
	}
	return b
}

func decodeObject(d *dec, o *v2x.DetectedObject) {
	o.LocalID = d.u32()
	o.Class = v2x.Class(d.u8())
	o.Confidence = d.u8()
	flags := d.u8()
	o.HasCov = flags&objHasCov != 0
	d.u8()
	o.Lat = d.f64()
	o.Lon = d.f64()
	o.VelE = d.f32()
	o.VelN = d.f32()
	o.Heading = d.f32()
	o.Length = d.f32()
	o.Width = d.f32()
	o.Height = d.f32()
	o.CovEE = d.f32()
	o.CovEN = d.f32()
	o.CovNN = d.f32()
}

// decodeObjects reads a count-prefixed list of object records into dst.
func decodeObjects(d *dec, n int, dst []v2x.DetectedObject) ([]v2x.DetectedObject, error) {
	if n > v2x.MaxObjects {
		return dst[:0], fmt.Errorf("%w: %d objects (max %d)", ErrInvalid, n, v2x.MaxObjects)
	}
	if !d.need(n * ObjectLen) {
		return dst[:0], fmt.Errorf("%w: %d objects need %d bytes, have %d", ErrTruncated, n, n*ObjectLen, len(d.b))
	}
	dst = grow(dst, n)
	for i := range dst {
		decodeObject(d, &dst[i])
	}
	return dst, nil
}

// AppendObjectList appends the native encoding of m.
func AppendObjectList(b []byte, m *v2x.ObjectList) []byte {
	b = appendU32(b, m.SensorID)
	b = appendU16(b, uint16(len(m.Objects)))
	b = appendU16(b, 0)
	for i := range m.Objects {
		b = appendObject(b, &m.Objects[i])
	}
	return b
}

// DecodeObjectList decodes a native ObjectList payload into m, reusing
// m.Objects.
func DecodeObjectList(p []byte, m *v2x.ObjectList) error {
	d := dec{b: p}
	m.SensorID = d.u32()
	n := int(d.u16())
	d.u16()
	if d.bad {
		return fmt.Errorf("objects: %w: %d-byte header", ErrTruncated, len(p))
	}
	var err error
	if m.Objects, err = decodeObjects(&d, n, m.Objects); err != nil {
		return fmt.Errorf("objects: %w", err)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("objects: %w: %d trailing bytes", ErrInvalid, len(d.b))
	}
	return nil
}

// AppendRSM appends the native encoding of m.
func AppendRSM(b []byte, m *v2x.RSM) []byte {
	b = appendU32(b, m.RSUID)
	b = append(b, byte(m.Source), 0)
	b = appendU16(b, uint16(len(m.Participants)))
	for i := range m.Participants {
		b = appendObject(b, &m.Participants[i])
	}
	return b
}

// DecodeRSM decodes a native RSM payload into m, reusing m.Participants.
func DecodeRSM(p []byte, m *v2x.RSM) error {
	d := dec{b: p}
	m.RSUID = d.u32()
	m.Source = v2x.SourceType(d.u8())
	d.u8()
	n := int(d.u16())
	if d.bad {
		return fmt.Errorf("rsm: %w: %d-byte header", ErrTruncated, len(p))
	}
	var err error
	if m.Participants, err = decodeObjects(&d, n, m.Participants); err != nil {
		return fmt.Errorf("rsm: %w", err)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("rsm: %w: %d trailing bytes", ErrInvalid, len(d.b))
	}
	return nil
}

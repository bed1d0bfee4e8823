package wire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// dec is a bounds-checked big-endian cursor over a payload. The first short
// read sets bad; later reads return zero values, so decoders check once.
type dec struct {
	b   []byte
	bad bool
}

func (d *dec) take(n int) []byte {
	if d.bad || len(d.b) < n {
		d.bad = true
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *dec) u8() uint8 {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *dec) u16() uint16 {
	if p := d.take(2); p != nil {
		return binary.BigEndian.Uint16(p)
	}
	return 0
}

func (d *dec) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func (d *dec) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

func (d *dec) i32() int32   { return int32(d.u32()) }
func (d *dec) i64() int64   { return int64(d.u64()) }
func (d *dec) f32() float32 { return math.Float32frombits(d.u32()) }
func (d *dec) f64() float64 { return math.Float64frombits(d.u64()) }

// need reports whether at least n more bytes are available, marking the
// cursor bad otherwise. Decoders use it to check a count before growing.
func (d *dec) need(n int) bool {
	if d.bad || len(d.b) < n {
		d.bad = true
		return false
	}
	return true
}

// checkLen checks that a payload or the rest of one has the size want:
// shorter is truncated (ErrTruncated), longer carries trailing bytes
// (ErrInvalid).
func checkLen(what string, got, want int) error {
	switch {
	case got < want:
		return fmt.Errorf("%s: %w: %d bytes, want %d", what, ErrTruncated, got, want)
	case got > want:
		return fmt.Errorf("%s: %w: %d trailing bytes", what, ErrInvalid, got-want)
	}
	return nil
}

func appendU16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }
func appendF32(b []byte, v float32) []byte {
	return binary.BigEndian.AppendUint32(b, math.Float32bits(v))
}
func appendF64(b []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(b, math.Float64bits(v))
}

// grow returns s with length n, reusing its capacity when it can.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

var errVarint = fmt.Errorf("%w: bad varint", ErrTruncated)

func (d *dec) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0, errVarint
	}
	d.b = d.b[n:]
	return v, nil
}

func (d *dec) varint() (int64, error) {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0, errVarint
	}
	d.b = d.b[n:]
	return v, nil
}

package uper

import (
	"encoding/binary"
	"math/bits"
)

// Decoder reads UPER from a byte slice. The zero value is an empty
// decoder; Reset gives it input.
type Decoder struct {
	b   []byte
	pos int // bit position
	err *Error
}

// Reset starts decoding b from its first bit and clears the error.
func (d *Decoder) Reset(b []byte) { d.b, d.pos, d.err = b, 0, nil }

// Err returns the first error, as an *Error, or nil.
func (d *Decoder) Err() error {
	if d.err == nil {
		return nil
	}
	return d.err
}

// Pos returns the bit position.
func (d *Decoder) Pos() int { return d.pos }

// BytesUsed returns the number of whole bytes the decoded bits span, as
// when a MessageFrame ends and the next begins on a byte boundary.
func (d *Decoder) BytesUsed() int { return (d.pos + 7) / 8 }

func (d *Decoder) fail(field string, err error) {
	if d.err == nil {
		d.err = &Error{Bit: d.pos, Field: field, Err: err}
	}
}

// Bits reads n ≤ 64 bits as an unsigned number, most significant first.
func (d *Decoder) Bits(field string, n int) uint64 {
	if d.err != nil {
		return 0
	}
	if n < 0 || n > 64 || d.pos+n > len(d.b)*8 {
		d.fail(field, ErrTruncated)
		return 0
	}
	if n == 0 {
		return 0
	}
	i, off := d.pos>>3, uint(d.pos&7)
	if off+uint(n) <= 64 && i+8 <= len(d.b) {
		// Fast path: one big-endian load holds all n bits.
		w := binary.BigEndian.Uint64(d.b[i:])
		d.pos += n
		return w << off >> (64 - uint(n))
	}
	var v uint64
	for n > 0 {
		i, off := d.pos>>3, d.pos&7
		take := min(8-off, n)
		c := uint64(d.b[i]>>(8-off-take)) & (1<<take - 1)
		v = v<<take | c
		d.pos += take
		n -= take
	}
	return v
}

// Bool reads a BOOLEAN.
func (d *Decoder) Bool(field string) bool { return d.Bits(field, 1) == 1 }

// rangeBits is the width of a constrained whole number with ub-lb+1 values.
func rangeBits(lb, ub int64) int {
	return bits.Len64(uint64(ub) - uint64(lb))
}

// Constrained reads an INTEGER (lb..ub).
func (d *Decoder) Constrained(field string, lb, ub int64) int64 {
	v := lb + int64(d.Bits(field, rangeBits(lb, ub)))
	if v > ub && d.err == nil {
		d.fail(field, ErrRange)
		return 0
	}
	return v
}

// Length reads an unconstrained length determinant (at most MaxLength; a
// fragmented length is an error).
func (d *Decoder) Length(field string) int {
	b := d.Bits(field, 8)
	switch {
	case b&0x80 == 0:
		return int(b)
	case b&0xc0 == 0x80:
		return int(b&0x3f)<<8 | int(d.Bits(field, 8))
	}
	d.fail(field, ErrFragment)
	return 0
}

// SizedLength reads the length of a SEQUENCE OF or string with SIZE(lb..ub)
// (ub < 65536); with ext, the size constraint is extensible.
func (d *Decoder) SizedLength(field string, lb, ub int, ext bool) int {
	if ext && d.Bool(field) {
		n := d.Length(field)
		if n > MaxLength {
			d.fail(field, ErrLength)
			return 0
		}
		return n
	}
	if lb == ub {
		return lb
	}
	if ub >= 65536 {
		n := d.Length(field)
		if n < lb || n > ub {
			d.fail(field, ErrRange)
			return 0
		}
		return n
	}
	return int(d.Constrained(field, int64(lb), int64(ub)))
}

// SemiConstrained reads an INTEGER (lb..MAX).
func (d *Decoder) SemiConstrained(field string, lb int64) int64 {
	n := d.Length(field)
	if n > 8 {
		d.fail(field, ErrLength)
		return 0
	}
	v := lb + int64(d.Bits(field, 8*n))
	if v < lb {
		d.fail(field, ErrRange) // beyond int64
		return 0
	}
	return v
}

// Unconstrained reads an INTEGER without bounds (at most 8 octets).
func (d *Decoder) Unconstrained(field string) int64 {
	n := d.Length(field)
	if n < 1 || n > 8 {
		d.fail(field, ErrLength)
		return 0
	}
	v := d.Bits(field, 8*n)
	shift := 64 - 8*n
	return int64(v<<shift) >> shift
}

// SmallNumber reads a normally small non-negative whole number (used for
// extension indexes and counts).
func (d *Decoder) SmallNumber(field string) int {
	if !d.Bool(field) {
		return int(d.Bits(field, 6))
	}
	v := d.SemiConstrained(field, 0)
	if v > MaxLength {
		d.fail(field, ErrRange)
		return 0
	}
	return int(v)
}

// Enum reads an ENUMERATED with n root values; with ext, the type is
// extensible and an extension value comes back as n+index, extended true.
func (d *Decoder) Enum(field string, n int, ext bool) (v int, extended bool) {
	if ext && d.Bool(field) {
		return n + d.SmallNumber(field), true
	}
	return int(d.Constrained(field, 0, int64(n-1))), false
}

// Choice reads a CHOICE index among n root alternatives; with ext and an
// extension alternative, extended is true and the caller reads (or skips)
// its value with OpenType.
func (d *Decoder) Choice(field string, n int, ext bool) (idx int, extended bool) {
	return d.Enum(field, n, ext)
}

// Preamble reads a SEQUENCE's extension bit (when ext) and its n ≤ 64
// OPTIONAL/DEFAULT presence bits, first component in the highest bit.
func (d *Decoder) Preamble(field string, ext bool, n int) (extended bool, present uint64) {
	if ext {
		extended = d.Bool(field)
	}
	return extended, d.Bits(field, n)
}

// Octets reads an OCTET STRING of n octets, appending it to dst.
func (d *Decoder) Octets(field string, n int, dst []byte) []byte {
	if n > MaxLength || d.pos+8*n > len(d.b)*8 {
		d.fail(field, ErrTruncated)
		return dst
	}
	if d.err == nil && d.pos&7 == 0 {
		i := d.pos >> 3
		d.pos += 8 * n
		return append(dst, d.b[i:i+n]...)
	}
	for range n {
		dst = append(dst, byte(d.Bits(field, 8)))
	}
	return dst
}

// OpenType reads an open type (a length in octets and that many octets),
// appending its octets to dst.
func (d *Decoder) OpenType(field string, dst []byte) []byte {
	return d.Octets(field, d.openLength(field), dst)
}

// openLength reads an open type's length in octets. The encoding of any
// value is at least one octet (X.691 11.2: an empty one becomes a zero
// octet), so a length of 0 is an error: it is what zero padding looks
// like, not a value.
func (d *Decoder) openLength(field string) int {
	start := d.pos
	n := d.Length(field)
	if n == 0 && d.err == nil {
		d.pos = start // the error points at the length
		d.fail(field, ErrEmptyOpen)
	}
	return n
}

// SkipOpenType skips an open type without copying it.
func (d *Decoder) SkipOpenType(field string) {
	n := d.openLength(field)
	if d.err == nil && d.pos+8*n > len(d.b)*8 {
		d.fail(field, ErrTruncated)
		return
	}
	if d.err == nil {
		d.pos += 8 * n
	}
}

// SkipExtensions skips the extension additions of a SEQUENCE whose
// extension bit was set: a count, a presence bitmap and one open type per
// present addition. It returns the presence bitmap (first addition in the
// highest of count bits) for callers that decode known additions
// themselves; count is the number of additions signalled.
func (d *Decoder) SkipExtensions(field string) (count int, present uint64) {
	count = d.SmallNumber(field) + 1
	if count > 64 {
		d.fail(field, ErrLength)
		return 0, 0
	}
	present = d.Bits(field, count)
	for i := 0; i < count && d.err == nil; i++ {
		if present&(1<<(count-1-i)) != 0 {
			d.SkipOpenType(field)
		}
	}
	return count, present
}

// BitString reads a BIT STRING of n bits into an unsigned number (n ≤ 64),
// first bit highest.
func (d *Decoder) BitString(field string, n int) uint64 { return d.Bits(field, n) }

// Chars reads n characters of a known-multiplier string (IA5String,
// VisibleString, NumericString without a permitted alphabet) of width
// bits each, appending them to dst.
func (d *Decoder) Chars(field string, n, width int, dst []byte) []byte {
	if n > MaxLength || d.pos+width*n > len(d.b)*8 {
		d.fail(field, ErrTruncated)
		return dst
	}
	for range n {
		dst = append(dst, byte(d.Bits(field, width)))
	}
	return dst
}

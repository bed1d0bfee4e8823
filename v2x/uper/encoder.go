package uper

import "fmt"

// Encoder appends UPER to a byte slice, bit by bit. The zero value is
// empty; Reset reuses a buffer. Encoding errors (a value outside its
// constraint) are sticky like decoding errors.
type Encoder struct {
	b   []byte
	n   int // bits written
	err error
}

// Reset empties the encoder, keeping buf's storage.
func (e *Encoder) Reset(buf []byte) { e.b, e.n, e.err = buf[:0], 0, nil }

// Bytes returns the encoding, padded with zero bits to a whole byte, and
// the first error.
func (e *Encoder) Bytes() ([]byte, error) { return e.b, e.err }

func (e *Encoder) fail(field string, format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("uper: encode %s: %s", field, fmt.Sprintf(format, args...))
	}
}

// Bits appends the low n ≤ 64 bits of v, most significant first.
func (e *Encoder) Bits(v uint64, n int) {
	for n > 0 {
		off := e.n & 7
		if off == 0 {
			e.b = append(e.b, 0)
		}
		take := min(8-off, n)
		c := byte(v>>(n-take)) & (1<<take - 1)
		e.b[len(e.b)-1] |= c << (8 - off - take)
		e.n += take
		n -= take
	}
}

// Bool appends a BOOLEAN.
func (e *Encoder) Bool(v bool) {
	if v {
		e.Bits(1, 1)
	} else {
		e.Bits(0, 1)
	}
}

// Constrained appends an INTEGER (lb..ub).
func (e *Encoder) Constrained(field string, v, lb, ub int64) {
	if v < lb || v > ub {
		e.fail(field, "%d outside %d..%d", v, lb, ub)
		return
	}
	e.Bits(uint64(v-lb), rangeBits(lb, ub))
}

// Length appends an unconstrained length determinant.
func (e *Encoder) Length(field string, n int) {
	switch {
	case n < 0 || n > MaxLength:
		e.fail(field, "length %d beyond %d", n, MaxLength)
	case n < 128:
		e.Bits(uint64(n), 8)
	default:
		e.Bits(0x8000|uint64(n), 16)
	}
}

// SizedLength appends a length with SIZE(lb..ub), as SizedLength reads it;
// with ext the constraint is extensible and n outside it is encoded as an
// extension.
func (e *Encoder) SizedLength(field string, n, lb, ub int, ext bool) {
	out := n < lb || n > ub
	if ext {
		e.Bool(out)
		if out {
			e.Length(field, n)
			return
		}
	} else if out {
		e.fail(field, "size %d outside %d..%d", n, lb, ub)
		return
	}
	switch {
	case lb == ub:
	case ub >= 65536:
		e.Length(field, n)
	default:
		e.Constrained(field, int64(n), int64(lb), int64(ub))
	}
}

func octetsFor(v uint64) int {
	n := 1
	for v >= 1<<(8*n) && n < 8 {
		n++
	}
	return n
}

// SemiConstrained appends an INTEGER (lb..MAX).
func (e *Encoder) SemiConstrained(field string, v, lb int64) {
	if v < lb {
		e.fail(field, "%d below %d", v, lb)
		return
	}
	n := octetsFor(uint64(v - lb))
	e.Length(field, n)
	e.Bits(uint64(v-lb), 8*n)
}

// Unconstrained appends an INTEGER without bounds, in the fewest octets.
func (e *Encoder) Unconstrained(v int64) {
	n := 1
	for n < 8 && (v < -(1<<(8*n-1)) || v >= 1<<(8*n-1)) {
		n++
	}
	e.Length("", n)
	e.Bits(uint64(v), 8*n)
}

// SmallNumber appends a normally small non-negative whole number.
func (e *Encoder) SmallNumber(field string, v int) {
	if v < 64 {
		e.Bits(uint64(v), 7)
		return
	}
	e.Bits(1, 1)
	e.SemiConstrained(field, int64(v), 0)
}

// Enum appends an ENUMERATED value among n roots (values ≥ n are
// extensions, allowed only with ext).
func (e *Encoder) Enum(field string, v, n int, ext bool) {
	if ext {
		e.Bool(v >= n)
		if v >= n {
			e.SmallNumber(field, v-n)
			return
		}
	}
	e.Constrained(field, int64(v), 0, int64(n-1))
}

// Choice appends a CHOICE index, as Enum.
func (e *Encoder) Choice(field string, idx, n int, ext bool) { e.Enum(field, idx, n, ext) }

// Preamble appends a SEQUENCE's extension bit (when ext) and n presence
// bits.
func (e *Encoder) Preamble(ext, extended bool, n int, present uint64) {
	if ext {
		e.Bool(extended)
	}
	e.Bits(present, n)
}

// Octets appends the octets of p.
func (e *Encoder) Octets(p []byte) {
	for _, c := range p {
		e.Bits(uint64(c), 8)
	}
}

// OpenType appends p as an open type.
func (e *Encoder) OpenType(field string, p []byte) {
	e.Length(field, len(p))
	e.Octets(p)
}

// Chars appends characters of width bits each.
func (e *Encoder) Chars(p []byte, width int) {
	for _, c := range p {
		e.Bits(uint64(c), width)
	}
}

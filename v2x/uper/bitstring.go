package uper

// BitString is a BIT STRING of at most 64 bits: the first bit is the
// highest of the Len low bits of Bits.
type BitString struct {
	Bits uint64
	Len  uint8
}

// Bit reports whether bit i (0 is the first) is set.
func (s BitString) Bit(i int) bool {
	return i >= 0 && i < int(s.Len) && s.Bits>>(int(s.Len)-1-i)&1 == 1
}

// Set sets bit i (0 is the first); i must be below Len.
func (s *BitString) Set(i int) {
	if i >= 0 && i < int(s.Len) {
		s.Bits |= 1 << (int(s.Len) - 1 - i)
	}
}

// AppendText appends the bits as the characters 0 and 1.
func (s BitString) AppendText(b []byte) []byte {
	for i := int(s.Len) - 1; i >= 0; i-- {
		b = append(b, '0'+byte(s.Bits>>i&1))
	}
	return b
}

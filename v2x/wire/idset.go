package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// IDSetLen is the size of an encoded IDSet.
const IDSetLen = 32

// IDSet is a set of one-byte ids (MAP lane ids, approach ids): a 256-bit
// bitmap, id i being bit i%64 (from the least significant) of word i/64.
// On the wire it is the four words as big-endian u64, word 0 first.
type IDSet [4]uint64

// Add puts id into the set.
func (s *IDSet) Add(id uint8) { s[id>>6] |= 1 << (id & 63) }

// Has reports whether id is in the set.
func (s *IDSet) Has(id uint8) bool { return s[id>>6]&(1<<(id&63)) != 0 }

// IsEmpty reports whether the set has no ids.
func (s *IDSet) IsEmpty() bool { return s[0]|s[1]|s[2]|s[3] == 0 }

// Append appends the encoding of s.
func (s *IDSet) Append(b []byte) []byte {
	for _, w := range s {
		b = appendU64(b, w)
	}
	return b
}

func (s *IDSet) decode(d *dec) {
	for i := range s {
		s[i] = d.u64()
	}
}

// String lists the ids, comma-separated.
func (s IDSet) String() string {
	var b strings.Builder
	for id := 0; id < 256; id++ {
		if s.Has(uint8(id)) {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(id))
		}
	}
	return b.String()
}

// ParseIDSet parses a comma-separated list of ids in 0..255 ("" is the
// empty set).
func ParseIDSet(text string) (IDSet, error) {
	var s IDSet
	if strings.TrimSpace(text) == "" {
		return s, nil
	}
	for _, f := range strings.Split(text, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 8)
		if err != nil {
			return IDSet{}, fmt.Errorf("id %q: want an integer in 0..255", strings.TrimSpace(f))
		}
		s.Add(uint8(n))
	}
	return s, nil
}

package auth

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxIntersections is how many intersection ids one identity's scope can
// name. A signal controller or MAP server is responsible for a handful of
// intersections; a corridor-wide one leaves its scope empty (every
// intersection).
const MaxIntersections = 32

// Intersections is the set of intersection ids (the MAP's and SPAT's
// IntersectionReferenceID.id) an identity may send signal state and MAPs
// for. The zero value is unrestricted: every intersection. It is a value,
// comparable, with no pointers.
type Intersections struct {
	n   uint8
	ids [MaxIntersections]uint32 // sorted, unique
}

// Len is the number of ids named; 0 means every intersection.
func (s Intersections) Len() int { return int(s.n) }

// Any reports whether the set is unrestricted.
func (s Intersections) Any() bool { return s.n == 0 }

// Has reports whether intersection id is in scope.
func (s Intersections) Has(id uint32) bool {
	if s.n == 0 {
		return true
	}
	_, ok := slices.BinarySearch(s.ids[:s.n], id)
	return ok
}

// IDs returns the ids named, sorted.
func (s Intersections) IDs() []uint32 { return slices.Clone(s.ids[:s.n]) }

// String lists the ids, comma-separated, in ascending order; "" when
// unrestricted.
func (s Intersections) String() string {
	var b strings.Builder
	for i, id := range s.ids[:s.n] {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(id), 10))
	}
	return b.String()
}

// ParseIntersections reads a comma-separated list of intersection ids
// (decimal, 0 to 65535 as J2735 and CSAE 53 allow); "" is unrestricted.
func ParseIntersections(s string) (Intersections, error) {
	var set Intersections
	var ids []uint32
	for _, f := range splitList(s) {
		v, err := strconv.ParseUint(f, 10, 16)
		if err != nil {
			return Intersections{}, fmt.Errorf("intersection id %q: want a decimal number 0 to 65535", f)
		}
		ids = append(ids, uint32(v))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > MaxIntersections {
		return Intersections{}, fmt.Errorf("%d intersection ids: at most %d", len(ids), MaxIntersections)
	}
	set.n = uint8(copy(set.ids[:], ids))
	return set, nil
}

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

// Intersections is the set of intersection ids an identity may send signal
// state and MAPs for: the MAP's and SPAT's IntersectionReferenceID (J2735)
// or NodeReferenceID (CSAE 53) as the node keys it, region<<16 | id, so an
// id without a region (region 0) is the id itself. The zero value is unrestricted: every intersection. It is a value,
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

// String lists the ids, comma-separated, in ascending order, each as
// ParseIntersections reads it ("ID", or "REGION/ID" with a region); ""
// when unrestricted.
func (s Intersections) String() string {
	var b strings.Builder
	for i, id := range s.ids[:s.n] {
		if i > 0 {
			b.WriteByte(',')
		}
		if r := id >> 16; r != 0 {
			b.WriteString(strconv.FormatUint(uint64(r), 10))
			b.WriteByte('/')
		}
		b.WriteString(strconv.FormatUint(uint64(id&0xffff), 10))
	}
	return b.String()
}

// ParseIntersections reads a comma-separated list of intersection ids,
// each "ID" or "REGION/ID" (decimal, each 0 to 65535 as J2735 and CSAE 53
// allow; no region is region 0); "" is unrestricted.
func ParseIntersections(s string) (Intersections, error) {
	var set Intersections
	var ids []uint32
	for _, f := range splitList(s) {
		region, id, hasRegion := strings.Cut(f, "/")
		if !hasRegion {
			region, id = "0", f
		}
		r, rerr := strconv.ParseUint(region, 10, 16)
		v, err := strconv.ParseUint(id, 10, 16)
		if err != nil || rerr != nil {
			return Intersections{}, fmt.Errorf("intersection id %q: want ID or REGION/ID, each a decimal number 0 to 65535", f)
		}
		ids = append(ids, uint32(r)<<16|uint32(v))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > MaxIntersections {
		return Intersections{}, fmt.Errorf("%d intersection ids: at most %d", len(ids), MaxIntersections)
	}
	set.n = uint8(copy(set.ids[:], ids))
	return set, nil
}

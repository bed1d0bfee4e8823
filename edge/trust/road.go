package trust

import (
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// road is the MAP's road network as the checks need it, in the current
// ENU frame: every lane as segments with their half-widths, the conflict
// area (the box) as a circle through the lanes' stop-line ends, the
// network's bounding box and the highest speed limit.
type road struct {
	segs             []seg
	boxE, boxN, boxR float64
	minE, minN       float64
	maxE, maxN       float64
	speedLimit       float64 // m/s, 0 if unknown
}

type seg struct{ ae, an, be, bn, half float64 }

func (r *road) known() bool { return len(r.segs) > 0 }

// set takes the lanes of mp, with proj converting the MAP's offsets into
// the current ENU frame.
func (r *road) set(mp *v2x.Map, proj func(e, n float64) (float64, float64)) {
	r.segs = r.segs[:0]
	r.speedLimit, r.boxE, r.boxN, r.boxR = 0, 0, 0, 0
	r.minE, r.minN, r.maxE, r.maxN = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	var ends int
	for i := range mp.Lanes {
		l := &mp.Lanes[i]
		r.speedLimit = math.Max(r.speedLimit, float64(l.SpeedLimit))
		half := math.Max(float64(l.Width), 2.5) / 2
		var pe, pn float64
		for k, p := range l.Nodes {
			e, n := proj(float64(p.E), float64(p.N))
			r.minE, r.minN, r.maxE, r.maxN = math.Min(r.minE, e), math.Min(r.minN, n), math.Max(r.maxE, e), math.Max(r.maxN, n)
			if k == 0 {
				r.boxE += e
				r.boxN += n
				ends++
				if len(l.Nodes) == 1 {
					r.segs = append(r.segs, seg{e, n, e, n, half})
				}
			} else {
				r.segs = append(r.segs, seg{pe, pn, e, n, half})
			}
			pe, pn = e, n
		}
	}
	if ends == 0 {
		return
	}
	r.boxE /= float64(ends)
	r.boxN /= float64(ends)
	for i := range mp.Lanes {
		if l := &mp.Lanes[i]; len(l.Nodes) > 0 {
			e, n := proj(float64(l.Nodes[0].E), float64(l.Nodes[0].N))
			r.boxR = math.Max(r.boxR, math.Hypot(e-r.boxE, n-r.boxN))
		}
	}
}

// distance returns how far e, n lies outside the nearest lane's edge (≤ 0
// on a lane, or inside the box).
func (r *road) distance(e, n float64) float64 {
	d := math.Hypot(e-r.boxE, n-r.boxN) - r.boxR
	for i := range r.segs {
		s := &r.segs[i]
		d = math.Min(d, segDist(s, e, n)-s.half)
	}
	return d
}

// onRoad reports whether e, n is within margin of the road network. Beyond
// the network's bounding box (plus margin) the MAP says nothing, and the
// position passes.
func (r *road) onRoad(e, n, margin float64) bool {
	if e < r.minE-margin || e > r.maxE+margin || n < r.minN-margin || n > r.maxN+margin {
		return true
	}
	// Any lane within margin settles it (distance's minimum is ≤ margin
	// exactly when one of its terms is), tested on squared distances; a
	// test within a relative 1e-9 of the boundary is redone as distance
	// does it, so the answer is distance(e, n) <= margin to the bit.
	if within(e-r.boxE, n-r.boxN, r.boxR, margin) {
		return true
	}
	for i := range r.segs {
		s := &r.segs[i]
		dx, dy := s.be-s.ae, s.bn-s.an
		l2 := dx*dx + dy*dy
		u := 0.0
		if l2 > 0 {
			u = math.Max(0, math.Min(1, ((e-s.ae)*dx+(n-s.an)*dy)/l2))
		}
		if within(e-s.ae-u*dx, n-s.an-u*dy, s.half, margin) {
			return true
		}
	}
	return false
}

// within reports whether math.Hypot(x, y)-half <= margin, by squares
// away from the boundary.
func within(x, y, half, margin float64) bool {
	if r := margin + half; r > 0 {
		d2, r2 := x*x+y*y, r*r
		switch {
		case d2 < r2*(1-1e-9):
			return true
		case d2 > r2*(1+1e-9):
			return false
		}
	}
	return math.Hypot(x, y)-half <= margin
}

// deepInside reports whether e, n lies well inside the box, where no
// vehicle can appear without having driven in from an approach.
func (r *road) deepInside(e, n float64) bool {
	return r.boxR > 10 && math.Hypot(e-r.boxE, n-r.boxN) < r.boxR-8
}

func segDist(s *seg, e, n float64) float64 {
	dx, dy := s.be-s.ae, s.bn-s.an
	l2 := dx*dx + dy*dy
	u := 0.0
	if l2 > 0 {
		u = math.Max(0, math.Min(1, ((e-s.ae)*dx+(n-s.an)*dy)/l2))
	}
	return math.Hypot(e-s.ae-u*dx, n-s.an-u*dy)
}

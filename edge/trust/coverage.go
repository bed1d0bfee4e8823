package trust

import (
	"math"
	"slices"
)

// coverage is the camera coverage learned from the detections. Each camera
// (a detection source: stream and frame source id) marks the cells of a
// grid around the reference point where it detected something, with the
// time; once a second the monitor rebuilds, per camera, the convex hull of
// the cells it saw within CoverageMemory and rasterises it: a cell is
// covered when it lies wholly inside some camera's hull. A camera's field
// of view is convex (a sector), so the hull of what it saw lies inside it:
// the fringe, where a car may stand half seen, does not count, and the
// hull fills in between the roads after a few vehicles have passed. An
// area where no road user ever passed stays uncovered, which only means
// vehicles claimed there are not cross-checked. Learning needs no camera
// calibration and follows cameras that move, fail or come back.
//
// Besides, every cell keeps the time and velocity of its newest detection
// (whatever the camera), for the ghost check's support.
type coverage struct {
	cell    float64
	inv     float64    // 1/cell when that is exact (cell a power of two), else 0
	half    int        // the grid spans [-half, half) cells on each axis
	w       int        // 2·half
	seen    []cellSeen // the newest detection in each cell, whatever the camera
	covered []bool
	cams    []camCoverage
	camNow  int64 // newest camera arrival time (node clock)
	camLast int64 // node time the newest detection arrived
	builtAt int64 // camera time of the last rebuild
	dirty   bool  // a camera saw a cell for the first time since
	pts     []pt  // scratch
	hull    []pt
}

// camCoverage is one camera's record: the camera time each cell last saw
// one of its detections (0: never).
type camCoverage struct {
	stream uint64
	source uint32
	last   int64 // node arrival time of its newest detection
	born   int64 // node arrival time of its first detection
	slot   int   // its index in coverage.cams
	// seen is when it last saw each cell (0: never), for cameras past the
	// first inlineCams; theirs are in the cells (cellSeen.cam). seenAt
	// reads either.
	seen         []int64
	rowLo, rowHi int       // rows with any cell seen
	colLo, colHi int       // ... and columns: every seen cell lies in this box
	ends         []rowEnds // per row
	apex         apex
	// The detection area the camera declared (declared.go), and how many
	// of its detections lay inside and outside it.
	decl            sector
	declRaw         Sector
	hasDecl         bool
	declIn, declOut int
}

// rowEnds is, for one row of a camera's cells, where rebuild looks for
// the outermost cells seen within memory: every cell of the row the
// camera saw lies in [lo, hi], or was last seen before the memory of an
// earlier rebuild (and so is still stale: a new detection there goes
// through mark, which widens the ends). tLo and tHi are the seen times of
// the two end cells. Rebuild takes a row's outermost fresh cells from
// here, scanning the row inwards only when an end cell went stale, so
// that it does not read every row of a camera's grid (a cache miss each)
// on every rebuild. Empty: lo > hi.
type rowEnds struct {
	lo, hi   int32
	tLo, tHi int64
}

// emptyEnds sets every row of ends empty.
func emptyEnds(ends []rowEnds) {
	for j := range ends {
		ends[j] = rowEnds{lo: math.MaxInt32, hi: -1}
	}
}

// apex estimates where a camera stands from the shape of its detections'
// position uncertainty. A camera measures bearing better than range, so
// the error ellipse of a detection is longer along the line of sight:
// the lines through the detections along their ellipses' major axes meet
// at the camera. The point nearest to all of them (least squares, each
// line weighted by how elongated its ellipse is) is the camera's position
// once the lines come from several directions and pass close to it. A
// field of view is a sector with the camera at its apex, so the apex
// belongs to the convex hull of what the camera sees: with it the hull
// covers the ground between the camera and its detections at once,
// instead of after traffic has passed everywhere.
type apex struct {
	a11, a12, a22 float64 // Σ w (I - u uᵀ)
	b1, b2        float64 // Σ w (I - u uᵀ) p
	c             float64 // Σ w pᵀ (I - u uᵀ) p
	w             float64 // Σ w
	n             int     // lines
}

// Apex acceptance: enough lines, from directions spread enough that the
// estimate is determined in both axes, meeting within apexResidual (RMS,
// metres) of the estimate; detections whose ellipse is rounder than
// apexMinElongation say nothing about the line of sight.
const (
	apexMinLines      = 30
	apexMinSpread     = 0.05 // smallest eigenvalue of Σ w (I - u uᵀ), per unit of weight
	apexResidual      = 1.5
	apexMinElongation = 0.2 // (λ1-λ2)/(λ1+λ2)
	apexMaxLines      = 1 << 16
)

// add takes the line through e, n along the major axis of the covariance,
// up to apexMaxLines (by then the estimate is settled; a camera re-aimed
// on its stream loses its declaration or, reconnected, starts afresh).
func (a *apex) add(e, n float64, ee, en, nn float32) {
	if ee <= 0 || nn <= 0 || a.n >= apexMaxLines {
		return
	}
	d, tr := float64(ee)-float64(nn), float64(ee)+float64(nn)
	r2 := d*d + 4*float64(en)*float64(en)
	if r2 < apexMinElongation*apexMinElongation*tr*tr {
		return // as below, without the square root: round ellipses are the common case
	}
	r := math.Sqrt(r2)
	w := r / tr // (λ1-λ2)/(λ1+λ2)
	if w < apexMinElongation {
		return
	}
	th := 0.5 * math.Atan2(2*float64(en), d) // major axis, from east
	ux, uy := math.Cos(th), math.Sin(th)
	m11, m12, m22 := 1-ux*ux, -ux*uy, 1-uy*uy
	a.a11 += w * m11
	a.a12 += w * m12
	a.a22 += w * m22
	a.b1 += w * (m11*e + m12*n)
	a.b2 += w * (m12*e + m22*n)
	a.c += w * (e*(m11*e+m12*n) + n*(m12*e+m22*n))
	a.w += w
	a.n++
}

// estimate returns the camera's position when the lines determine it.
func (a *apex) estimate() (e, n float64, ok bool) {
	if a.n < apexMinLines {
		return 0, 0, false
	}
	tr, det := a.a11+a.a22, a.a11*a.a22-a.a12*a.a12
	lmin := tr/2 - math.Sqrt(math.Max(0, tr*tr/4-det))
	if lmin < apexMinSpread*a.w || det <= 0 {
		return 0, 0, false
	}
	e = (a.a22*a.b1 - a.a12*a.b2) / det
	n = (a.a11*a.b2 - a.a12*a.b1) / det
	res := a.c - 2*(e*a.b1+n*a.b2) + e*(a.a11*e+a.a12*n) + n*(a.a12*e+a.a22*n)
	if res/a.w > apexResidual*apexResidual {
		return 0, 0, false
	}
	return e, n, true
}

type pt struct{ x, y float64 }

// cellSeen is the newest detection in a cell: its arrival time (0: none)
// and velocity, together so that marking a detection touches one cache
// line of the grid and not three; and when each of the first inlineCams
// cameras last saw the cell (0: never), in the same 64 bytes, so that a
// detection's two marks (the cell's newest, the camera's) are one cache
// line.
type cellSeen struct {
	t      int64
	ve, vn int16   // velocity of the newest detection in the cell, cm/s
	pe, pn float32 // ... its position
	occ    float32 // ... and half its larger dimension when it may hide what is behind it (occluderHalf), else 0
	cam    [inlineCams]int64
}

// inlineCams is how many cameras keep their cell times in the cells
// (cellSeen.cam): with them a cell is 64 bytes, one cache line (the grid
// is page-aligned). An intersection's cameras are usually fewer; the
// others keep theirs in an array of their own (camCoverage.seen).
const inlineCams = 5

// seenAt returns the time camera cm last saw cell k (0: never).
func (c *coverage) seenAt(cm *camCoverage, k int) int64 {
	if cm.seen == nil {
		return c.seen[k].cam[cm.slot]
	}
	return cm.seen[k]
}

// clearSeen forgets every cell camera cm saw.
func (c *coverage) clearSeen(cm *camCoverage) {
	if cm.seen != nil {
		clear(cm.seen)
		return
	}
	for k := range c.seen {
		c.seen[k].cam[cm.slot] = 0
	}
}

// cmps converts a velocity (m/s) to a cell's cm/s, saturating.
func cmps(v float32) int16 { return int16(max(-32767, min(32767, v*100))) }

// Grid and camera bounds: cameras at an intersection see up to about
// 150 m from it; beyond maxCameras sources, further cameras only feed the
// ghost support.
const (
	coverageSpan = 256.0
	maxCameras   = 16
)

func newCoverage(cell float64) coverage {
	half := int(math.Ceil(coverageSpan / cell))
	n := 2 * half * 2 * half
	var inv float64
	if frac, _ := math.Frexp(cell); frac == 0.5 {
		inv = 1 / cell // exact: x*inv == x/cell for every x
	}
	return coverage{cell: cell, inv: inv, half: half, w: 2 * half, seen: make([]cellSeen, n),
		covered: make([]bool, n), cams: make([]camCoverage, 0, maxCameras)}
}

// index returns the cell of a position, or -1 outside the grid.
func (c *coverage) index(e, n float64) int {
	k, _ := c.cellOf(e, n)
	return k
}

// cellOf returns the cell of a position and its row, or -1 outside the
// grid.
func (c *coverage) cellOf(e, n float64) (k, row int) {
	if c.inv != 0 {
		e, n = e*c.inv, n*c.inv // the same as dividing, without two divisions per detection
	} else {
		e, n = e/c.cell, n/c.cell
	}
	i, j := int(math.Floor(e))+c.half, int(math.Floor(n))+c.half
	if i < 0 || j < 0 || i >= c.w || j >= c.w {
		return -1, -1
	}
	return j*c.w + i, j
}

// camReuseAfter is how long a camera record's stream must have been
// silent before a new stream may take its place.
const camReuseAfter = int64(2e9)

// camera returns the record of a detection source (stream and sensor id)
// at node time now, or nil when there are too many. A sensor that comes
// back on a new stream, its old stream silent, starts its coverage anew:
// a camera that reconnects may have been re-aimed, and what it saw
// before must not count as seen by it now (an area it no longer sees
// would make every vehicle there a ghost). When the records are full, a
// new source takes the place of the one silent longest, if it is silent.
func (c *coverage) camera(stream uint64, source uint32, now int64) *camCoverage {
	var same, oldest *camCoverage // silent records: of this sensor, of any
	for i := range c.cams {
		cm := &c.cams[i]
		if cm.stream == stream && cm.source == source {
			return cm
		}
		if now-cm.last < camReuseAfter {
			continue
		}
		if cm.source == source {
			same = cm
		}
		if oldest == nil || cm.last < oldest.last {
			oldest = cm
		}
	}
	take := same
	if take == nil && len(c.cams) == maxCameras {
		take = oldest
	}
	if take != nil {
		c.clearSeen(take)
		emptyEnds(take.ends)
		take.stream, take.source, take.last, take.rowLo, take.rowHi, take.colLo, take.colHi = stream, source, 0, c.w, -1, c.w, -1
		take.apex, take.born = apex{}, 0
		take.hasDecl, take.declIn, take.declOut = false, 0, 0 // a new stream declares anew
		c.dirty, c.builtAt = true, 0                          // forget what it stood for at the next rebuild
		return take
	}
	if len(c.cams) == maxCameras {
		return nil
	}
	cm := camCoverage{stream: stream, source: source, slot: len(c.cams), rowLo: c.w, rowHi: -1, colLo: c.w, colHi: -1,
		ends: make([]rowEnds, c.w)}
	if cm.slot >= inlineCams {
		cm.seen = make([]int64, len(c.seen))
	}
	emptyEnds(cm.ends)
	c.cams = append(c.cams, cm)
	return &c.cams[len(c.cams)-1]
}

// mark records a detection of a camera at e, n moving at ve, vn, captured
// at t (camera, on the node clock) and arrived at ingest. The cells keep
// arrival times: capture times of different cameras are only as
// consistent as their clock corrections, arrival times share one clock.
func (c *coverage) mark(cm *camCoverage, e, n float64, ve, vn float32, t, ingest int64, ee, en, nn, occ float32) {
	c.camNow = max(c.camNow, t)
	c.camLast = max(c.camLast, ingest)
	k, row := c.cellOf(e, n)
	if k < 0 {
		return
	}
	t = ingest // one clock for every camera: arrival on the node clock
	if s := &c.seen[k]; t >= s.t {
		s.t, s.ve, s.vn, s.pe, s.pn, s.occ = t, cmps(ve), cmps(vn), float32(e), float32(n), occ
	}
	if cm != nil {
		cm.last = max(cm.last, t)
		if cm.born == 0 {
			cm.born = t
		}
		cm.markCell(c, k, row, t, e, n, ee, en, nn)
	}
}

// markCell records the camera's detection at e, n (position covariance
// ee, en, nn) arrived at t, in cell k of row row.
func (cm *camCoverage) markCell(c *coverage, k, row int, t int64, e, n float64, ee, en, nn float32) {
	var p *int64 // the camera's time of cell k
	if cm.seen != nil {
		p = &cm.seen[k]
	} else {
		p = &c.seen[k].cam[cm.slot]
	}
	if *p == 0 {
		c.dirty = true // a new cell: rebuild soon
	}
	*p = max(*p, t)
	col := k - row*c.w
	if r := &cm.ends[row]; int32(col) <= r.lo || int32(col) >= r.hi {
		if int32(col) <= r.lo {
			r.lo, r.tLo = int32(col), *p
		}
		if int32(col) >= r.hi {
			r.hi, r.tHi = int32(col), *p
		}
	}
	cm.apex.add(e, n, ee, en, nn)
	cm.judgeDecl(e, n, ee, nn)
	cm.rowLo, cm.rowHi = min(cm.rowLo, row), max(cm.rowHi, row)
	cm.colLo, cm.colHi = min(cm.colLo, col), max(cm.colHi, col)
}

// alive reports whether cameras are reporting as of node time now.
func (c *coverage) alive(now int64, within int64) bool {
	return c.camLast > 0 && now-c.camLast <= within
}

// learning reports whether some running camera (a detection within
// alive) sent its first detection less than learn ago: its coverage is
// still being learned.
func (c *coverage) learning(now, alive, learn int64) bool {
	for i := range c.cams {
		cm := &c.cams[i]
		if cm.hasDecl && cm.declBelieved() {
			continue // it said what it sees
		}
		if cm.born != 0 && now-cm.last <= alive && now-cm.born < learn {
			return true
		}
	}
	return false
}

// mayCover reports whether e, n lies where cameras may see: anywhere on
// the grid (coverageSpan of the reference point). Where cameras have
// shown nothing yet, nothing says they do not see: a camera's range is
// known only once traffic has passed at its far end.
func (c *coverage) mayCover(e, n float64) bool { return c.index(e, n) >= 0 }

// isCovered reports whether e, n lies in the learned coverage.
func (c *coverage) isCovered(e, n float64) bool {
	k := c.index(e, n)
	return k >= 0 && c.covered[k]
}

// rebuild recomputes the covered cells from the cameras' cells seen within
// memory: once per second of camera time, to forget, and at most ten
// times a second while cameras see new cells, to learn fast.
func (c *coverage) rebuild(memory int64) {
	if d := c.camNow - c.builtAt; d < 1e9 && !(c.dirty && d >= 100e6) {
		return
	}
	c.builtAt, c.dirty = c.camNow, false
	clear(c.covered)
	since := c.camNow - memory
	for i := range c.cams {
		cm := &c.cams[i]
		if cm.hasDecl && cm.declBelieved() {
			continue // what it declares replaces what it is learned to see
		}
		// Hull candidates: the centres of the outermost seen cells of each
		// row; a cell counts when its centre lies in the hull, so coverage
		// reaches at most half a cell beyond the outermost cells seen.
		c.pts = c.pts[:0]
		for j := cm.rowLo; j <= cm.rowHi; j++ {
			lo, hi, ok := c.freshEnds(cm, j, since)
			if !ok {
				continue
			}
			y0 := float64(j-c.half) + 0.5
			c.pts = append(c.pts, pt{float64(lo-c.half) + 0.5, y0}, pt{float64(hi-c.half) + 0.5, y0})
		}
		if e, n, ok := cm.apex.estimate(); ok && len(c.pts) >= 4 {
			c.pts = append(c.pts, pt{e / c.cell, n / c.cell})
		} else if len(c.pts) < 6 { // fewer than three rows: no area yet
			continue
		}
		c.hull = convexHull(c.pts, c.hull[:0])
		c.fill(c.hull)
	}
	for i := range c.cams {
		if cm := &c.cams[i]; !cm.hasDecl || !cm.declBelieved() {
			c.fillSector(cm, since)
		}
	}
}

// freshEnds returns the outermost cells of row j (w cells) that the
// camera saw after since, moving the row's ends inwards past cells gone
// stale (rowEnds); since never decreases between calls.
func (c *coverage) freshEnds(cm *camCoverage, j int, since int64) (lo, hi int, ok bool) {
	r := &cm.ends[j]
	if r.lo > r.hi {
		return 0, 0, false
	}
	fresh := func(t int64) bool { return t > since && t != 0 }
	if !fresh(r.tLo) || !fresh(r.tHi) {
		at := func(x int) int64 { return c.seenAt(cm, j*c.w+x) }
		l := int(r.lo)
		for l <= int(r.hi) && !fresh(at(l)) {
			l++
		}
		if l > int(r.hi) { // the whole row went stale
			*r = rowEnds{lo: math.MaxInt32, hi: -1}
			return 0, 0, false
		}
		h := int(r.hi)
		for !fresh(at(h)) {
			h--
		}
		r.lo, r.tLo, r.hi, r.tHi = int32(l), at(l), int32(h), at(h)
	}
	return int(r.lo), int(r.hi), true
}

// fillSector marks the cells inside the sector a camera whose position
// is known (apex) has shown it sees: from its position, between the
// outermost bearings of the cells it saw within memory, out to the
// farthest of them. A field of view is such a sector, wider and deeper
// than what was seen, so the estimate lies inside it. Cell centres stand
// for detections anywhere in the cell: each bearing and range is taken
// at the cell's worst corner, so the margin is half a cell's diagonal.
func (c *coverage) fillSector(cm *camCoverage, since int64) {
	ae, an, ok := cm.apex.estimate()
	if !ok {
		return
	}
	half := c.cell * math.Sqrt2 / 2
	var ref, lo, hi, far float64
	first := true
	for j := cm.rowLo; j <= cm.rowHi; j++ {
		for x := cm.colLo; x <= cm.colHi; x++ {
			if t := c.seenAt(cm, j*c.w+x); t == 0 || t <= since {
				continue
			}
			de := (float64(x-c.half)+0.5)*c.cell - ae
			dn := (float64(j-c.half)+0.5)*c.cell - an
			r := math.Hypot(de, dn)
			if r < sectorMinRange {
				continue
			}
			b := math.Atan2(de, dn)
			if first {
				ref, lo, hi, first = b, math.Inf(1), math.Inf(-1), false
			}
			d := math.Remainder(b-ref, 2*math.Pi)
			m := math.Asin(half/r) + sectorBearingMargin
			lo, hi = math.Min(lo, d+m), math.Max(hi, d-m)
			far = math.Max(far, r-half-sectorRangeMargin)
		}
	}
	if first || hi-lo <= 0 || hi-lo > sectorMaxSpan || far < sectorMinRange {
		return
	}
	// Rasterise: cells whose centre lies within the sector.
	i0, i1 := int(math.Floor((ae-far)/c.cell))+c.half, int(math.Floor((ae+far)/c.cell))+c.half
	j0, j1 := int(math.Floor((an-far)/c.cell))+c.half, int(math.Floor((an+far)/c.cell))+c.half
	for j := max(j0, 0); j <= min(j1, c.w-1); j++ {
		dn := (float64(j-c.half)+0.5)*c.cell - an
		for i := max(i0, 0); i <= min(i1, c.w-1); i++ {
			de := (float64(i-c.half)+0.5)*c.cell - ae
			if de*de+dn*dn > far*far {
				continue
			}
			if d := math.Remainder(math.Atan2(de, dn)-ref, 2*math.Pi); d >= lo && d <= hi {
				c.covered[j*c.w+i] = true
			}
		}
	}
}

// Sector bounds: cells nearer the camera than sectorMinRange say little
// about its bearings; a span wider than sectorMaxSpan is no camera's.
// Detections lie off their objects by the camera's noise, most along the
// line of sight and growing with range (about a metre at 100 m): the
// sector's depth and bearings keep margins of several sigmas inside what
// was seen.
const (
	sectorRangeMargin   = 5.0                 // m
	sectorBearingMargin = 1.5 * math.Pi / 180 // rad
	sectorMinRange      = 8.0                 // m
	sectorMaxSpan       = 150 * math.Pi / 180 // rad
)

// fill marks the cells whose centre lies inside (or on) a convex polygon
// (counter-clockwise, in cell units): per row of cells, the span of the
// polygon on the line through the row's centres.
func (c *coverage) fill(h []pt) {
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, p := range h {
		minY, maxY = math.Min(minY, p.y), math.Max(maxY, p.y)
	}
	for y := int(math.Floor(minY)); float64(y)+0.5 <= maxY; y++ {
		l, r := span(h, float64(y)+0.5)
		lo, hi := int(math.Ceil(l-0.5-1e-9)), int(math.Floor(r-0.5+1e-9))
		j := y + c.half
		if j < 0 || j >= c.w {
			continue
		}
		for x := max(lo, -c.half); x <= min(hi, c.half-1); x++ {
			c.covered[j*c.w+x+c.half] = true
		}
	}
}

// span returns the x interval of a convex polygon on the line at y (empty,
// left > right, when the line misses it).
func span(h []pt, y float64) (l, r float64) {
	l, r = math.Inf(1), math.Inf(-1)
	for i := range h {
		a, b := h[i], h[(i+1)%len(h)]
		if (a.y > y) == (b.y > y) && a.y != y {
			continue
		}
		var x float64
		if a.y == b.y {
			l, r = math.Min(l, math.Min(a.x, b.x)), math.Max(r, math.Max(a.x, b.x))
			continue
		}
		x = a.x + (y-a.y)*(b.x-a.x)/(b.y-a.y)
		l, r = math.Min(l, x), math.Max(r, x)
	}
	return l, r
}

// inside reports whether x, y lies inside or on a counter-clockwise
// convex polygon.
func inside(h []pt, x, y float64) bool {
	for i := range h {
		a, b := h[i], h[(i+1)%len(h)]
		if (b.x-a.x)*(y-a.y)-(b.y-a.y)*(x-a.x) < 0 {
			return false
		}
	}
	return true
}

// convexHull appends the convex hull of ps (sorted in place) to dst,
// counter-clockwise (Andrew's monotone chain).
func convexHull(ps []pt, dst []pt) []pt {
	slices.SortFunc(ps, func(a, b pt) int {
		if a.x != b.x {
			if a.x < b.x {
				return -1
			}
			return 1
		}
		if a.y < b.y {
			return -1
		}
		if a.y > b.y {
			return 1
		}
		return 0
	})
	turn := func(o, a, b pt) float64 { return (a.x-o.x)*(b.y-o.y) - (a.y-o.y)*(b.x-o.x) }
	for _, p := range ps { // lower hull
		for len(dst) >= 2 && turn(dst[len(dst)-2], dst[len(dst)-1], p) <= 0 {
			dst = dst[:len(dst)-1]
		}
		dst = append(dst, p)
	}
	lower := len(dst) + 1
	for i := len(ps) - 2; i >= 0; i-- { // upper hull
		p := ps[i]
		for len(dst) >= lower && turn(dst[len(dst)-2], dst[len(dst)-1], p) <= 0 {
			dst = dst[:len(dst)-1]
		}
		dst = append(dst, p)
	}
	return dst[:len(dst)-1]
}

// newestNear returns the newest time of a detection within r metres of
// e, n whose velocity is within dv of ve, vn: a camera object that could
// be the claimed vehicle (a car crossing the spot where a stopped ghost is
// claimed does not support it). Each cell keeps its newest detection
// only, whose position must lie within r (not the cell: a 4 m cell's
// corner reaches 5.7 m beyond the radius, and a ghost parked beside a
// real car would be supported by it).
func (c *coverage) newestNear(e, n, r, ve, vn, dv float64) int64 {
	i0, i1 := int(math.Floor((e-r)/c.cell))+c.half, int(math.Floor((e+r)/c.cell))+c.half
	j0, j1 := int(math.Floor((n-r)/c.cell))+c.half, int(math.Floor((n+r)/c.cell))+c.half
	var t int64
	for j := max(j0, 0); j <= min(j1, c.w-1); j++ {
		for i := max(i0, 0); i <= min(i1, c.w-1); i++ {
			k := j*c.w + i
			if s := &c.seen[k]; s.t > t && math.Hypot(float64(s.ve)/100-ve, float64(s.vn)/100-vn) <= dv &&
				math.Hypot(float64(s.pe)-e, float64(s.pn)-n) <= r {
				t = s.t
			}
		}
	}
	return t
}

// reset forgets the coverage (a new reference frame).
func (c *coverage) reset() {
	clear(c.seen)
	clear(c.covered)
	for i := range c.cams {
		clear(c.cams[i].seen) // the others' are in c.seen
		c.cams[i].rowLo, c.cams[i].rowHi, c.cams[i].colLo, c.cams[i].colHi = c.w, -1, c.w, -1
		emptyEnds(c.cams[i].ends)
		c.cams[i].apex, c.cams[i].born = apex{}, 0
		c.cams[i].declIn, c.cams[i].declOut = 0, 0 // the sectors stay: Monitor.Reproject moves them
	}
	c.builtAt = 0
}

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
	half    int // the grid spans [-half, half) cells on each axis
	w       int // 2·half
	seen    []int64
	ve, vn  []float32 // velocity of the newest detection in the cell
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
	stream       uint64
	source       uint32
	last         int64 // node arrival time of its newest detection
	seen         []int64
	rowLo, rowHi int // rows with any cell seen
}

type pt struct{ x, y float64 }

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
	return coverage{cell: cell, half: half, w: 2 * half, seen: make([]int64, n), ve: make([]float32, n), vn: make([]float32, n),
		covered: make([]bool, n), cams: make([]camCoverage, 0, maxCameras)}
}

// index returns the cell of a position, or -1 outside the grid.
func (c *coverage) index(e, n float64) int {
	i, j := int(math.Floor(e/c.cell))+c.half, int(math.Floor(n/c.cell))+c.half
	if i < 0 || j < 0 || i >= c.w || j >= c.w {
		return -1
	}
	return j*c.w + i
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
		clear(take.seen)
		take.stream, take.source, take.last, take.rowLo, take.rowHi = stream, source, 0, c.w, -1
		c.dirty, c.builtAt = true, 0 // forget what it stood for at the next rebuild
		return take
	}
	if len(c.cams) == maxCameras {
		return nil
	}
	c.cams = append(c.cams, camCoverage{stream: stream, source: source, seen: make([]int64, len(c.seen)), rowLo: c.w, rowHi: -1})
	return &c.cams[len(c.cams)-1]
}

// mark records a detection of a camera at e, n moving at ve, vn, captured
// at t (camera, on the node clock) and arrived at ingest. The cells keep
// arrival times: capture times of different cameras are only as
// consistent as their clock corrections, arrival times share one clock.
func (c *coverage) mark(cm *camCoverage, e, n float64, ve, vn float32, t, ingest int64) {
	c.camNow = max(c.camNow, t)
	c.camLast = max(c.camLast, ingest)
	k := c.index(e, n)
	if k < 0 {
		return
	}
	t = ingest // one clock for every camera: arrival on the node clock
	if t >= c.seen[k] {
		c.seen[k], c.ve[k], c.vn[k] = t, ve, vn
	}
	if cm != nil {
		cm.last = max(cm.last, t)
		if cm.seen[k] == 0 {
			c.dirty = true // a new cell: rebuild soon
		}
		cm.seen[k] = max(cm.seen[k], t)
		cm.rowLo, cm.rowHi = min(cm.rowLo, k/c.w), max(cm.rowHi, k/c.w)
	}
}

// alive reports whether cameras are reporting as of node time now.
func (c *coverage) alive(now int64, within int64) bool {
	return c.camLast > 0 && now-c.camLast <= within
}

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
		// Hull candidates: the centres of the outermost seen cells of each
		// row; a cell counts when its centre lies in the hull, so coverage
		// reaches at most half a cell beyond the outermost cells seen.
		c.pts = c.pts[:0]
		for j := cm.rowLo; j <= cm.rowHi; j++ {
			row := cm.seen[j*c.w : (j+1)*c.w]
			lo, hi := -1, -1
			for x, t := range row {
				if t > since && t != 0 {
					if lo < 0 {
						lo = x
					}
					hi = x
				}
			}
			if lo < 0 {
				continue
			}
			y0 := float64(j-c.half) + 0.5
			c.pts = append(c.pts, pt{float64(lo-c.half) + 0.5, y0}, pt{float64(hi-c.half) + 0.5, y0})
		}
		if len(c.pts) < 6 { // fewer than three rows: no area yet
			continue
		}
		c.hull = convexHull(c.pts, c.hull[:0])
		c.fill(c.hull)
	}
}

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

// newestNear returns the newest time of a detection within r metres (by
// cells) of e, n whose velocity is within dv of ve, vn: a camera object
// that could be the claimed vehicle (a car crossing the spot where a
// stopped ghost is claimed does not support it).
func (c *coverage) newestNear(e, n, r, ve, vn, dv float64) int64 {
	i0, i1 := int(math.Floor((e-r)/c.cell))+c.half, int(math.Floor((e+r)/c.cell))+c.half
	j0, j1 := int(math.Floor((n-r)/c.cell))+c.half, int(math.Floor((n+r)/c.cell))+c.half
	var t int64
	for j := max(j0, 0); j <= min(j1, c.w-1); j++ {
		for i := max(i0, 0); i <= min(i1, c.w-1); i++ {
			k := j*c.w + i
			if c.seen[k] > t && math.Hypot(float64(c.ve[k])-ve, float64(c.vn[k])-vn) <= dv {
				t = c.seen[k]
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
		clear(c.cams[i].seen)
		c.cams[i].rowLo, c.cams[i].rowHi = c.w, -1
	}
	c.builtAt = 0
}

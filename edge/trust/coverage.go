package trust

import "math"

// coverage is the camera coverage learned from the detections: a grid of
// cells around the reference point, each with the camera time of the
// newest detection in it. A cell is covered when it and its four
// neighbours had a detection within CoverageMemory: requiring the
// neighbours erodes the learned area by one cell, so that the fringe of a
// camera's field of view, where a car may stand half seen, does not count.
// Learning needs no camera calibration and follows cameras that move,
// fail or come back; an area where no road user ever passed is not
// covered, which only means vehicles claimed there are not cross-checked.
type coverage struct {
	cell    float64
	half    int // the grid spans [-half, half) cells on each axis
	seen    []int64
	camNow  int64 // newest camera capture time
	camLast int64 // node time the newest detection arrived
}

// coverageSpan is the half-width of the grid in metres: cameras at an
// intersection see up to about 150 m from it.
const coverageSpan = 256.0

func newCoverage(cell float64) coverage {
	half := int(math.Ceil(coverageSpan / cell))
	n := 2 * half * 2 * half
	return coverage{cell: cell, half: half, seen: make([]int64, n)}
}

// index returns the cell of a position, or -1 outside the grid.
func (c *coverage) index(e, n float64) int {
	i, j := int(math.Floor(e/c.cell))+c.half, int(math.Floor(n/c.cell))+c.half
	w := 2 * c.half
	if i < 0 || j < 0 || i >= w || j >= w {
		return -1
	}
	return j*w + i
}

// mark records a detection at e, n, captured at t (camera, on the node
// clock) and arrived at ingest.
func (c *coverage) mark(e, n float64, t, ingest int64) {
	c.camNow = max(c.camNow, t)
	c.camLast = max(c.camLast, ingest)
	if k := c.index(e, n); k >= 0 {
		c.seen[k] = max(c.seen[k], t)
	}
}

// alive reports whether cameras are reporting as of node time now.
func (c *coverage) alive(now int64, within int64) bool {
	return c.camLast > 0 && now-c.camLast <= within
}

// covered reports whether e, n lies in the learned coverage.
func (c *coverage) covered(e, n float64, memory int64) bool {
	k := c.index(e, n)
	if k < 0 {
		return false
	}
	w := 2 * c.half
	i, j := k%w, k/w
	if i == 0 || j == 0 || i == w-1 || j == w-1 {
		return false
	}
	since := c.camNow - memory
	return c.seen[k] > since && c.seen[k-1] > since && c.seen[k+1] > since && c.seen[k-w] > since && c.seen[k+w] > since
}

// newestNear returns the newest detection time within r metres (by
// cells) of e, n.
func (c *coverage) newestNear(e, n, r float64) int64 {
	w := 2 * c.half
	i0, i1 := int(math.Floor((e-r)/c.cell))+c.half, int(math.Floor((e+r)/c.cell))+c.half
	j0, j1 := int(math.Floor((n-r)/c.cell))+c.half, int(math.Floor((n+r)/c.cell))+c.half
	var t int64
	for j := max(j0, 0); j <= min(j1, w-1); j++ {
		for i := max(i0, 0); i <= min(i1, w-1); i++ {
			t = max(t, c.seen[j*w+i])
		}
	}
	return t
}

// reset forgets the coverage (a new reference frame).
func (c *coverage) reset() {
	clear(c.seen)
}

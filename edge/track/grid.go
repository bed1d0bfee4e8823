package track

import "math"

// grid is a uniform spatial hash of track positions: square cells of
// g.cell metres hashed into a fixed table, with the tracks of a bucket
// chained through next and prev. It is built once and then kept up to date
// as tracks move (move) and are born (add), until tracks are deleted or
// reframed (invalidate): a cycle of small frames (single BSMs) then costs
// the tracks they touch, not a rebuild over every track per frame.
// Building, updating and querying allocate nothing once the slices have
// grown.
type grid struct {
	cell float64 // cell size, metres: the largest distance a query must reach
	head []int32 // per bucket: first track index, -1 if none
	next []int32 // per track: next track index in its bucket, -1 at the end
	prev []int32 // per track: previous track index in its bucket, -1 at the head
	bkt  []int32 // per track: its bucket
	// px, py hold each track's position, always current (setPos) even
	// before the track is re-linked into its new cell: queries reject far
	// candidates here, in 16 bytes a track, without touching the tracks.
	px, py []float64
	valid  bool // the grid indexes tracks [0, len(bkt)) at their positions
}

// gridBuckets is the hash table size, a power of two.
const gridBuckets = 1024

func (g *grid) cellOf(x, y float64) (int64, int64) {
	return int64(math.Floor(x / g.cell)), int64(math.Floor(y / g.cell))
}

func bucket(cx, cy int64) int {
	return int(uint64(cx*73856093^cy*19349663) & (gridBuckets - 1))
}

func (g *grid) bucketOf(x, y float64) int32 { return int32(bucket(g.cellOf(x, y))) }

// build indexes n tracks whose positions pos returns.
func (g *grid) build(n int, pos func(i int) (float64, float64)) {
	if g.head == nil {
		g.head = make([]int32, gridBuckets)
	}
	for i := range g.head {
		g.head[i] = -1
	}
	g.next, g.prev, g.bkt, g.px, g.py = g.next[:0], g.prev[:0], g.bkt[:0], g.px[:0], g.py[:0]
	for i := 0; i < n; i++ {
		g.add(pos(i))
	}
	g.valid = true
}

// add indexes the next track (index len(g.bkt)) at (x, y).
func (g *grid) add(x, y float64) {
	i := int32(len(g.bkt))
	b := g.bucketOf(x, y)
	g.bkt = append(g.bkt, b)
	g.px, g.py = append(g.px, x), append(g.py, y)
	g.prev = append(g.prev, -1)
	g.next = append(g.next, g.head[b])
	if h := g.head[b]; h >= 0 {
		g.prev[h] = i
	}
	g.head[b] = i
}

// setPos records track i's new position without re-linking it (safe
// inside a query); move re-links it.
func (g *grid) setPos(i int, x, y float64) {
	if i < len(g.px) {
		g.px[i], g.py[i] = x, y
	}
}

// move re-indexes track i, now at (x, y).
func (g *grid) move(i int, x, y float64) {
	g.px[i], g.py[i] = x, y
	b := g.bucketOf(x, y)
	if b == g.bkt[i] {
		return
	}
	// unlink
	if p, nx := g.prev[i], g.next[i]; p >= 0 {
		g.next[p] = nx
	} else {
		g.head[g.bkt[i]] = nx
	}
	if nx := g.next[i]; nx >= 0 {
		g.prev[nx] = g.prev[i]
	}
	// link at the head of b
	g.bkt[i], g.prev[i], g.next[i] = b, -1, g.head[b]
	if h := g.head[b]; h >= 0 {
		g.prev[h] = int32(i)
	}
	g.head[b] = int32(i)
}

// len returns the number of tracks indexed.
func (g *grid) len() int { return len(g.bkt) }

// invalidate marks the grid for a rebuild (tracks were deleted or moved
// to another frame).
func (g *grid) invalidate() { g.valid = false }

// near calls fn for every track in the 3×3 cells around (x, y); tracks of
// colliding buckets come too, so fn must check the distance itself. fn
// must not move tracks in the grid.
func (g *grid) near(x, y float64, fn func(i int32)) {
	cx, cy := g.cellOf(x, y)
	var seen [9]int
	ns := 0
	for dx := int64(-1); dx <= 1; dx++ {
		for dy := int64(-1); dy <= 1; dy++ {
			b := bucket(cx+dx, cy+dy)
			dup := false
			for _, s := range seen[:ns] {
				dup = dup || s == b
			}
			if dup {
				continue
			}
			seen[ns] = b
			ns++
			for i := g.head[b]; i >= 0; i = g.next[i] {
				fn(i)
			}
		}
	}
}

// growZero returns s with length n and every element zero.
func growZero[T any](s []T, n int) []T {
	s = grow(s, n)
	clear(s)
	return s
}

package track

import "math"

// grid is a uniform spatial hash of track positions, rebuilt for each
// sensor frame: square cells of g.cell metres hashed into a fixed table, with
// the tracks of a bucket chained through next. Building and querying
// allocate nothing once the slices have grown.
type grid struct {
	cell float64 // cell size, metres: the largest distance a query must reach
	head []int32 // per bucket: first track index, -1 if none
	next []int32 // per track: next track index in its bucket
}

// gridBuckets is the hash table size, a power of two.
const gridBuckets = 1024

func (g *grid) cellOf(x, y float64) (int64, int64) {
	return int64(math.Floor(x / g.cell)), int64(math.Floor(y / g.cell))
}

func bucket(cx, cy int64) int {
	return int(uint64(cx*73856093^cy*19349663) & (gridBuckets - 1))
}

// build indexes n tracks whose positions pos returns.
func (g *grid) build(n int, pos func(i int) (float64, float64)) {
	if g.head == nil {
		g.head = make([]int32, gridBuckets)
	}
	for i := range g.head {
		g.head[i] = -1
	}
	g.next = grow(g.next, n)
	for i := 0; i < n; i++ {
		b := bucket(g.cellOf(pos(i)))
		g.next[i] = g.head[b]
		g.head[b] = int32(i)
	}
}

// near calls fn for every track in the 3×3 cells around (x, y); tracks of
// colliding buckets come too, so fn must check the distance itself.
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

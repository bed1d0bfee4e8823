package track

import "math"

// Assigner solves gated min-cost assignment problems on reused workspaces.
// The zero value is ready; not safe for concurrent use.
//
// Solve reduces the gated problem to a rectangular assignment in which every
// row must be matched: the cols real columns are followed by one private
// dummy column per row (column cols+i belongs to row i), which costs
// missCost for that row and is forbidden for every other row. Matching row i
// to its dummy column means "row i stays unassigned". Because a row's dummy
// column is always free while the row is, the extended problem is always
// feasible.
//
// The extended problem is solved in the manner of Jonker and Volgenant: a
// bounded auction-like augmenting row reduction finds a good initial
// matching and dual solution, then successive shortest augmenting paths
// (the Hungarian method with row and column potentials) match the rows it
// left free: for each free row a Dijkstra search over reduced costs finds
// the cheapest alternating path to a free column, the potentials are
// updated so that reduced costs stay non-negative and matched edges stay
// tight, and the path is flipped. Both phases only visit the finite (gated)
// entries, kept in a compressed sparse row layout, so sparse gated problems
// cost far less than the O(n³) worst case.
type Assigner struct {
	// Sparse graph of the extended problem: the finite entries of row i
	// (and then its dummy column) are adjCol/adjCost[rowStart[i]:rowStart[i+1]].
	rowStart []int32
	adjCol   []int32
	adjCost  []float64

	u      []float64 // row potentials
	v      []float64 // column potentials (real columns, then dummies)
	spc    []float64 // shortest path cost to each column in the current search
	path   []int32   // predecessor row of each column in the current search
	colRow []int32   // row matched to each column, or -1
	rowCol []int32   // column (real or dummy) matched to each row, or -1

	// seen[j] == stamp: column j has a tentative distance in the current
	// search; done[j] == stamp: its distance is final. The stamp makes
	// clearing between searches unnecessary.
	seen, done []uint32
	stamp      uint32

	todo []int32 // columns seen but not done
	scC  []int32 // columns done, in order
	scR  []int32 // rows scanned, in order (the first is the free row)
	free []int32 // rows left free by reduce

	// reduceBudget, when non-zero, replaces reduce's work budget (negative
	// means none, leaving every row to augment). A test hook.
	reduceBudget int

	// Components.
	parent []int32
	label  []int32
}

// grow returns s with length n, reusing its storage when it is big enough
// and otherwise at least doubling the capacity, so that a caller whose sizes
// creep up settles after a few allocations. The contents are unspecified.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, max(n, 2*cap(s)))
	}
	return s[:n]
}

// finite reports whether c is neither ±Inf nor NaN.
func finite(c float64) bool { return math.Abs(c) <= math.MaxFloat64 }

// Solve assigns rows (tracks) to columns (measurements). cost is row-major rows×cols;
// an entry that is +Inf (math.Inf(1)) or NaN is forbidden (outside the gate).
// Every row either takes one column (paying its cost) or stays unassigned
// (paying missCost); each column is used at most once. Solve minimises the total
// and writes rowToCol[i] = column index or -1. It returns the total cost.
// rowToCol must have len >= rows. missCost must be finite and >= 0.
//
// -Inf entries are treated as forbidden as well (only finite entries are
// edges). Finite costs may be negative; they should be of moderate magnitude
// (sums of a few of them must not overflow). When several assignments are
// optimal, which one is returned is deterministic but unspecified; a row is
// left unassigned only if that is at least as cheap as every alternative.
//
// Apart from one pass over cost, Solve runs in O(rows·(rows+cols)·k) time
// where k is the length of the longest augmenting search (at most rows),
// O(rows²·(rows+cols)) in the worst case; sparse gated problems typically
// need no search at all. Once the workspaces have grown to the largest
// rows×cols seen, Solve does not allocate, whatever the gate pattern. It
// panics if the preconditions on its arguments do not hold.
func (a *Assigner) Solve(cost []float64, rows, cols int, missCost float64, rowToCol []int32) float64 {
	switch {
	case rows < 0 || cols < 0:
		panic("track: Assigner.Solve: negative dimension")
	case !(missCost >= 0) || missCost > math.MaxFloat64:
		panic("track: Assigner.Solve: missCost must be finite and >= 0")
	case len(rowToCol) < rows:
		panic("track: Assigner.Solve: rowToCol shorter than rows")
	case len(cost) < rows*cols:
		panic("track: Assigner.Solve: cost shorter than rows*cols")
	case int64(rows)*int64(cols+1) > math.MaxInt32:
		panic("track: Assigner.Solve: problem too large")
	}
	if rows == 0 {
		return 0
	}
	if cols == 0 {
		for i := range rows {
			rowToCol[i] = -1
		}
		return float64(rows) * missCost
	}

	a.prepare(cost, rows, cols, missCost)
	a.reduce(rows)
	for i := range int32(rows) {
		if a.rowCol[i] < 0 {
			a.augment(i)
		}
	}

	total := 0.0
	for i, j := range a.rowCol {
		if int(j) < cols {
			rowToCol[i] = j
			total += cost[i*cols+int(j)]
		} else {
			rowToCol[i] = -1
			total += missCost
		}
	}
	return total
}

// prepare sizes the workspaces for a rows×cols problem and builds the
// sparse extended graph. Every column starts free with v = 0.
func (a *Assigner) prepare(cost []float64, rows, cols int, missCost float64) {
	m := cols + rows // real plus dummy columns

	a.rowStart = grow(a.rowStart, rows+1)
	a.u = grow(a.u, rows)
	a.rowCol = grow(a.rowCol, rows)
	a.free = grow(a.free, rows)
	a.v = grow(a.v, m)
	a.spc = grow(a.spc, m)
	a.path = grow(a.path, m)
	a.colRow = grow(a.colRow, m)
	if cap(a.seen) < m || cap(a.done) < m {
		// Fresh arrays are zero; stamps start above zero.
		a.seen = make([]uint32, m, max(m, 2*cap(a.seen)))
		a.done = make([]uint32, m, cap(a.seen))
	} else {
		a.seen = a.seen[:m]
		a.done = a.done[:m]
	}
	a.todo = grow(a.todo, m)[:0]
	a.scC = grow(a.scC, m)[:0]
	a.scR = grow(a.scR, rows)[:0]

	clear(a.v)
	for j := range a.colRow {
		a.colRow[j] = -1
	}

	// Size the adjacency for the densest possible gate pattern, so that
	// whether Solve allocates depends only on the dimensions.
	maxEdges := rows * (cols + 1)
	adjCol, adjCost := grow(a.adjCol, maxEdges)[:0], grow(a.adjCost, maxEdges)[:0]
	rowStart, rowCol := a.rowStart, a.rowCol
	for i := range rows {
		rowStart[i] = int32(len(adjCol))
		for j, c := range cost[i*cols : (i+1)*cols] {
			if finite(c) {
				adjCol = append(adjCol, int32(j))
				adjCost = append(adjCost, c)
			}
		}
		adjCol = append(adjCol, int32(cols+i))
		adjCost = append(adjCost, missCost)
		rowCol[i] = -1
	}
	rowStart[rows] = int32(len(adjCol))
	a.adjCol, a.adjCost = adjCol, adjCost
}

// reduce builds the initial matching and dual solution with the augmenting
// row reduction of Jonker and Volgenant, an auction-like heuristic: a free
// row takes the column j1 of least c-v, lowering v[j1] by the gap to its
// second-best column so that it stays indifferent between the two, and a
// row it displaces bids again. Column potentials only ever decrease and a
// column once taken stays taken, so v <= 0 and free columns keep v = 0, as
// the rectangular problem's duality requires. Afterwards u[i] is set to
// min_j c[i][j]-v[j] (attained at the row's column if it has one), so all
// reduced costs are non-negative and matched edges tight. The phase is
// bounded (two passes and a work budget); rows it leaves free are matched
// by augment.
func (a *Assigner) reduce(rows int) {
	rowStart, adjCol, adjCost := a.rowStart, a.adjCol, a.adjCost
	u, v, colRow, rowCol := a.u, a.v, a.colRow, a.rowCol
	free := a.free
	for i := range free {
		free[i] = int32(i)
	}
	nFree := len(free)
	budget := 4*rows + 16
	if a.reduceBudget != 0 {
		budget = max(a.reduceBudget, 0)
	}
	for pass := 0; pass < 2 && nFree > 0 && budget > 0; pass++ {
		prev := nFree
		nFree = 0
		for k := 0; k < prev; {
			i := free[k]
			k++
			if budget--; budget < 0 {
				// Out of budget: leave this row and the rest to augment.
				free[nFree] = i
				nFree++
				continue
			}
			u1, u2 := math.Inf(1), math.Inf(1)
			j1, j2 := int32(-1), int32(-1)
			for e := rowStart[i]; e < rowStart[i+1]; e++ {
				j := adjCol[e]
				h := adjCost[e] - v[j]
				if h < u2 {
					if h < u1 {
						u2, j2 = u1, j1
						u1, j1 = h, j
					} else {
						u2, j2 = h, j
					}
				}
			}
			// j1 exists: every row has at least its dummy column.
			owner := colRow[j1]
			lowered := false
			if u1 < u2 && u2 <= math.MaxFloat64 {
				v[j1] -= u2 - u1
				lowered = true
			} else if owner >= 0 {
				// A tie (u2 is finite here, as the only column of a row
				// with one edge is its own dummy): take the equally good
				// second column instead, displacing its owner if any.
				j1 = j2
				owner = colRow[j2]
			}
			rowCol[i] = j1
			colRow[j1] = i
			if owner >= 0 {
				rowCol[owner] = -1
				if lowered {
					k-- // the displaced row bids next, in this pass
					free[k] = owner
				} else {
					free[nFree] = owner
					nFree++
				}
			}
		}
	}

	for i := range rows {
		own := rowCol[i]
		best := math.Inf(1)
		for e := rowStart[i]; e < rowStart[i+1]; e++ {
			j := adjCol[e]
			h := adjCost[e] - v[j]
			if j == own {
				best = h
				break
			}
			if own < 0 && h < best {
				best = h
			}
		}
		u[i] = best
	}
}

// augment runs one Dijkstra search over reduced costs from the free row cur
// to the nearest free column, updates the potentials and flips the path, so
// that afterwards cur is matched and the matching is still optimal for the
// rows matched so far.
func (a *Assigner) augment(cur int32) {
	a.stamp++
	if a.stamp == 0 { // wrapped: forget every old stamp
		clear(a.seen[:cap(a.seen)])
		clear(a.done[:cap(a.done)])
		a.stamp = 1
	}
	stamp := a.stamp

	rowStart, adjCol, adjCost := a.rowStart, a.adjCol, a.adjCost
	u, v, spc, path := a.u, a.v, a.spc, a.path
	colRow, rowCol := a.colRow, a.rowCol
	seen, done := a.seen, a.done
	todo, scC, scR := a.todo[:0], a.scC[:0], a.scR[:0]

	// minVal is the distance of the row being scanned (the distance of the
	// column through which it was reached; 0 for cur).
	minVal := 0.0
	i := cur
	var sink int32
	for {
		scR = append(scR, i)
		ui := u[i]
		for e := rowStart[i]; e < rowStart[i+1]; e++ {
			j := adjCol[e]
			if done[j] == stamp {
				continue
			}
			r := minVal + adjCost[e] - ui - v[j]
			if seen[j] != stamp {
				seen[j] = stamp
				spc[j] = r
				path[j] = i
				todo = append(todo, j)
			} else if r < spc[j] {
				spc[j] = r
				path[j] = i
			}
		}

		// todo is never empty here: cur's dummy column is free and was
		// seen when cur was scanned, and a free column ends the search as
		// soon as it is taken.
		best := 0
		bj := todo[0]
		low := spc[bj]
		for k := 1; k < len(todo); k++ {
			j := todo[k]
			s := spc[j]
			// Among equally near columns prefer a free one: it ends the search.
			if s < low || (s == low && colRow[j] < 0 && colRow[bj] >= 0) {
				best, bj, low = k, j, s
			}
		}
		last := len(todo) - 1
		todo[best] = todo[last]
		todo = todo[:last]
		done[bj] = stamp
		scC = append(scC, bj)
		minVal = low
		if colRow[bj] < 0 {
			sink = bj
			break
		}
		i = colRow[bj]
	}

	// Potentials: every node whose final distance d is below minVal moves by
	// minVal-d; this keeps all reduced costs non-negative, keeps matched
	// edges tight and makes the shortest path tight.
	u[cur] += minVal
	for _, r := range scR[1:] {
		u[r] += minVal - spc[rowCol[r]]
	}
	for _, j := range scC {
		v[j] -= minVal - spc[j]
	}

	// Flip the alternating path ending at sink.
	for j := sink; ; {
		r := path[j]
		colRow[j] = r
		prev := rowCol[r]
		rowCol[r] = j
		if r == cur {
			break
		}
		j = prev
	}

	a.todo, a.scC, a.scR = todo[:0], scC[:0], scR[:0]
}

// Components labels the connected components of the bipartite graph whose edges are
// the finite entries of cost (rows×cols). rowComp[i] and colComp[j] get component ids
// 0..n-1 (isolated rows/cols get their own ids); it returns n. Reuses a's workspaces, no allocation.
//
// Ids are numbered in order of first appearance scanning rows 0..rows-1 and
// then columns 0..cols-1, so a component containing a row has a smaller id
// than every row-less (isolated column) component. rowComp must have
// len >= rows and colComp len >= cols.
func (a *Assigner) Components(cost []float64, rows, cols int, rowComp, colComp []int32) int {
	switch {
	case rows < 0 || cols < 0:
		panic("track: Assigner.Components: negative dimension")
	case len(rowComp) < rows || len(colComp) < cols:
		panic("track: Assigner.Components: rowComp or colComp too short")
	case len(cost) < rows*cols:
		panic("track: Assigner.Components: cost shorter than rows*cols")
	case rows+cols > math.MaxInt32:
		panic("track: Assigner.Components: problem too large")
	}
	nodes := rows + cols // rows are nodes 0..rows-1, column j is node rows+j
	a.parent = grow(a.parent, nodes)
	a.label = grow(a.label, nodes)
	parent, label := a.parent, a.label
	for k := range parent {
		parent[k] = int32(k)
		label[k] = -1
	}

	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]] // path halving
			x = parent[x]
		}
		return x
	}
	for i := range rows {
		for j, c := range cost[i*cols : (i+1)*cols] {
			if !finite(c) {
				continue
			}
			ri, rj := find(int32(i)), find(int32(rows+j))
			switch {
			case ri < rj:
				parent[rj] = ri
			case rj < ri:
				parent[ri] = rj
			}
		}
	}

	n := int32(0)
	id := func(k int) int32 {
		r := find(int32(k))
		if label[r] < 0 {
			label[r] = n
			n++
		}
		return label[r]
	}
	for i := range rows {
		rowComp[i] = id(i)
	}
	for j := range cols {
		colComp[j] = id(rows + j)
	}
	return int(n)
}

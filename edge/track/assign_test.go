package track

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

var forbidden = math.Inf(1)

// bruteForce returns the optimal total by enumerating every partial
// injective assignment of rows to finite columns.
func bruteForce(cost []float64, rows, cols int, missCost float64) float64 {
	used := make([]bool, cols)
	var rec func(i int) float64
	rec = func(i int) float64 {
		if i == rows {
			return 0
		}
		best := missCost + rec(i+1)
		for j := range cols {
			c := cost[i*cols+j]
			if used[j] || !finite(c) {
				continue
			}
			used[j] = true
			if t := c + rec(i+1); t < best {
				best = t
			}
			used[j] = false
		}
		return best
	}
	return rec(0)
}

// checkFeasible verifies that rowToCol is a feasible assignment and returns
// the total it achieves.
func checkFeasible(t testing.TB, cost []float64, rows, cols int, missCost float64, rowToCol []int32) float64 {
	t.Helper()
	used := make([]bool, cols)
	total := 0.0
	for i := range rows {
		j := rowToCol[i]
		switch {
		case j == -1:
			total += missCost
		case j < 0 || int(j) >= cols:
			t.Fatalf("row %d: column %d out of range", i, j)
		case used[j]:
			t.Fatalf("row %d: column %d used twice", i, j)
		case !finite(cost[i*cols+int(j)]):
			t.Fatalf("row %d: forbidden column %d (cost %v)", i, j, cost[i*cols+int(j)])
		default:
			used[j] = true
			total += cost[i*cols+int(j)]
		}
	}
	return total
}

func closeTotal(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// checkSolve solves the problem with a and checks the result against brute
// force. It then solves it again with the initial reduction phase disabled
// and cut short, so that the shortest augmenting path phase is exercised on
// its own and from a partial reduction.
func checkSolve(t testing.TB, a *Assigner, cost []float64, rows, cols int, missCost float64) {
	t.Helper()
	want := bruteForce(cost, rows, cols, missCost)
	saved := a.reduceBudget
	defer func() { a.reduceBudget = saved }()
	for _, budget := range []int{saved, -1, 1, 3} {
		a.reduceBudget = budget
		rowToCol := make([]int32, rows+1)
		rowToCol[rows] = 12345 // sentinel: must not be touched
		got := a.Solve(cost, rows, cols, missCost, rowToCol)
		if rowToCol[rows] != 12345 {
			t.Fatalf("Solve wrote past rows")
		}
		achieved := checkFeasible(t, cost, rows, cols, missCost, rowToCol)
		if !closeTotal(got, achieved) {
			t.Fatalf("%dx%d miss=%v budget=%d: reported total %v, assignment %v achieves %v\ncost=%v",
				rows, cols, missCost, budget, got, rowToCol[:rows], achieved, cost)
		}
		if !closeTotal(got, want) {
			t.Fatalf("%dx%d miss=%v budget=%d: total %v (assignment %v), optimum %v\ncost=%v",
				rows, cols, missCost, budget, got, rowToCol[:rows], want, cost)
		}
	}
}

func TestSolveTable(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name       string
		rows, cols int
		miss       float64
		cost       []float64
		want       []int32
		total      float64
	}{
		{name: "empty", rows: 0, cols: 0, miss: 1, want: []int32{}, total: 0},
		{name: "no rows", rows: 0, cols: 3, miss: 1, cost: []float64{}, want: []int32{}, total: 0},
		{name: "no cols", rows: 3, cols: 0, miss: 2, want: []int32{-1, -1, -1}, total: 6},
		{name: "single", rows: 1, cols: 1, miss: 5, cost: []float64{3}, want: []int32{0}, total: 3},
		{name: "single miss cheaper", rows: 1, cols: 1, miss: 2, cost: []float64{3}, want: []int32{-1}, total: 2},
		{name: "single forbidden", rows: 1, cols: 1, miss: 7, cost: []float64{forbidden}, want: []int32{-1}, total: 7},
		{name: "single NaN", rows: 1, cols: 1, miss: 7, cost: []float64{nan}, want: []int32{-1}, total: 7},
		{name: "single -Inf is forbidden", rows: 1, cols: 1, miss: 7, cost: []float64{math.Inf(-1)}, want: []int32{-1}, total: 7},
		{
			name: "classic 3x3", rows: 3, cols: 3, miss: 100,
			cost: []float64{
				4, 1, 3,
				2, 0, 5,
				3, 2, 2,
			},
			want: []int32{1, 0, 2}, total: 5,
		},
		{
			// Greedy would give row 0 column 0 (1) and row 1 column 1 (10);
			// the optimum swaps them.
			name: "greedy is wrong", rows: 2, cols: 2, miss: 100,
			cost: []float64{
				1, 2,
				2, 10,
			},
			want: []int32{1, 0}, total: 4,
		},
		{
			// Matching row 1 to column 1 costs 9 > miss 4, so it stays unassigned.
			name: "bad match left unassigned", rows: 2, cols: 2, miss: 4,
			cost: []float64{
				1, 9,
				2, 9,
			},
			want: []int32{0, -1}, total: 5,
		},
		{
			// Both rows want column 0; row 1 has no alternative, row 0 does.
			name: "forbidden forces swap", rows: 2, cols: 2, miss: 50,
			cost: []float64{
				1, 3,
				2, forbidden,
			},
			want: []int32{1, 0}, total: 5,
		},
		{
			// Only column 0 is allowed; it goes to the row that saves most
			// against its miss cost (row 1: 3-0.5 > row 0: 3-1).
			name: "forbidden and miss", rows: 2, cols: 2, miss: 3,
			cost: []float64{
				1, forbidden,
				0.5, forbidden,
			},
			want: []int32{-1, 0}, total: 3.5,
		},
		{
			name: "all forbidden", rows: 2, cols: 3, miss: 1.5,
			cost: []float64{
				forbidden, forbidden, nan,
				nan, forbidden, forbidden,
			},
			want: []int32{-1, -1}, total: 3,
		},
		{
			name: "one row all forbidden", rows: 3, cols: 2, miss: 10,
			cost: []float64{
				2, 3,
				forbidden, forbidden,
				1, 5,
			},
			want: []int32{1, -1, 0}, total: 14,
		},
		{
			name: "wide", rows: 2, cols: 4, miss: 10,
			cost: []float64{
				5, 4, 3, 1,
				5, 4, 0.5, 2,
			},
			want: []int32{3, 2}, total: 1.5,
		},
		{
			name: "tall", rows: 4, cols: 2, miss: 3,
			cost: []float64{
				1, 2,
				2, 1,
				0.5, 2.5,
				4, 0.25,
			},
			want: []int32{-1, -1, 0, 1}, total: 6.75,
		},
		{
			name: "zero miss", rows: 2, cols: 2, miss: 0,
			cost: []float64{
				1, 2,
				0.5, 3,
			},
			want: []int32{-1, -1}, total: 0,
		},
		{
			name: "negative costs", rows: 2, cols: 3, miss: 0,
			cost: []float64{
				-1, -5, forbidden,
				-4, -6, 2,
			},
			want: []int32{1, 0}, total: -9,
		},
		{
			name: "chain", rows: 3, cols: 3, miss: 100,
			cost: []float64{
				1, 2, forbidden,
				forbidden, 1, 2,
				forbidden, forbidden, 1,
			},
			want: []int32{0, 1, 2}, total: 3,
		},
		{
			// Row 2 can only use column 0; pushing it in needs a two-step
			// alternating path.
			name: "long augmenting path", rows: 3, cols: 3, miss: 100,
			cost: []float64{
				1, 2, forbidden,
				forbidden, 1, 2,
				1, forbidden, forbidden,
			},
			want: []int32{1, 2, 0}, total: 5,
		},
	}
	var a Assigner
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rowToCol := make([]int32, tc.rows)
			for i := range rowToCol {
				rowToCol[i] = 99
			}
			total := a.Solve(tc.cost, tc.rows, tc.cols, tc.miss, rowToCol)
			if total != tc.total {
				t.Errorf("total = %v, want %v", total, tc.total)
			}
			if fmt.Sprint(rowToCol) != fmt.Sprint(tc.want) {
				t.Errorf("rowToCol = %v, want %v", rowToCol, tc.want)
			}
			if want := bruteForce(tc.cost, tc.rows, tc.cols, tc.miss); !closeTotal(total, want) {
				t.Errorf("brute force optimum %v, got %v", want, total)
			}
		})
	}
}

func TestSolveTies(t *testing.T) {
	var a Assigner
	for _, dims := range [][2]int{{5, 5}, {3, 6}, {6, 3}} {
		rows, cols := dims[0], dims[1]
		cost := make([]float64, rows*cols)
		for i := range cost {
			cost[i] = 1
		}
		// All entries tie with each other; miss ties with a match too.
		for _, miss := range []float64{0.5, 1, 2} {
			checkSolve(t, &a, cost, rows, cols, miss)
		}
	}
}

func TestSolvePanics(t *testing.T) {
	var a Assigner
	cases := map[string]func(){
		"NaN miss":      func() { a.Solve([]float64{1}, 1, 1, math.NaN(), make([]int32, 1)) },
		"Inf miss":      func() { a.Solve([]float64{1}, 1, 1, forbidden, make([]int32, 1)) },
		"negative miss": func() { a.Solve([]float64{1}, 1, 1, -1, make([]int32, 1)) },
		"short out":     func() { a.Solve([]float64{1, 2}, 2, 1, 1, make([]int32, 1)) },
		"short cost":    func() { a.Solve([]float64{1, 2}, 2, 2, 1, make([]int32, 2)) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

// randomProblem draws a problem of the given size with a random gate
// pattern and costs that are sometimes integers (to create ties) and
// sometimes negative.
func randomProblem(rng *rand.Rand, rows, cols int) ([]float64, float64) {
	pForbid := []float64{0, 0.2, 0.5, 0.8, 1}[rng.IntN(5)]
	integer := rng.IntN(2) == 0
	offset := 0.0
	if rng.IntN(4) == 0 {
		offset = -5
	}
	cost := make([]float64, rows*cols)
	for k := range cost {
		switch {
		case rng.Float64() < pForbid:
			if rng.IntN(8) == 0 {
				cost[k] = math.NaN()
			} else {
				cost[k] = forbidden
			}
		case integer:
			cost[k] = float64(rng.IntN(6)) + offset
		default:
			cost[k] = rng.Float64()*10 + offset
		}
	}
	miss := rng.Float64() * 12
	if integer {
		miss = float64(rng.IntN(8))
	}
	return cost, miss
}

func TestSolveRandomVsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var a Assigner // one Assigner reused across sizes exercises workspace reuse
	for range 50000 {
		rows, cols := rng.IntN(7), rng.IntN(7)
		cost, miss := randomProblem(rng, rows, cols)
		checkSolve(t, &a, cost, rows, cols, miss)
	}
}

// TestSolveStampWrap runs searches across the wrap-around of the search
// stamp, which must clear the stale marks.
func TestSolveStampWrap(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	a := Assigner{stamp: math.MaxUint32 - 20, reduceBudget: -1}
	for range 200 {
		rows, cols := rng.IntN(7), rng.IntN(7)
		cost, miss := randomProblem(rng, rows, cols)
		checkSolve(t, &a, cost, rows, cols, miss)
	}
	if a.stamp > 1<<20 {
		t.Fatalf("stamp %d did not wrap", a.stamp)
	}
}

// checkDual verifies optimality of a's final state through LP duality: the
// potentials are dual feasible (u_i+v_j <= c_ij on every finite entry and
// dummy, v <= 0, free columns have v = 0), matched edges are tight, and the
// dual objective equals the primal total.
func checkDual(t *testing.T, a *Assigner, cost []float64, rows, cols int, miss, total float64) {
	t.Helper()
	const tol = 1e-7
	m := rows + cols
	scale := 1.0
	for _, c := range cost {
		if finite(c) {
			scale = math.Max(scale, math.Abs(c))
		}
	}
	eps := tol * scale
	dual := 0.0
	for i := range rows {
		dual += a.u[i]
	}
	for j := range m {
		dual += a.v[j]
		if a.v[j] > eps {
			t.Fatalf("v[%d] = %v > 0", j, a.v[j])
		}
		if a.colRow[j] < 0 && math.Abs(a.v[j]) > eps {
			t.Fatalf("free column %d has v = %v", j, a.v[j])
		}
	}
	for i := range rows {
		for j := range cols {
			c := cost[i*cols+j]
			if !finite(c) {
				continue
			}
			red := c - a.u[i] - a.v[j]
			if red < -eps {
				t.Fatalf("reduced cost (%d,%d) = %v < 0", i, j, red)
			}
			if a.rowCol[i] == int32(j) && math.Abs(red) > eps {
				t.Fatalf("matched edge (%d,%d) not tight: %v", i, j, red)
			}
		}
		red := miss - a.u[i] - a.v[cols+i]
		if red < -eps || (a.rowCol[i] == int32(cols+i) && math.Abs(red) > eps) {
			t.Fatalf("dummy of row %d: reduced cost %v", i, red)
		}
	}
	if math.Abs(dual-total) > tol*scale*float64(m) {
		t.Fatalf("dual objective %v != primal %v", dual, total)
	}
}

// TestSolveLargeDual checks large problems, beyond brute force, with the
// duality certificate.
func TestSolveLargeDual(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var a Assigner
	for _, tc := range []struct {
		rows, cols int
		gated      bool
	}{
		{300, 300, false}, {300, 300, true}, {200, 50, false}, {50, 200, false},
		{120, 80, true}, {80, 120, true}, {1, 300, false}, {300, 1, false},
	} {
		t.Run(fmt.Sprintf("%dx%d/gated=%v", tc.rows, tc.cols, tc.gated), func(t *testing.T) {
			var cost []float64
			var miss float64
			if tc.gated {
				cost, miss = gatedProblem(rng, tc.rows, tc.cols, 3)
			} else {
				cost = make([]float64, tc.rows*tc.cols)
				for k := range cost {
					cost[k] = rng.Float64() * 100
				}
				miss = 50
			}
			var totals []float64
			for _, budget := range []int{0, -1, tc.rows / 2} {
				a.reduceBudget = budget
				rowToCol := make([]int32, tc.rows)
				total := a.Solve(cost, tc.rows, tc.cols, miss, rowToCol)
				achieved := checkFeasible(t, cost, tc.rows, tc.cols, miss, rowToCol)
				if !closeTotal(total, achieved) {
					t.Fatalf("budget %d: reported %v, achieved %v", budget, total, achieved)
				}
				checkDual(t, &a, cost, tc.rows, tc.cols, miss, total)
				totals = append(totals, total)
			}
			a.reduceBudget = 0
			for _, total := range totals[1:] {
				if !closeTotal(total, totals[0]) {
					t.Fatalf("totals differ with the reduction budget: %v", totals)
				}
			}
		})
	}
}

func TestSolveNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var a Assigner
	cost, miss := gatedProblem(rng, 200, 200, 3)
	dense := make([]float64, 50*70)
	for k := range dense {
		dense[k] = rng.Float64()
	}
	rowToCol := make([]int32, 200)
	rowComp := make([]int32, 200)
	colComp := make([]int32, 200)
	// Grow the workspaces for both problems first.
	a.Solve(cost, 200, 200, miss, rowToCol)
	a.Solve(dense, 50, 70, 0.5, rowToCol)
	a.Components(cost, 200, 200, rowComp, colComp)
	allocs := testing.AllocsPerRun(50, func() {
		a.Solve(cost, 200, 200, miss, rowToCol)
		a.Solve(dense, 50, 70, 0.5, rowToCol)
		a.Solve(cost[:0], 0, 5, 1, rowToCol)
		a.Solve(cost[:0], 5, 0, 1, rowToCol)
	})
	if allocs != 0 {
		t.Errorf("Solve allocates %v times per run", allocs)
	}
	allocs = testing.AllocsPerRun(50, func() {
		a.Components(cost, 200, 200, rowComp, colComp)
		a.Components(dense, 50, 70, rowComp, colComp)
	})
	if allocs != 0 {
		t.Errorf("Components allocates %v times per run", allocs)
	}
}

// FuzzAssign decodes a problem of at most 6×6 from the fuzz input and checks
// Solve against brute force. Layout: byte 0 rows, byte 1 cols, byte 2
// missCost, then one byte per entry; an entry byte >= 200 is forbidden
// (+Inf, or NaN when it is 255), otherwise it is (b-40)/4, so costs range
// over [-10, 40) in steps of 0.25 (ties are common).
func FuzzAssign(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 1, 10, 50})
	f.Add([]byte{2, 2, 16, 44, 48, 48, 200})
	f.Add([]byte{3, 3, 255, 56, 44, 52, 48, 40, 60, 52, 48, 48})
	f.Add([]byte{4, 2, 8, 44, 48, 48, 44, 42, 50, 56, 41})
	f.Add([]byte{2, 5, 0, 0, 10, 20, 200, 255, 255, 30, 200, 5, 1})
	f.Add([]byte{6, 6, 40, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216})
	f.Add([]byte{5, 5, 20, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40})
	var a Assigner
	f.Fuzz(func(t *testing.T, data []byte) {
		at := func(k int) byte {
			if k < len(data) {
				return data[k]
			}
			return 0
		}
		rows, cols := int(at(0))%7, int(at(1))%7
		miss := float64(at(2)) / 4
		cost := make([]float64, rows*cols)
		for k := range cost {
			switch b := at(3 + k); {
			case b == 255:
				cost[k] = math.NaN()
			case b >= 200:
				cost[k] = forbidden
			default:
				cost[k] = (float64(b) - 40) / 4
			}
		}
		checkSolve(t, &a, cost, rows, cols, miss)
	})
}

// bfsComponents is the reference: plain BFS over the bipartite graph.
func bfsComponents(cost []float64, rows, cols int) (rowComp, colComp []int, n int) {
	rowComp = make([]int, rows)
	colComp = make([]int, cols)
	for i := range rowComp {
		rowComp[i] = -1
	}
	for j := range colComp {
		colComp[j] = -1
	}
	type node struct {
		col bool
		k   int
	}
	visit := func(start node) {
		queue := []node{start}
		for len(queue) > 0 {
			x := queue[0]
			queue = queue[1:]
			if x.col {
				for i := range rows {
					if finite(cost[i*cols+x.k]) && rowComp[i] < 0 {
						rowComp[i] = n
						queue = append(queue, node{false, i})
					}
				}
			} else {
				for j := range cols {
					if finite(cost[x.k*cols+j]) && colComp[j] < 0 {
						colComp[j] = n
						queue = append(queue, node{true, j})
					}
				}
			}
		}
		n++
	}
	for i := range rows {
		if rowComp[i] < 0 {
			rowComp[i] = n
			visit(node{false, i})
		}
	}
	for j := range cols {
		if colComp[j] < 0 {
			colComp[j] = n
			visit(node{true, j})
		}
	}
	return rowComp, colComp, n
}

func TestComponentsVsBFS(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var a Assigner
	for it := range 3000 {
		rows, cols := rng.IntN(15), rng.IntN(15)
		if it%100 == 0 {
			rows, cols = rng.IntN(80), rng.IntN(80)
		}
		p := rng.Float64() * 0.4
		cost := make([]float64, rows*cols)
		for k := range cost {
			switch r := rng.Float64(); {
			case r < p:
				cost[k] = rng.Float64()
			case r < p+0.05:
				cost[k] = math.NaN()
			default:
				cost[k] = forbidden
			}
		}
		rowComp := make([]int32, rows)
		colComp := make([]int32, cols)
		n := a.Components(cost, rows, cols, rowComp, colComp)
		wantRow, wantCol, wantN := bfsComponents(cost, rows, cols)
		if n != wantN {
			t.Fatalf("%dx%d: %d components, BFS finds %d", rows, cols, n, wantN)
		}
		// Both number components by first appearance over rows then
		// columns, so the labellings must agree exactly; still, check the
		// ids form a bijection so the failure message is meaningful.
		fwd := make(map[int32]int)
		back := make(map[int]int32)
		same := func(got int32, want int, what string, k int) {
			if got < 0 || int(got) >= n {
				t.Fatalf("%s %d: id %d out of range [0,%d)", what, k, got, n)
			}
			if w, ok := fwd[got]; ok && w != want {
				t.Fatalf("%s %d: component %d also maps to BFS %d and %d", what, k, got, w, want)
			}
			if g, ok := back[want]; ok && g != got {
				t.Fatalf("%s %d: BFS component %d split into %d and %d", what, k, want, g, got)
			}
			fwd[got], back[want] = want, got
			if int(got) != want {
				t.Fatalf("%s %d: id %d, BFS numbering %d", what, k, got, want)
			}
		}
		for i := range rows {
			same(rowComp[i], wantRow[i], "row", i)
		}
		for j := range cols {
			same(colComp[j], wantCol[j], "col", j)
		}
	}
}

// TestComponentsSolveSplit checks that solving each component separately
// gives the same optimum as solving the whole problem, which is how the
// tracker uses Components.
func TestComponentsSolveSplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var a Assigner
	for range 200 {
		rows, cols := 1+rng.IntN(40), 1+rng.IntN(40)
		cost, miss := gatedProblem(rng, rows, cols, 2)
		rowToCol := make([]int32, rows)
		whole := a.Solve(cost, rows, cols, miss, rowToCol)

		rowComp := make([]int32, rows)
		colComp := make([]int32, cols)
		n := a.Components(cost, rows, cols, rowComp, colComp)
		split := 0.0
		for c := range int32(n) {
			var rs, cs []int
			for i, k := range rowComp {
				if k == c {
					rs = append(rs, i)
				}
			}
			for j, k := range colComp {
				if k == c {
					cs = append(cs, j)
				}
			}
			sub := make([]float64, 0, len(rs)*len(cs))
			for _, i := range rs {
				for _, j := range cs {
					sub = append(sub, cost[i*cols+j])
				}
			}
			split += a.Solve(sub, len(rs), len(cs), miss, make([]int32, len(rs)))
		}
		if !closeTotal(whole, split) {
			t.Fatalf("whole %v, sum over %d components %v", whole, n, split)
		}
	}
}

// gatedProblem draws a tracker-like problem: tracks and measurements at
// random positions, each track gating about perRow nearby measurements, cost
// a squared distance; everything else is forbidden.
func gatedProblem(rng *rand.Rand, rows, cols, perRow int) ([]float64, float64) {
	cost := make([]float64, rows*cols)
	for k := range cost {
		cost[k] = forbidden
	}
	if cols == 0 {
		return cost, 9
	}
	for i := range rows {
		for range perRow {
			j := rng.IntN(cols)
			d := rng.NormFloat64()
			cost[i*cols+j] = d * d * 4
		}
	}
	return cost, 9 // chi-square-like gate threshold as the miss cost
}

func BenchmarkAssign(b *testing.B) {
	for _, n := range []int{10, 50, 200} {
		b.Run(fmt.Sprintf("size=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(uint64(n), 42))
			cost, miss := gatedProblem(rng, n, n, 3)
			rowToCol := make([]int32, n)
			var a Assigner
			a.Solve(cost, n, n, miss, rowToCol)
			b.ReportAllocs()
			for b.Loop() {
				a.Solve(cost, n, n, miss, rowToCol)
			}
		})
	}
}

// BenchmarkAssignDense measures the ungated worst case: every entry finite.
func BenchmarkAssignDense(b *testing.B) {
	for _, n := range []int{50, 300} {
		b.Run(fmt.Sprintf("size=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(uint64(n), 43))
			cost := make([]float64, n*n)
			for k := range cost {
				cost[k] = rng.Float64() * 100
			}
			rowToCol := make([]int32, n)
			var a Assigner
			a.Solve(cost, n, n, 1000, rowToCol)
			b.ReportAllocs()
			for b.Loop() {
				a.Solve(cost, n, n, 1000, rowToCol)
			}
		})
	}
}

func BenchmarkComponents(b *testing.B) {
	rng := rand.New(rand.NewPCG(200, 44))
	cost, _ := gatedProblem(rng, 200, 200, 3)
	rowComp := make([]int32, 200)
	colComp := make([]int32, 200)
	var a Assigner
	b.ReportAllocs()
	for b.Loop() {
		a.Components(cost, 200, 200, rowComp, colComp)
	}
}

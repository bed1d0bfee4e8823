package sim

import (
	"math"
	"testing"
	"time"
)

// TestCorridorHandsVehiclesOn drives a three-intersection corridor and
// checks that vehicles pass from one intersection to the next in both
// directions, keep their ids, appear at the neighbour near where they
// left (in a common frame), and that ids are unique corridor-wide.
func TestCorridorHandsVehiclesOn(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		base := Config{Seed: seed}
		base.SetDefaults()
		c, err := NewCorridor(CorridorConfig{Base: base, N: 3})
		if err != nil {
			t.Fatal(err)
		}
		views := []*View{c.View(0), c.View(1), c.View(2)}
		lastPos := map[uint32][2]float64{} // corridor-frame east/north, last seen
		var outs []Output
		var truth []TruthObject
		jumps := 0
		for range 6000 { // 60 s
			for _, v := range views {
				v.Step(10 * time.Millisecond)
				outs = v.Due(outs[:0])
			}
			seen := map[uint32]int{}
			for i, v := range views {
				truth = v.Truth(truth[:0])
				for _, o := range truth {
					if o.Class.Vehicle() {
						if prev, dup := seen[o.ID]; dup {
							t.Fatalf("seed %d: vehicle %d at intersections %d and %d at once", seed, o.ID, prev, i)
						}
						seen[o.ID] = i
						e := o.E + float64(i)*DefaultCorridorSpacing
						if p, ok := lastPos[o.ID]; ok && math.Hypot(e-p[0], o.N-p[1]) > 10 {
							jumps++
							if jumps < 4 {
								t.Logf("jump %d: %.1f,%.1f -> %.1f,%.1f (at %d)", o.ID, p[0], p[1], e, o.N, i)
							}
						}
						lastPos[o.ID] = [2]float64{e, o.N}
					}
				}
			}
		}
		tr := c.Transfers(nil)
		east, west := 0, 0
		for _, x := range tr {
			if x.To == x.From+1 {
				east++
			} else {
				west++
			}
		}
		t.Logf("seed %d: %d transfers (%d east, %d west), %d position jumps > 10 m", seed, len(tr), east, west, jumps)
		if east < 5 || west < 5 {
			t.Errorf("seed %d: %d eastbound and %d westbound transfers in 60 s, want at least 5 each", seed, east, west)
		}
		if jumps > len(tr)/10 {
			t.Errorf("seed %d: %d jumps of more than 10 m for %d transfers", seed, jumps, len(tr))
		}
	}
}

func TestCorridorConfigValidate(t *testing.T) {
	base := Config{}
	base.SetDefaults()
	for _, tc := range []struct {
		n       int
		spacing float64
		ok      bool
	}{{3, 250, true}, {1, 250, true}, {0, 250, false}, {MaxCorridors + 1, 250, false}, {3, 100, false}, {3, 400, false}} {
		c := CorridorConfig{Base: base, N: tc.n, Spacing: tc.spacing}
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("N %d spacing %v: err %v, want ok %v", tc.n, tc.spacing, err, tc.ok)
		}
	}
}

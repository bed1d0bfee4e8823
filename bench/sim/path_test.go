package sim

import (
	"math"
	"testing"
)

func TestArcBetween(t *testing.T) {
	for _, tc := range []struct {
		name           string
		e0, n0, theta0 float64
		e1, n1         float64
		wantK, wantLen float64
		wantTheta1     float64
	}{
		{"straight", 0, 0, math.Pi / 2, 0, 10, 0, 10, math.Pi / 2},
		{"left quarter", 0, 0, 0, 5, 5, 0.2, 5 * math.Pi / 2, math.Pi / 2},
		{"right quarter", 0, 0, 0, 5, -5, -0.2, 5 * math.Pi / 2, -math.Pi / 2},
		{"left from south-bound", -1.75, 14, -math.Pi / 2, 14, -1.75, 1 / 15.75, 15.75 * math.Pi / 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := arcBetween(tc.e0, tc.n0, tc.theta0, tc.e1, tc.n1)
			if math.Abs(g.k-tc.wantK) > 1e-9 || math.Abs(g.length-tc.wantLen) > 1e-9 {
				t.Fatalf("curvature %v length %v, want %v %v", g.k, g.length, tc.wantK, tc.wantLen)
			}
			e, n, th := g.at(g.length)
			if math.Hypot(e-tc.e1, n-tc.n1) > 1e-9 || math.Abs(wrapPi(th-tc.wantTheta1)) > 1e-9 {
				t.Fatalf("ends at %v,%v heading %v; want %v,%v heading %v", e, n, th, tc.e1, tc.n1, tc.wantTheta1)
			}
			// Points along the arc are one step apart: unit speed.
			const h = 1e-4
			for u := 0.0; u < g.length; u += g.length / 7 {
				ea, na, _ := g.at(u)
				eb, nb, _ := g.at(u + h)
				if d := math.Hypot(eb-ea, nb-na) / h; math.Abs(d-1) > 1e-6 {
					t.Fatalf("speed %v at %v", d, u)
				}
			}
		})
	}
}

func TestPathContinuous(t *testing.T) {
	lay := newLayout(legLength)
	for i := range lay.moves {
		p := &lay.moves[i].path
		pe, pn, pth, _ := p.at(-1)
		for s := -1.0; s <= p.total+1; s += 0.05 {
			e, n, th, _ := p.at(s)
			if d := math.Hypot(e-pe, n-pn); d > 0.0501 || math.Abs(wrapPi(th-pth)) > 0.05/8 {
				t.Fatalf("movement %d: jump of %v m, %v rad at %v", i, d, wrapPi(th-pth), s)
			}
			pe, pn, pth = e, n, th
		}
	}
}

func TestCompass(t *testing.T) {
	for _, tc := range []struct{ theta, want float64 }{
		{0, 90}, {math.Pi / 2, 0}, {math.Pi, 270}, {-math.Pi / 2, 180}, {math.Pi / 4, 45}, {-math.Pi / 4, 135}, {3 * math.Pi / 2, 180},
	} {
		if got := compass(tc.theta); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("compass(%v) = %v, want %v", tc.theta, got, tc.want)
		}
	}
	for _, a := range []float64{-7, -math.Pi, 0, 3, math.Pi, 9} {
		if w := wrapPi(a); w <= -math.Pi || w > math.Pi || math.Abs(math.Sin(w)-math.Sin(a)) > 1e-12 {
			t.Errorf("wrapPi(%v) = %v", a, w)
		}
	}
	for _, d := range []float64{-720, -1, 0, 359.9999, 360, 725} {
		if w := wrapDeg(d); w < 0 || w >= 360 {
			t.Errorf("wrapDeg(%v) = %v", d, w)
		}
	}
}

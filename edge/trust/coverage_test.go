package trust

import (
	"math"
	"testing"
)

// A camera at the origin sees a 90° sector north up to 80 m: detections
// along three roads inside it teach the coverage; points inside the hull
// are covered, points outside the sector are not.
func TestCoverageLearnsCameraSector(t *testing.T) {
	c := newCoverage(4)
	cm := c.camera(1, 7)
	var ts int64 = 1e9
	for k := 0; k < 200; k++ {
		ts += 50e6
		r := float64(k%80) + 1
		for _, deg := range []float64{-40, 0, 40} { // roads at these bearings
			s, co := math.Sincos(deg * math.Pi / 180)
			c.mark(cm, r*s, r*co, 0, 0, ts, ts)
		}
	}
	c.rebuild(int64(60e9))
	for _, tc := range []struct {
		e, n float64
		want bool
	}{
		{0, 40, true}, {20, 50, true}, {-20, 50, true}, {0, 75, true},
		{0, -10, false}, {60, 10, false}, {-60, 10, false}, {0, 120, false},
	} {
		if got := c.isCovered(tc.e, tc.n); got != tc.want {
			t.Errorf("covered(%v, %v) = %v, want %v", tc.e, tc.n, got, tc.want)
		}
	}
}

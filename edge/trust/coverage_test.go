package trust

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// A camera at the origin sees a 90° sector north up to 80 m: detections
// along three roads inside it teach the coverage; points inside the hull
// are covered, points outside the sector are not.
func TestCoverageLearnsCameraSector(t *testing.T) {
	c := newCoverage(4)
	cm := c.camera(1, 7, 0)
	var ts int64 = 1e9
	for k := 0; k < 200; k++ {
		ts += 50e6
		r := float64(k%80) + 1
		for _, deg := range []float64{-40, 0, 40} { // roads at these bearings
			s, co := math.Sincos(deg * math.Pi / 180)
			c.mark(cm, r*s, r*co, 0, 0, ts, ts, 0, 0, 0, 0)
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

// A camera that comes back on a new stream after its old one fell silent
// starts its coverage anew: what it saw before (here, a sector it no
// longer sees) is not covered any more. A second stream of the sensor
// while the first still sends gets a record of its own.
func TestCoverageCameraReconnectStartsAnew(t *testing.T) {
	c := newCoverage(4)
	teach := func(cm *camCoverage, ts int64, deg float64) int64 {
		for k := 0; k < 200; k++ {
			ts += 50e6
			r := float64(k%80) + 1
			for _, d := range []float64{deg - 40, deg, deg + 40} {
				s, co := math.Sincos(d * math.Pi / 180)
				c.mark(cm, r*s, r*co, 0, 0, ts, ts, 0, 0, 0, 0)
			}
		}
		return ts
	}
	ts := teach(c.camera(1, 7, 1e9), 1e9, 0) // north
	c.rebuild(int64(60e9))
	if !c.isCovered(0, 40) {
		t.Fatal("north not learned")
	}
	if other := c.camera(2, 7, ts+1e8); other == &c.cams[0] || len(c.cams) != 2 {
		t.Fatalf("a second stream of a sensor that still sends took its record (%d records)", len(c.cams))
	}
	c.cams = c.cams[:1]
	ts += 3e9 // the first stream falls silent
	cm := c.camera(3, 7, ts)
	if cm != &c.cams[0] || len(c.cams) != 1 {
		t.Fatalf("the reconnected sensor got a new record (%d records)", len(c.cams))
	}
	teach(cm, ts, 180) // now it looks south
	c.rebuild(int64(60e9))
	if c.isCovered(0, 40) {
		t.Error("north still covered after the camera came back looking south")
	}
	if !c.isCovered(0, -40) {
		t.Error("south not learned")
	}
}

// Records of silent streams make room when the records are full.
func TestCoverageFullTakesSilentRecord(t *testing.T) {
	c := newCoverage(4)
	for i := range maxCameras {
		cm := c.camera(uint64(i+1), uint32(100+i), 1e9)
		c.mark(cm, 0, float64(i), 0, 0, 1e9+int64(i), 1e9+int64(i), 0, 0, 0, 0)
	}
	if cm := c.camera(99, 500, 1e9+1e8); cm != nil {
		t.Fatal("a full set of live records took a new source")
	}
	cm := c.camera(99, 500, 5e9)
	if cm == nil || cm.source != 500 || cm.stream != 99 {
		t.Fatalf("no silent record taken: %+v", cm)
	}
	if cm != &c.cams[0] { // the one silent longest (newest detection at 1e9+0)
		t.Error("took another record than the one silent longest")
	}
}

// freshEnds (what rebuild reads a camera's rows from) is a full scan of
// each row for its outermost cells seen within memory, at every rebuild,
// while cells are marked at random, go stale and are seen again, and the
// camera's record is reset.
func TestFreshEndsIsRowScan(t *testing.T) {
	c := newCoverage(4)
	cm := c.camera(1, 7, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	const memory = int64(2e9)
	ts := int64(1e9)
	for step := 0; step < 3000; step++ {
		ts += int64(rng.IntN(50e6))
		for range rng.IntN(6) {
			// a few rows, cells across a band, some far out
			e, n := (rng.Float64()-0.5)*60, 40+float64(rng.IntN(5))*4
			if rng.IntN(10) == 0 {
				e *= 4
			}
			c.mark(cm, e, n, 0, 0, ts, ts, 0, 0, 0, 0)
		}
		if step%700 == 699 {
			c.reset()
		}
		if rng.IntN(4) != 0 {
			continue
		}
		since := c.camNow - memory
		for j := 0; j < c.w; j++ {
			lo, hi, ok := -1, -1, false
			for x := range c.w {
				t := c.seenAt(cm, j*c.w+x)
				if t > since && t != 0 {
					if !ok {
						lo = x
					}
					hi, ok = x, true
				}
			}
			if j < cm.rowLo || j > cm.rowHi {
				if ok {
					t.Fatalf("step %d: row %d has fresh cells outside the rows seen", step, j)
				}
				continue
			}
			glo, ghi, gok := c.freshEnds(cm, j, since)
			if gok != ok || ok && (glo != lo || ghi != hi) {
				t.Fatalf("step %d row %d: freshEnds %d, %d, %v; scan %d, %d, %v", step, j, glo, ghi, gok, lo, hi, ok)
			}
		}
	}
}

// A cell with the first cameras' times is one cache line.
func TestCellIsOneCacheLine(t *testing.T) {
	if n := unsafe.Sizeof(cellSeen{}); n != 64 {
		t.Errorf("cellSeen is %d bytes, want 64", n)
	}
	c := newCoverage(4)
	if p := uintptr(unsafe.Pointer(&c.seen[0])); p%64 != 0 {
		t.Errorf("grid not aligned to 64 bytes (%#x)", p)
	}
}

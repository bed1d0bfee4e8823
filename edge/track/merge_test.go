package track

import (
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// A duplicate pair among many tracks is merged within one pass over the
// tracks, mergeBatch of them per cycle, whatever the cycle rate.
func TestMergeFindsDuplicateWithinAPass(t *testing.T) {
	for _, c := range []struct {
		tracks  int
		cycleNS int64
	}{{2, 1e6}, {200, 5e6}, {1000, 2e6}, {200, 16e6}, {1000, 30e6}} {
		tr := New(Config{})
		// Parked cars 20 m apart, each seen by its own BSM, and one more
		// BSM 10 m from the first (outside its gate: a track of its own).
		var ms []Measurement
		var e, n []float64
		for i := 0; i < c.tracks-1; i++ {
			ms = append(ms, Measurement{Kind: MeasSelfReport, Class: v2x.ClassCar, Stream: 1, Source: 1, LocalID: uint64(i), TimeNS: 1e9, CovEE: 1, CovNN: 1})
			e, n = append(e, float64(i%40)*20), append(n, float64(i/40)*20)
		}
		ms = append(ms, Measurement{Kind: MeasSelfReport, Class: v2x.ClassCar, Stream: 1, Source: 1, LocalID: 1 << 20, TimeNS: 1e9, CovEE: 1, CovNN: 1})
		e, n = append(e, 10), append(n, 0)
		tr.UpdateFrame(ms, e, n)
		tr.Expire(1e9)
		if len(tr.tracks) != c.tracks {
			t.Fatalf("%d tracks, want %d", len(tr.tracks), c.tracks)
		}
		// The duplicate drifts onto the position of a car in the middle of
		// the slice (the pass starts at the first).
		k := (c.tracks - 1) / 2
		dup := &tr.tracks[len(tr.tracks)-1]
		dup.f.x[0], dup.f.x[1] = tr.tracks[k].f.x[0]+0.5, tr.tracks[k].f.x[1]
		tr.g.invalidate()
		var at int64
		for now := 1e9 + c.cycleNS; now <= 10e9 && tr.C.Merged == 0; now += c.cycleNS {
			tr.Expire(now)
			at = now - 1e9
		}
		if tr.C.Merged != 1 || len(tr.tracks) != c.tracks-1 {
			t.Fatalf("%d tracks, cycles of %d ms: %d merged, %d tracks left", c.tracks, c.cycleNS/1e6, tr.C.Merged, len(tr.tracks))
		}
		if limit := int64((c.tracks+mergeBatch-1)/mergeBatch) * c.cycleNS; at > limit {
			t.Errorf("%d tracks, cycles of %d ms: merged after %d ms, want within %d", c.tracks, c.cycleNS/1e6, at/1e6, limit/1e6)
		}
	}
}

// Two pedestrians walking side by side, 0.4 m apart (within the merge
// distance, at the same velocity), are each detected in every frame of
// one camera: one frame updating both tracks says they are two people, so
// they are not merged.
func TestMergeKeepsWhatOneFrameSeparates(t *testing.T) {
	tr := New(Config{})
	det := func(local uint64, ts int64) Measurement {
		return Measurement{Kind: MeasDetection, Class: v2x.ClassPedestrian, Stream: 1, Source: 11, LocalID: local, TimeNS: ts,
			CovEE: 0.04, CovNN: 0.04, VelE: 1.2}
	}
	for k := int64(0); k < 30; k++ {
		ts := 1e9 + k*100e6
		x := 1.2 * float64(k) * 0.1
		tr.UpdateFrame([]Measurement{det(1, ts), det(2, ts)}, []float64{x, x}, []float64{0, 0.4})
		tr.Expire(ts + 2e6)
	}
	if tr.C.Merged != 0 || len(tr.tracks) != 2 {
		t.Fatalf("%d merged, %d tracks, want 0 and 2", tr.C.Merged, len(tr.tracks))
	}
	ax, ay := tr.tracks[0].Position()
	bx, by := tr.tracks[1].Position()
	if d := math.Hypot(ax-bx, ay-by); d > mergePedDist {
		t.Fatalf("tracks %.2f m apart: beyond the merge distance, the test proves nothing", d)
	}
}

package track

import (
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

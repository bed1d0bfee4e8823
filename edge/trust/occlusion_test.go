package trust

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// A claim in the shadow of a bus the camera sees (nearer to the camera,
// on the claim's line of sight) is not judged, however long the camera
// does not see it, when it came in from outside the sector (as honest
// vehicles do) or took over from another id of its source that fell
// silent there (a new temporary id); a car there casts no shadow (a pole
// camera sees over it), nor does a bus beside the line of sight: then
// the claim is a ghost within 500 ms. A claim that appeared in the
// bus's shadow, no id before it there, was made up behind the bus: a
// ghost within 500 ms too.
func TestOcclusion(t *testing.T) {
	for _, tc := range []struct {
		name    string
		class   v2x.Class
		at      [2]float64 // the occluder, east and north of the camera
		entered bool       // the claim was heard before the camera ran (from outside)
		renamed bool       // another id of its source stood there until it appeared
		ghost   bool
	}{
		{"behind a bus, came in", v2x.ClassBus, [2]float64{0, 40}, true, false, false},
		{"behind a bus, a new id", v2x.ClassBus, [2]float64{0, 40}, false, true, false},
		{"behind a bus, appeared there", v2x.ClassBus, [2]float64{0, 40}, false, false, true},
		{"behind a car", v2x.ClassCar, [2]float64{0, 40}, false, false, true},
		{"a bus beside the line of sight", v2x.ClassBus, [2]float64{12, 40}, false, false, true},
		{"a bus behind the claim", v2x.ClassBus, [2]float64{0, 77}, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w *testWorld
			var t0 int64
			switch {
			case tc.entered:
				w, t0 = declaredWorldHeard(t, 2, 0xdead, 0, 60)
			case tc.renamed:
				w, t0 = declaredWorldHeard(t, 2, 0xaaaa, 0, 60.5)
			default:
				w, t0 = declaredWorld(t)
			}
			length := float32(12)
			if tc.class == v2x.ClassCar {
				length = 4.5
			}
			var found int64
			for k := 1; k <= 10; k++ {
				now := t0 + int64(k)*100e6
				w.selfReport(now, 2, 0xdead, 0, 60) // in the sector, on the occluder's line of sight
				occ := track.Measurement{Kind: track.MeasDetection, Class: tc.class, Stream: 50, Source: 1, LocalID: 99,
					TimeNS: now, IngestNS: now, Lat: tc.at[1] * 1e-5, Lon: tc.at[0] * 1e-5, CovEE: 0.25, CovNN: 0.25,
					Length: length, Width: 2.5, VelN: 0.01}
				w.frame([]track.Measurement{occ}, []float64{tc.at[0]}, []float64{tc.at[1]})
				w.m.Cycle(w.tr.Tracks(), now)
				for _, f := range w.m.Drain() {
					if f.Check == wire.CheckGhost && f.LocalID == 0xdead && found == 0 {
						found = now - (t0 + 100e6)
					}
				}
			}
			switch {
			case tc.ghost && (found == 0 || found > 500e6):
				t.Fatalf("ghost found after %d ms, want within 500", found/1e6)
			case !tc.ghost && found != 0:
				t.Fatalf("a claim in a bus's shadow judged a ghost after %d ms", found/1e6)
			}
		})
	}
}

package trust

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// A claim in the shadow of a bus the camera sees (nearer to the camera,
// on the claim's line of sight) is not judged, however long the camera
// does not see it; a car there casts no shadow (a pole camera sees over
// it), nor does a bus beside the line of sight: then the claim is a ghost
// within 500 ms.
func TestOcclusion(t *testing.T) {
	for _, tc := range []struct {
		name  string
		class v2x.Class
		at    [2]float64 // the occluder, east and north of the camera
		ghost bool
	}{
		{"behind a bus", v2x.ClassBus, [2]float64{0, 40}, false},
		{"behind a car", v2x.ClassCar, [2]float64{0, 40}, true},
		{"a bus beside the line of sight", v2x.ClassBus, [2]float64{12, 40}, true},
		{"a bus behind the claim", v2x.ClassBus, [2]float64{0, 77}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, t0 := declaredWorld(t)
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

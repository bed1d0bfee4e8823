package eval

import (
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/v2x"
)

// TestTrackedBaseline: A is seen by camera-1 and the BSMs, B by camera-1
// alone. The fused state is 0.1 m off A and 0.5 m off B; camera-1's own
// tracker is 0.2 m off A and 0.1 m off B. Only A counts (two sources):
// fused 0.1 against 0.2 tracked, ratio 0.5, one pair per frame. B's
// better single-source track does not enter, nor its worse fused one.
func TestTrackedBaseline(t *testing.T) {
	e, f := newTestEval(t)
	cam := e.AddShadow("camera-1")
	A, B := [2]float64{0, 5}, [2]float64{5, -5}
	truth := []sim.TruthObject{{ID: 1, Class: v2x.ClassCar, E: A[0], N: A[1]}, {ID: 2, Class: v2x.ClassCar, E: B[0], N: B[1]}}
	latlon := func(p [2]float64) (float64, float64) { lat, lon, _ := f.FromENU(p[0], p[1], 0); return lat, lon }
	aLat, aLon := latlon(A)
	bLat, bLon := latlon(B)
	const frames = 60
	var now int64 = 1e12
	for range frames {
		now += int64(100 * time.Millisecond)
		e.AddTruth(now, truth)
		e.AddMeasurements(sim.FirstCameraID, now, []float64{aLat, bLat}, []float64{aLon, bLon})
		e.AddMeasurements(sim.VehiclesSourceID, now, []float64{aLat}, []float64{aLon})
		e.AddState(now, states(f, []uint32{10, 20}, [][2]float64{{A[0] + 0.1, A[1]}, {B[0] + 0.5, B[1]}}))
		cam.AddState(now+int64(20*time.Millisecond), states(f, []uint32{7, 8}, [][2]float64{{A[0], A[1] + 0.2}, {B[0], B[1] - 0.1}}))
	}
	r := e.Result()
	const judged = frames - 1 // the first state comes with the first truth, inside the 1-ns warm-up
	if r.Frames != judged {
		t.Fatalf("%d frames judged, want %d", r.Frames, judged)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"multi_source_rmse_m", r.MultiSourceRMSE, 0.1},
		{"multi_source_matches", float64(r.MultiSourceMatches), judged},
		{"best_single_tracked_rmse_m", r.BestSingleTrackedRMSE, 0.2},
		{"rmse_ratio_tracked", r.RMSERatioTracked, 0.5},
		{"source_tracked_fused_rmse_m", r.SourceTrackedFusedRMSE["camera-1"], 0.1},
		{"source_tracked_matches", float64(r.SourceTrackedMatches["camera-1"]), judged},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r.BestSingleTracked != "camera-1" {
		t.Errorf("best_single_tracked_source %q, want camera-1", r.BestSingleTracked)
	}
}

package eval

import (
	"math"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func newTestEval(t *testing.T) (*Evaluator, geo.Frame) {
	cfg := sim.Config{Seed: 1}
	cfg.SetDefaults()
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := s.Map()
	return New(s, Options{Warmup: time.Nanosecond}), geo.NewFrame(m.RefLat, m.RefLon, 0)
}

// states builds fused objects at the given ENU offsets (ids given).
func states(f geo.Frame, ids []uint32, pts [][2]float64) []wire.StateObject {
	var out []wire.StateObject
	for i, p := range pts {
		lat, lon, _ := f.FromENU(p[0], p[1], 0)
		out = append(out, wire.StateObject{ID: ids[i], Class: v2x.ClassCar, Lat: lat, Lon: lon, Sources: 1})
	}
	return out
}

func TestCLEARMOTCounts(t *testing.T) {
	e, f := newTestEval(t)
	// Two true cars near the centre (inside camera coverage).
	truth := []sim.TruthObject{{ID: 1, Class: v2x.ClassCar, E: 0, N: 5}, {ID: 2, Class: v2x.ClassCar, E: 5, N: -5}}
	for _, tr := range truth {
		if !e.Covered(tr.E, tr.N) {
			t.Fatalf("test truth at %v,%v not in coverage", tr.E, tr.N)
		}
	}
	step := int64(100 * time.Millisecond)
	var now int64 = 1e12
	add := func(objs []wire.StateObject) {
		now += step
		e.AddTruth(now, truth)
		e.AddState(now, objs)
	}
	add(nil)                                                                      // two misses
	add(states(f, []uint32{10, 20}, [][2]float64{{0.3, 5.4}, {5, -5}}))           // 2 matches, error 0.5 m on one
	add(states(f, []uint32{10, 21}, [][2]float64{{0, 5}, {5, -5}}))               // id switch on truth 2
	add(states(f, []uint32{10}, [][2]float64{{0, 5}}))                            // one miss
	add(states(f, []uint32{10, 21, 99}, [][2]float64{{0, 5}, {5, -5}, {-20, 0}})) // one false track
	r := e.Result()
	if r.IDSwitches != 1 || r.FalseTracks != 1 || r.Missed < 1 {
		t.Fatalf("result %+v: want 1 id switch, 1 false track, >= 1 miss", r)
	}
	if r.Matches != 7 {
		t.Fatalf("%d matches, want 7", r.Matches)
	}
	wantRMSE := math.Sqrt(0.25 / 7)
	if math.Abs(r.RMSE-wantRMSE) > 1e-3 {
		t.Errorf("rmse %v, want %v", r.RMSE, wantRMSE)
	}
	wantMOTA := 1 - float64(r.Missed+1+1)/float64(r.GroundTruth)
	if math.Abs(r.MOTA-wantMOTA) > 1e-3 {
		t.Errorf("mota %v, want %v", r.MOTA, wantMOTA)
	}
}

func TestSourceRMSE(t *testing.T) {
	e, f := newTestEval(t)
	truth := []sim.TruthObject{{ID: 1, Class: v2x.ClassCar, E: 0, N: 5}}
	var now int64 = 1e12
	for i := 0; i < 60; i++ {
		now += int64(100 * time.Millisecond)
		e.AddTruth(now, truth)
		lat, lon, _ := f.FromENU(0.6, 5, 0) // 0.6 m off, every time
		e.AddMeasurements(11, now, []float64{lat}, []float64{lon})
	}
	r := e.Result()
	if r.BestSingleSource == "" || math.Abs(r.BestSingleSourceRMSE-0.6) > 1e-3 {
		t.Fatalf("best single source %q rmse %v, want 0.6", r.BestSingleSource, r.BestSingleSourceRMSE)
	}
}

package eval

import (
	"encoding/json"
	"math"
	"strings"
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

// TestForgedObjectsBroadcast: a broadcast object counts as forged when it
// lies at a forged object and no true object takes it, once per judged
// state.
func TestForgedObjectsBroadcast(t *testing.T) {
	e, f := newTestEval(t)
	truth := []sim.TruthObject{{ID: 1, Class: v2x.ClassCar, E: 0, N: 5, VehicleID: 77, Equipped: true}}
	forged := []sim.ForgedObject{
		{LocalID: 900, E: 20, N: 0, OwnID: true},        // a ghost
		{LocalID: 77, E: 0, N: 5.5, Of: 1},              // at the real vehicle: explained by it
		{LocalID: 901, E: -3, N: 5, Of: 1, OwnID: true}, // a sybil clone 3 m off
	}
	var now int64 = 1e12
	add := func(objs []wire.StateObject) {
		now += int64(100 * time.Millisecond)
		e.AddScene(now, truth, forged)
		e.AddState(now, objs)
	}
	add(states(f, []uint32{10}, [][2]float64{{0, 5}}))                               // only the real car: 0
	add(states(f, []uint32{10, 11}, [][2]float64{{0, 5}, {20.5, 0}}))                // + the ghost: 1
	add(states(f, []uint32{10, 11, 12}, [][2]float64{{0, 5.4}, {20, 1}, {-3.2, 5}})) // + ghost and clone: 2
	add(states(f, []uint32{11}, [][2]float64{{0.2, 5.3}}))                           // the car's only object is near its forged twin: explained, 0
	add(states(f, []uint32{10, 13}, [][2]float64{{0, 5}, {60, 0}}))                  // a false track far from any forgery: 0
	r := e.Result()
	if r.ForgedObjectsBroadcast != 3 {
		t.Errorf("forged_objects_broadcast %d, want 3", r.ForgedObjectsBroadcast)
	}
	if r.FalseTracks != 4 {
		t.Errorf("false_tracks %d, want 4 (forged objects are false tracks too)", r.FalseTracks)
	}
}

// TestEventAttribution: findings against the attacker by identity, by the
// attacker's own temporary ids, or by the position of a forged object;
// everything else is a false finding. Detection time runs from the first
// forged message sent to the first finding against the attacker received.
func TestEventAttribution(t *testing.T) {
	e, f := newTestEval(t)
	e.opt.Attack, e.opt.AttackerIdentity = "teleport", "mallory"
	truth := []sim.TruthObject{{ID: 1, Class: v2x.ClassCar, E: 30, N: -20, VehicleID: 77, Equipped: true}}
	forged := []sim.ForgedObject{{LocalID: 77, E: 120, N: 5, Of: 1}, {LocalID: 901, E: -3, N: 5, Of: 1, OwnID: true}}
	const t0 = int64(1e12)
	for i := range 20 {
		e.AddScene(t0+int64(i)*int64(100*time.Millisecond), truth, forged)
	}
	at := func(x, y float64) (lat, lon float64) { lat, lon, _ = f.FromENU(x, y, 0); return }
	nan := math.NaN()
	lat0, lon0 := at(30, -20) // the real vehicle
	latF, lonF := at(121, 4)  // near the teleported position
	for _, c := range []struct {
		name string
		ev   wire.Event
		want bool
	}{
		{"attacker identity", wire.Event{Identity: "mallory", Lat: nan, Lon: nan}, true},
		{"honest identity", wire.Event{Identity: "sim", LocalID: 901, Lat: latF, Lon: lonF}, false},
		{"own id, no position", wire.Event{LocalID: 901, Lat: nan, Lon: nan}, true},
		{"shared id at the forged position", wire.Event{LocalID: 77, Lat: latF, Lon: lonF}, true},
		{"shared id at the real vehicle", wire.Event{LocalID: 77, Lat: lat0, Lon: lon0}, false},
		{"shared id, no position", wire.Event{LocalID: 77, Lat: nan, Lon: nan}, true},
		{"no id, forged position", wire.Event{Lat: latF, Lon: lonF}, true},
		{"unknown id elsewhere", wire.Event{LocalID: 5, Lat: lat0, Lon: lon0}, false},
		{"spat without identity", wire.Event{Type: wire.TypeSPAT, Lat: nan, Lon: nan}, false},
	} {
		if got := e.Attributed(t0+int64(time.Second), &c.ev); got != c.want {
			t.Errorf("%s: attributed to the attacker %v, want %v", c.name, got, c.want)
		}
	}
	if e.Attributed(t0+int64(5*time.Second), &wire.Event{Lat: latF, Lon: lonF}) {
		t.Error("a position matched forged objects claimed 3 s before")
	}

	// Counting: before the attack, no detection; then a false finding, a
	// quarantine (not a finding) and two findings against the attacker.
	r := e.Result()
	if r.Attack != "teleport" || r.Detected || r.DetectMS != nil || r.Findings != 0 {
		t.Fatalf("before any finding: %+v", r)
	}
	sent := t0 + int64(1500*time.Millisecond)
	e.AttackSent(sent)
	e.AttackSent(sent + int64(100*time.Millisecond)) // later messages do not move the start
	e.AddEvent(sent+int64(50*time.Millisecond), sent, &wire.Event{Identity: "sim", Lat: nan, Lon: nan})
	e.AddEvent(sent+int64(60*time.Millisecond), sent, &wire.Event{Action: wire.EventQuarantine, Identity: "mallory", Lat: nan, Lon: nan})
	e.AddEvent(sent+int64(240*time.Millisecond), sent, &wire.Event{Check: wire.CheckPosSpeed, Identity: "mallory", Lat: nan, Lon: nan})
	e.AddEvent(sent+int64(400*time.Millisecond), sent, &wire.Event{Identity: "mallory", Lat: nan, Lon: nan})
	r = e.Result()
	if !r.Detected || r.DetectMS == nil || *r.DetectMS != 240 {
		t.Errorf("detected %v after %v ms, want 240 ms", r.Detected, r.DetectMS)
	}
	if r.FalseFindings != 1 || r.Findings != 3 {
		t.Errorf("%d false findings of %d, want 1 of 3", r.FalseFindings, r.Findings)
	}
}

// TestResultJSONFields: the attack fields are in the JSON line, detect_ms
// null when nothing was detected.
func TestResultJSONFields(t *testing.T) {
	e, _ := newTestEval(t)
	b, err := json.Marshal(e.Result())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{`"attack":""`, `"detected":false`, `"detect_ms":null`, `"forged_objects_broadcast":0`, `"false_findings":0`, `"findings":0`, `"seed":0`} {
		if !strings.Contains(string(b), f) {
			t.Errorf("%s: no %s", b, f)
		}
	}
}

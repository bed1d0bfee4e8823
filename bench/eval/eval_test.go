package eval

import (
	"encoding/json"
	"math"
	"slices"
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

// TestCLEARMOTCounts judges a hand-made scenario of seven frames and
// checks every count against the hand computation below.
//
// Truth, still for the whole run (metres from the MAP reference point):
// cars A (id 1) at (0, 5), B (2) at (5, -5), C (3) at (-5, -5), all in
// camera coverage, and U (4) at (0, 300), beyond every camera: U is never
// ground truth, never a miss, and a fused object on it is no false track.
//
//	frame  fused objects (id @ position)              GT  miss  FP  switch  matched  squared error
//	1      none                                        3   3     0   0       0        0
//	2      10 @ A+(0.3, 0.4), 20 @ B, 30 @ C           3   0     0   0       3        0.25
//	       (a state 50 ms later, with three strays: inside Every, not judged)
//	3      10 @ A, 21 @ B, 30 @ C+(0, 1)               3   0     0   1 (B)   3        1
//	4      10 @ A, 30 @ C, 40 @ (-20, 0)               3   1 (B) 1   0       2        0
//	5      10 @ A, 21 @ B, 30 @ C, 50 @ U, 60 @ (0, 500)
//	                                                   3   0     0   0       3        0
//	6      10 @ A+(3, 0), 21 @ B, 30 @ C               3   1 (A) 1   0       2        0
//	7      30 @ A, 21 @ B, 10 @ C                      3   0     0   2 (A,C) 3        0
//	total                                              21  5     2   3       16       1.25
//
// Notes on the rows: frame 1 is judged (the evaluator's clock starts with
// the first truth, 100 ms before it, and the warm-up is 1 ns). In frame 4
// B is missed and its last match stays 21, so 21 on B in frame 5 is no
// switch. 50 in frame 5 matches U, so it is not false although U is not
// counted; 60 is outside coverage and unmatched: not counted either. In
// frame 6, 10 lies 3 m from A, beyond the 2.5 m match distance: A is
// missed and 10 is a false track in coverage, within 5 m of a true object
// (near truth) and fed by two sources (multi-source); frame 4's false
// track 40 is 15.8 m from C, the nearest truth. In frame 7, A (last
// matched to 10) now matches 30 and C (last 30) matches 10: two switches.
//
// So MOTA = 1 - (5 + 2 + 3) / 21 = 11/21 and RMSE = sqrt(1.25 / 16).
func TestCLEARMOTCounts(t *testing.T) {
	e, f := newTestEval(t)
	A, B, C, U := [2]float64{0, 5}, [2]float64{5, -5}, [2]float64{-5, -5}, [2]float64{0, 300}
	truth := []sim.TruthObject{{ID: 1, Class: v2x.ClassCar, E: A[0], N: A[1]}, {ID: 2, Class: v2x.ClassCar, E: B[0], N: B[1]},
		{ID: 3, Class: v2x.ClassCar, E: C[0], N: C[1]}, {ID: 4, Class: v2x.ClassCar, E: U[0], N: U[1]}}
	for _, p := range [][2]float64{A, B, C, {-20, 0}, {3, 5}} {
		if !e.Covered(p[0], p[1]) {
			t.Fatalf("%v should be in coverage", p)
		}
	}
	for _, p := range [][2]float64{U, {0, 500}} {
		if e.Covered(p[0], p[1]) {
			t.Fatalf("%v should be outside coverage", p)
		}
	}
	off := func(p [2]float64, de, dn float64) [2]float64 { return [2]float64{p[0] + de, p[1] + dn} }
	step := int64(100 * time.Millisecond)
	var now int64 = 1e12
	e.AddTruth(now, truth) // the evaluator's clock starts here
	frame := func(ids []uint32, pts [][2]float64) []wire.StateObject {
		now += step
		e.AddTruth(now, truth)
		objs := states(f, ids, pts)
		e.AddState(now, objs)
		return objs
	}
	frame(nil, nil)
	frame([]uint32{10, 20, 30}, [][2]float64{off(A, 0.3, 0.4), B, C})
	e.AddTruth(now+step/2, truth)
	e.AddState(now+step/2, states(f, []uint32{91, 92, 93}, [][2]float64{{-20, 0}, {20, 0}, {0, -20}})) // within Every: ignored
	frame([]uint32{10, 21, 30}, [][2]float64{A, B, off(C, 0, 1)})
	frame([]uint32{10, 30, 40}, [][2]float64{A, C, {-20, 0}})
	frame([]uint32{10, 21, 30, 50, 60}, [][2]float64{A, B, C, U, {0, 500}})
	now += step // frame 6, with the false track fed by two sources
	e.AddTruth(now, truth)
	objs := states(f, []uint32{10, 21, 30}, [][2]float64{off(A, 3, 0), B, C})
	objs[0].Sources = 2
	e.AddState(now, objs)
	frame([]uint32{30, 21, 10}, [][2]float64{A, B, C})

	r := e.Result()
	got := []int{r.Frames, r.GroundTruth, r.Missed, r.FalseTracks, r.IDSwitches, r.Matches, r.FalseNearTruth, r.FalseMultiSource}
	want := []int{7, 21, 5, 2, 3, 16, 1, 1}
	names := []string{"frames", "ground truth", "missed", "false tracks", "id switches", "matches", "false near truth", "false multi-source"}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s = %d, want %d", names[i], got[i], want[i])
		}
	}
	if w := 0.5238; r.MOTA != w { // 11/21 = 0.523809..., rounded to 4 places as Result does
		t.Errorf("mota %v, want %v", r.MOTA, w)
	}
	if w := 0.2795; r.RMSE != w { // sqrt(1.25/16) = 0.279508...
		t.Errorf("rmse %v, want %v", r.RMSE, w)
	}
	if w := 3.0; r.CoveredObjectsPerFrame != w {
		t.Errorf("covered objects per frame %v, want %v", r.CoveredObjectsPerFrame, w)
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
// lies at a forged object, moves at its claimed speed and no true object
// takes it, once per judged state.
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
	// A clone claiming 8 m/s: a standing false track beside it is no
	// track of its BSMs (0); one moving at 7 m/s is (1).
	forged[2].Speed = 8
	add(states(f, []uint32{10, 12}, [][2]float64{{0, 5}, {-3.2, 5}})) // 0
	moving := states(f, []uint32{10, 12}, [][2]float64{{0, 5}, {-3.2, 5}})
	moving[1].Speed = 7
	add(moving) // 1
	r := e.Result()
	if r.ForgedObjectsBroadcast != 4 {
		t.Errorf("forged_objects_broadcast %d, want 4", r.ForgedObjectsBroadcast)
	}
	if r.FalseTracks != 6 {
		t.Errorf("false_tracks %d, want 6 (forged objects are false tracks too)", r.FalseTracks)
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

// TestCLEARMOTKeepsCorrespondence: two people walking side by side, 0.6 m
// apart, followed by tracks 10 and 20. In frames 2 and 3 the tracks'
// noise makes the crossed pairing the shorter one (10 nearer Q, 20 nearer
// P), but each track is still within the match distance of the person it
// followed: CLEAR-MOT keeps the correspondences, so no identity switch
// (matching by distance alone counted two in each). In frame 4 track 10
// is 3.5 m off (beyond reach: P missed, 10 a false track) and 20 lies on
// P, but still within reach of Q, which keeps it. In frame 5 20 is gone
// (Q missed) and a new track 30 lies on P: P's correspondence changes
// from 10 to 30, one switch.
func TestCLEARMOTKeepsCorrespondence(t *testing.T) {
	e, f := newTestEval(t)
	P, Q := [2]float64{0, 5}, [2]float64{0.6, 5}
	truth := []sim.TruthObject{{ID: 1, Class: v2x.ClassPedestrian, E: P[0], N: P[1]}, {ID: 2, Class: v2x.ClassPedestrian, E: Q[0], N: Q[1]}}
	step := int64(100 * time.Millisecond)
	var now int64 = 1e12
	e.AddTruth(now, truth)
	frame := func(ids []uint32, pts [][2]float64) {
		now += step
		e.AddTruth(now, truth)
		e.AddState(now, states(f, ids, pts))
	}
	frame([]uint32{10, 20}, [][2]float64{P, Q})
	frame([]uint32{10, 20}, [][2]float64{{0.7, 5}, {-0.1, 5}})  // crossed pairing 0.2 m in all, kept one 1.4 m
	frame([]uint32{10, 20}, [][2]float64{{0.5, 5.2}, {0.1, 5}}) // crossed 0.32 m, kept 0.78 m
	frame([]uint32{10, 20}, [][2]float64{{-3.5, 5}, P})
	frame([]uint32{30}, [][2]float64{P})
	r := e.Result()
	got := []int{r.IDSwitches, r.Missed, r.FalseTracks, r.Matches}
	if want := []int{1, 2, 1, 8}; !slices.Equal(got, want) {
		t.Errorf("id switches, missed, false tracks, matches = %v, want %v", got, want)
	}
}

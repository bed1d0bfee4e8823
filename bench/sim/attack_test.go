package sim

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// forgedAt is one forged message with the truth and the forged objects at
// the step that queued it.
type forgedAt struct {
	out    Output
	truth  []TruthObject
	forged []ForgedObject
}

// attackRun steps a simulator of seed for d with an attacker of kind (none
// for AttackNone) and returns the honest outputs and the forged ones.
func attackRun(t *testing.T, seed int64, kind AttackKind, d time.Duration) (honest []Output, forged []forgedAt) {
	t.Helper()
	s := newSim(t, func(c *Config) { c.Seed = seed })
	var a *Attacker
	if kind != AttackNone {
		var err error
		if a, err = NewAttacker(s, AttackConfig{Kind: kind, Seed: seed}); err != nil {
			t.Fatal(err)
		}
	}
	var outs, fouts []Output
	for s.Now() < d {
		s.Step(tick)
		if a == nil {
			outs = s.Due(outs[:0])
			honest = append(honest, outs...)
			continue
		}
		a.Step(s)
		outs = s.Due(outs[:0])
		for i := range outs {
			a.Observe(&outs[i])
		}
		honest = append(honest, outs...)
		// SendAt is attackDelay after capture: what Step queued is due
		// one step later; pair it with the truth of its capture step.
		fouts = a.Due(fouts[:0], s.Now()+attackDelay)
		for _, o := range fouts {
			forged = append(forged, forgedAt{out: o, truth: s.Truth(nil), forged: a.Forged(nil)})
		}
	}
	return honest, forged
}

func enu(s *Sim, b *v2x.BSM) (e, n float64) {
	e, n, _ = s.frame.ToENU(b.Lat, b.Lon, 0)
	return e, n
}

func TestParseAttack(t *testing.T) {
	for _, k := range AttackKinds() {
		got, err := ParseAttack(k.String())
		if err != nil || got != k {
			t.Errorf("ParseAttack(%q) = %v, %v", k.String(), got, err)
		}
	}
	if k, err := ParseAttack(""); err != nil || k != AttackNone {
		t.Errorf(`ParseAttack("") = %v, %v`, k, err)
	}
	if _, err := ParseAttack("dos"); err == nil {
		t.Error(`ParseAttack("dos"): no error`)
	}
	if len(AttackKinds()) != 8 {
		t.Errorf("%d attack kinds, want 8", len(AttackKinds()))
	}
}

// TestHonestTrafficUnchanged: the honest messages of a seed are the same
// with every attack on as with none.
func TestHonestTrafficUnchanged(t *testing.T) {
	clean, _ := attackRun(t, 5, AttackNone, 6*time.Second)
	for _, k := range AttackKinds() {
		honest, forged := attackRun(t, 5, k, 6*time.Second)
		if len(forged) == 0 {
			t.Errorf("%v: nothing forged", k)
		}
		if !reflect.DeepEqual(honest, clean) {
			t.Errorf("%v: honest outputs differ from the clean run's", k)
		}
	}
}

// TestAttackDeterministic: the same seed forges the same messages; another
// seed forges others (but for fake-green, a function of the fixed plan).
func TestAttackDeterministic(t *testing.T) {
	for _, k := range AttackKinds() {
		_, f1 := attackRun(t, 9, k, 5*time.Second)
		_, f2 := attackRun(t, 9, k, 5*time.Second)
		_, f3 := attackRun(t, 10, k, 5*time.Second)
		o1, o2, o3 := outsOf(f1), outsOf(f2), outsOf(f3)
		if !reflect.DeepEqual(o1, o2) {
			t.Errorf("%v: same seed, different forgeries", k)
		}
		if k != AttackFakeGreen && reflect.DeepEqual(o1, o3) { // the plan is fixed-time: fake-green needs no randomness
			t.Errorf("%v: seeds 9 and 10 forged the same", k)
		}
	}
}

func outsOf(fs []forgedAt) []Output {
	var o []Output
	for _, f := range fs {
		o = append(o, f.out)
	}
	return o
}

// TestAttackStartsAfterWarmup: nothing is forged before the start; then
// every message comes from the attacker's own source.
func TestAttackStartsAfterWarmup(t *testing.T) {
	for _, k := range AttackKinds() {
		_, forged := attackRun(t, 3, k, 5*time.Second)
		for _, f := range forged {
			if f.out.SendAt < DefaultAttackStart {
				t.Fatalf("%v: forged message sent at %v, before the %v start", k, f.out.SendAt, DefaultAttackStart)
			}
			if f.out.Source != AttackSourceID {
				t.Fatalf("%v: source %d, want %d", k, f.out.Source, AttackSourceID)
			}
		}
	}
}

func TestGhostNeverNearARealObject(t *testing.T) {
	s := newSim(t, nil)
	cams := s.Cameras()
	_, forged := attackRun(t, 7, AttackGhost, 30*time.Second)
	ids := map[uint64]bool{}
	for _, f := range forged {
		if f.out.Type != MsgBSM {
			t.Fatalf("ghost sent a %v", f.out.Type)
		}
		e, n := enu(s, &f.out.BSM)
		for _, o := range f.truth {
			if d := math.Hypot(o.E-e, o.N-n); d < ghostNear {
				t.Fatalf("ghost %d at (%.1f, %.1f) is %.1f m from real object %d", f.out.BSM.VehicleID, e, n, d, o.ID)
			}
			if o.VehicleID == f.out.BSM.VehicleID {
				t.Fatalf("ghost id %d is a real vehicle's", o.VehicleID)
			}
		}
		if !Covered(cams, e, n) {
			t.Fatalf("ghost at (%.1f, %.1f) outside camera coverage", e, n)
		}
		if f.out.BSM.Speed != 0 {
			t.Fatalf("ghost claims %v m/s", f.out.BSM.Speed)
		}
		if len(f.forged) != 1 || f.forged[0].LocalID != f.out.BSM.VehicleID || !f.forged[0].OwnID ||
			math.Hypot(f.forged[0].E-e, f.forged[0].N-n) > 0.01 {
			t.Fatalf("forged objects %+v, want the ghost at (%.1f, %.1f)", f.forged, e, n)
		}
		ids[f.out.BSM.VehicleID] = true
	}
	if len(forged) < 250 {
		t.Errorf("%d ghost BSMs in 27 s, want about 270", len(forged))
	}
	t.Logf("%d ghost BSMs under %d ids", len(forged), len(ids))
}

// onLane reports whether a point lies on a MAP vehicle lane (within half
// its width of a segment).
func onLane(m v2x.Map, e, n float64) bool {
	for _, ln := range m.Lanes {
		if ln.Kind != v2x.LaneVehicle {
			continue
		}
		for i := 0; i+1 < len(ln.Nodes); i++ {
			p, q := ln.Nodes[i], ln.Nodes[i+1]
			px, py, qx, qy := float64(p.E), float64(p.N), float64(q.E), float64(q.N)
			l2 := (qx-px)*(qx-px) + (qy-py)*(qy-py)
			u := math.Max(0, math.Min(1, ((e-px)*(qx-px)+(n-py)*(qy-py))/l2))
			if math.Hypot(px+u*(qx-px)-e, py+u*(qy-py)-n) <= float64(ln.Width)/2 {
				return true
			}
		}
	}
	return false
}

func TestGhostOnALane(t *testing.T) {
	s := newSim(t, nil)
	_, forged := attackRun(t, 7, AttackGhost, 10*time.Second)
	for _, f := range forged {
		if e, n := enu(s, &f.out.BSM); !onLane(s.Map(), e, n) {
			t.Fatalf("ghost at (%.1f, %.1f) is on no lane", e, n)
		}
	}
}

// victim returns the true object with BSM id vid.
func victim(truth []TruthObject, vid uint64) *TruthObject {
	for i := range truth {
		if truth[i].VehicleID == vid {
			return &truth[i]
		}
	}
	return nil
}

func TestTeleportOffset(t *testing.T) {
	s := newSim(t, nil)
	_, forged := attackRun(t, 7, AttackTeleport, 20*time.Second)
	if len(forged) < 150 {
		t.Fatalf("%d teleported BSMs", len(forged))
	}
	covered := 0
	for _, f := range forged {
		v := victim(f.truth, f.out.BSM.VehicleID)
		if v == nil {
			t.Fatalf("teleported id %d is no real vehicle's", f.out.BSM.VehicleID)
		}
		e, n := enu(s, &f.out.BSM)
		if d := math.Hypot(e-v.E, n-v.N); d < teleportMin-0.01 || d > teleportMax+0.01 {
			t.Fatalf("offset %.1f m, want 50-500", d)
		}
		if Covered(s.Cameras(), e, n) {
			covered++
		}
		if len(f.forged) != 1 || f.forged[0].Of != v.ID || f.forged[0].OwnID || math.Hypot(f.forged[0].E-e, f.forged[0].N-n) > 0.01 {
			t.Fatalf("forged objects %+v, want the teleported position", f.forged)
		}
	}
	if covered < len(forged)/2 {
		t.Errorf("%d of %d teleported positions inside camera coverage", covered, len(forged))
	}
}

func TestConstPosKeepsPosition(t *testing.T) {
	s := newSim(t, nil)
	_, forged := attackRun(t, 7, AttackConstPos, 8*time.Second)
	byID := map[uint64][]Output{}
	for _, f := range forged {
		byID[f.out.BSM.VehicleID] = append(byID[f.out.BSM.VehicleID], f.out)
		if f.out.BSM.Speed < constPosMinSpeed {
			t.Fatalf("const-pos claims %v m/s", f.out.BSM.Speed)
		}
	}
	for id, os := range byID {
		if len(os) < 2 {
			continue
		}
		e0, n0 := enu(s, &os[0].BSM)
		for _, o := range os[1:] {
			if e, n := enu(s, &o.BSM); math.Hypot(e-e0, n-n0) > 0.01 {
				t.Fatalf("vehicle %d moved %.2f m", id, math.Hypot(e-e0, n-n0))
			}
		}
	}
	if len(forged) < 40 {
		t.Errorf("%d const-pos BSMs", len(forged))
	}
}

func TestRandomSpeed(t *testing.T) {
	s := newSim(t, nil)
	_, forged := attackRun(t, 7, AttackRandomSpeed, 8*time.Second)
	far := 0
	for _, f := range forged {
		v := victim(f.truth, f.out.BSM.VehicleID)
		if v == nil {
			t.Fatalf("id %d is no real vehicle's", f.out.BSM.VehicleID)
		}
		e, n := enu(s, &f.out.BSM)
		if d := math.Hypot(e-v.E, n-v.N); d > 0.01 {
			t.Fatalf("position %.2f m off the real vehicle", d)
		}
		if math.Abs(float64(f.out.BSM.Speed-v.Speed)) > 10 {
			far++
		}
	}
	if far < len(forged)/3 {
		t.Errorf("%d of %d speeds more than 10 m/s off the truth", far, len(forged))
	}
}

func TestSybilThreeIDs(t *testing.T) {
	s := newSim(t, nil)
	_, forged := attackRun(t, 7, AttackSybil, 8*time.Second)
	ids := map[uint64]bool{}
	for _, f := range forged {
		ids[f.out.BSM.VehicleID] = true
		if victim(f.truth, f.out.BSM.VehicleID) != nil {
			t.Fatalf("sybil id %d is a real vehicle's", f.out.BSM.VehicleID)
		}
		var v *TruthObject
		for _, fo := range f.forged {
			for i := range f.truth {
				if f.truth[i].ID == fo.Of {
					v = &f.truth[i]
				}
			}
		}
		if v == nil || !v.Equipped {
			t.Fatalf("sybil clones of no equipped real vehicle: %+v", f.forged)
		}
		e, n := enu(s, &f.out.BSM)
		if d := math.Hypot(e-v.E, n-v.N); d < sybilOffMin-0.01 || d > sybilOffMax+0.01 {
			t.Fatalf("clone %.2f m from the vehicle, want %v-%v", d, sybilOffMin, sybilOffMax)
		}
		if len(f.forged) != sybilClones {
			t.Fatalf("%d forged objects, want %d", len(f.forged), sybilClones)
		}
	}
	// One victim for the whole run unless it left: three ids per victim.
	if len(ids)%sybilClones != 0 || len(ids) == 0 {
		t.Errorf("%d sybil ids, want three per victim", len(ids))
	}
	if len(forged) < 3*40 {
		t.Errorf("%d sybil BSMs", len(forged))
	}
}

func TestReplayResendsOldCaptures(t *testing.T) {
	honest, forged := attackRun(t, 7, AttackReplay, 10*time.Second)
	type key struct {
		id    uint64
		count uint8
		c     time.Duration
	}
	orig := map[key]Output{}
	for _, o := range honest {
		if o.Type == MsgBSM {
			orig[key{o.BSM.VehicleID, o.BSM.MsgCount, o.Capture}] = o
		}
	}
	if len(forged) < 40 {
		t.Fatalf("%d replayed BSMs", len(forged))
	}
	for _, f := range forged {
		o, ok := orig[key{f.out.BSM.VehicleID, f.out.BSM.MsgCount, f.out.Capture}]
		if !ok {
			t.Fatalf("replayed BSM %d/%d captured at %v was never sent honestly", f.out.BSM.VehicleID, f.out.BSM.MsgCount, f.out.Capture)
		}
		if o.BSM != f.out.BSM {
			t.Fatalf("replayed BSM differs from the original")
		}
		if age := f.out.SendAt - f.out.Capture; age < replayDelay {
			t.Fatalf("replayed BSM only %v old", age)
		}
	}
}

func TestFakeGreenTurnsRedGreen(t *testing.T) {
	s := newSim(t, nil)
	plan := s.Plan()
	_, forged := attackRun(t, 7, AttackFakeGreen, 30*time.Second)
	if len(forged) < 200 {
		t.Fatalf("%d fake SPATs", len(forged))
	}
	for _, f := range forged {
		real := plan.SPAT(f.out.Capture)
		if f.out.Type != MsgSPAT || f.out.SPAT.IntersectionID != IntersectionID {
			t.Fatalf("forged %v of intersection %d", f.out.Type, f.out.SPAT.IntersectionID)
		}
		turned := 0
		for i, p := range f.out.SPAT.Phases {
			r := real.Phases[i]
			if p.State != r.State {
				if r.State != v2x.LightRed || p.State != v2x.LightGreen {
					t.Fatalf("group %d: real %v, forged %v", p.ID, r.State, p.State)
				}
				turned++
			}
		}
		if turned != 1 {
			t.Fatalf("at %v: %d groups turned green", f.out.Capture, turned)
		}
	}
}

func TestMapSwapShiftsGeometry(t *testing.T) {
	s := newSim(t, nil)
	real := s.Map()
	_, forged := attackRun(t, 7, AttackMapSwap, 6*time.Second)
	if len(forged) < 2 {
		t.Fatalf("%d swapped MAPs", len(forged))
	}
	for _, f := range forged {
		m := f.out.Map
		if f.out.Type != MsgMAP || m.IntersectionID != real.IntersectionID || m.RefLat != real.RefLat || len(m.Lanes) != len(real.Lanes) {
			t.Fatalf("forged %v: not the same intersection's MAP", f.out.Type)
		}
		de := float64(m.Lanes[0].Nodes[0].E - real.Lanes[0].Nodes[0].E)
		dn := float64(m.Lanes[0].Nodes[0].N - real.Lanes[0].Nodes[0].N)
		if d := math.Hypot(de, dn); d < mapShiftMin-0.01 || d > mapShiftMax+0.01 {
			t.Fatalf("shift %.1f m, want %v-%v", d, mapShiftMin, mapShiftMax)
		}
		for i, ln := range m.Lanes {
			for j, p := range ln.Nodes {
				r := real.Lanes[i].Nodes[j]
				if math.Abs(float64(p.E-r.E)-de) > 0.01 || math.Abs(float64(p.N-r.N)-dn) > 0.01 {
					t.Fatalf("lane %d node %d not shifted like the rest", ln.ID, j)
				}
			}
		}
	}
	if real2 := s.Map(); !reflect.DeepEqual(real, real2) {
		t.Error("the simulator's MAP changed")
	}
}

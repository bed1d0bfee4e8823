package eval

import (
	"fmt"
	"math"
	"os"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// How findings without an identity are tied to forged objects: a finding
// whose position lies within attributeDistance of a forged object claimed
// within attributeWindow of the finding's time is against the attacker.
const (
	attributeDistance = 3.0 // m
	attributeWindow   = int64(time.Second)
)

// attackCounts is what the evaluator keeps about an attack.
type attackCounts struct {
	firstSent      int64 // node-comparable ns of the first forged message sent; 0 before
	firstDetected  int64 // receive time of the first finding against the attacker; 0 before
	forgedFrames   int   // object-frames of forged objects broadcast
	falseFindings  int
	findings       int
	ownIDs, shared map[uint64]bool // temporary ids of forged objects: the attacker's own, or a real vehicle's
}

// noteForged remembers the temporary ids forged objects are sent under.
func (e *Evaluator) noteForged(forged []sim.ForgedObject) {
	a := &e.atk
	for _, f := range forged {
		if a.ownIDs == nil {
			a.ownIDs, a.shared = map[uint64]bool{}, map[uint64]bool{}
		}
		if f.OwnID {
			a.ownIDs[f.LocalID] = true
		} else {
			a.shared[f.LocalID] = true
		}
	}
}

// countForged counts, in one judged state, the broadcast objects no true
// object took (cp[j] with !taken[j]) that lie within MatchDistance of a
// forged object: a ghost, a teleported position, a sybil clone, ...
func (e *Evaluator) countForged(forged []sim.ForgedObject, cp []point, taken []bool) {
	if len(forged) == 0 {
		return
	}
	d2max := e.opt.MatchDistance * e.opt.MatchDistance
	for j := range cp {
		if taken[j] {
			continue
		}
		for _, f := range forged {
			if (f.E-cp[j].x)*(f.E-cp[j].x)+(f.N-cp[j].y)*(f.N-cp[j].y) <= d2max {
				e.atk.forgedFrames++
				break
			}
		}
	}
}

// AttackSent records that a forged message was sent at t (ns,
// node-comparable); the first one starts the detection time.
func (e *Evaluator) AttackSent(t int64) {
	if e.atk.firstSent == 0 {
		e.atk.firstSent = t
	}
}

// AddEvent judges an Event frame received at recv (ns, node-comparable)
// whose node time, on our clock, is t. Only findings count (quarantine and
// release events report their consequences). A finding is against the
// attacker, and the attack detected, when Attributed says so; every other
// finding is a false finding, against an honest source.
func (e *Evaluator) AddEvent(recv, t int64, ev *wire.Event) {
	if ev.Action != wire.EventFinding {
		return
	}
	a := &e.atk
	a.findings++
	if !e.Attributed(t, ev) {
		a.falseFindings++
		if debugFP {
			fmt.Fprintf(os.Stderr, "FALSEFINDING %s t=%d %+v\n", e.opt.Name, (t-e.start)/1e6, *ev)
		}
		return
	}
	if a.firstDetected == 0 {
		a.firstDetected = recv
	}
}

// Attributed reports whether a finding of node time t (on our clock) is
// against the attacker:
//   - with an identity, when it is the attacker's (Options.AttackerIdentity);
//   - without one, when its LocalID is a temporary id only the attacker
//     uses (a ghost's, a sybil clone's), or its position lies within 3 m
//     of a forged object claimed within 1 s of t; a LocalID the attacker
//     shares with a real vehicle (teleport, const-pos, random-speed,
//     replay) counts only with no position given, since then nothing
//     tells the real vehicle's messages from the forged ones.
//
// SPAT and MAP forgeries have no objects: findings about them are
// attributed by identity only.
func (e *Evaluator) Attributed(t int64, ev *wire.Event) bool {
	if ev.Identity != "" {
		return e.opt.AttackerIdentity != "" && ev.Identity == e.opt.AttackerIdentity
	}
	a := &e.atk
	if ev.LocalID != 0 && a.ownIDs[ev.LocalID] {
		return true
	}
	if math.IsNaN(ev.Lat) || math.IsNaN(ev.Lon) {
		return ev.LocalID != 0 && a.shared[ev.LocalID]
	}
	x, y, _ := e.frame.ToENU(ev.Lat, ev.Lon, 0)
	for i := range e.truth {
		s := &e.truth[i]
		if abs(s.t-t) > attributeWindow {
			continue
		}
		for _, f := range s.forged {
			if math.Hypot(f.E-x, f.N-y) <= attributeDistance {
				return true
			}
		}
	}
	return false
}

// attackResult fills the attack fields of r.
func (e *Evaluator) attackResult(r *Result) {
	a := &e.atk
	r.Attack = e.opt.Attack
	r.ForgedObjectsBroadcast, r.FalseFindings, r.Findings = a.forgedFrames, a.falseFindings, a.findings
	if a.firstDetected != 0 && a.firstSent != 0 {
		r.Detected = true
		ms := round(float64(a.firstDetected-a.firstSent) / 1e6)
		r.DetectMS = &ms
	}
}

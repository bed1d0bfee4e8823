package track

import (
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// Lost tracks. A confirmed track dies when its sources lose the vehicle
// for a while: hidden behind a truck in a queue, or moved off it by a
// camera's bias. The vehicle is usually still there, and the track its
// sources start again should be the same object with the same id, not a
// new one: a new id is an identity switch, and near a corridor boundary
// the re-found track would take the seed of another vehicle handed over
// by the neighbour (or its own seed, given back, would go to the vehicle
// behind). So the tracker remembers its confirmed tracks' deaths for a
// while, and a new track confirmed (a BSM-born one at birth) where a lost
// one may have got to takes the lost one's id, and whether it was
// handed over or took a neighbour's seed, before any seed.
//
// Where a lost vehicle may have got to: along its heading from a little
// behind where it was last measured to as far as it could have driven
// since, at its speed then but at least lostCreep (a queue moving up),
// no further than lostReach; across, within its lane. Of several lost
// tracks that fit, the one last measured nearest takes it.
const (
	lostMemory = 64   // lost tracks remembered (a ring: older ones are forgotten)
	lostKeepNS = 20e9 // how long a lost track's id waits
	lostBack   = 3.0  // m behind the last measurement
	lostAhead  = 5.0  // m beyond the farthest reach
	lostReach  = 30.0 // m: the farthest reach
	lostCreep  = 1.5  // m/s: the least speed of the reach
	lostCross  = 2.0  // m across its heading: within the lane
	lostSameID = 60.0 // m: a BSM of the lost track's vehicle id within this is that vehicle
	lostMinHit = int32(3)
)

// lost is a confirmed track that died: its id and last measured state.
type lost struct {
	id                 uint32
	class              v2x.Class
	timeNS             int64   // of its last measurement
	e, n               float64 // its last measured position
	ux, uy, speed      float64 // heading (unit vector) and speed
	vehicleID          uint64
	seeded, handedOver bool
}

// loseTrack remembers a confirmed track being deleted. It allocates
// nothing.
func (tr *Tracker) loseTrack(t *Track) {
	if !t.Confirmed || t.Hits < lostMinHit {
		return
	}
	ve, vn := t.Velocity()
	sp := math.Hypot(ve, vn)
	var ux, uy float64
	if sp >= seedMinSpeed {
		ux, uy = ve/sp, vn/sp
	} else if t.f.m == modelCTRV {
		ux, uy = math.Cos(t.f.x[3]), math.Sin(t.f.x[3]) // a stopped vehicle keeps its heading
	}
	tr.lost[tr.lostNext] = lost{id: t.ID, class: t.Class, timeNS: max(t.LastCam, t.LastSelf), e: t.anchorE, n: t.anchorN,
		ux: ux, uy: uy, speed: sp, vehicleID: t.VehicleID, seeded: t.Seeded, handedOver: t.HandedOver}
	tr.lostNext = (tr.lostNext + 1) % lostMemory
}

// refind finds the lost track a new track's measurement m at (e, n),
// moving at (ve, vn), is, forgets it and returns it. It allocates nothing.
func (tr *Tracker) refind(m *Measurement, e, n, ve, vn float64) (lost, bool) {
	best, bestD := -1, math.Inf(1)
	for k := range tr.lost {
		l := &tr.lost[k]
		age := m.TimeNS - l.timeNS
		if l.id == 0 || age > lostKeepNS || age < 0 || !compatible(l.class, m.Class) {
			continue
		}
		if m.Kind == MeasSelfReport && l.vehicleID != 0 && l.vehicleID == m.LocalID && math.Hypot(e-l.e, n-l.n) <= lostSameID {
			best = k
			break
		}
		if !l.holds(m, e, n, ve, vn) {
			continue
		}
		if d := math.Hypot(e-l.e, n-l.n); d < bestD {
			best, bestD = k, d
		}
	}
	if best < 0 {
		return lost{}, false
	}
	l := tr.lost[best]
	tr.lost[best].id = 0
	tr.dropSeed(l.id) // given back when it died (seedLost): this is its vehicle
	tr.C.Refound++
	return l, true
}

// forgetLost forgets the lost track with this id, if any (its seed,
// given back, went to a track).
func (tr *Tracker) forgetLost(id uint32) {
	for k := range tr.lost {
		if tr.lost[k].id == id {
			tr.lost[k].id = 0
		}
	}
}

// holds reports whether a measurement m at (e, n) of a track moving at
// (ve, vn) lies where the lost track's vehicle may have got to.
func (l *lost) holds(m *Measurement, e, n, ve, vn float64) bool {
	dx, dy := e-l.e, n-l.n
	dt := float64(m.TimeNS-l.timeNS) / 1e9
	if l.ux == 0 && l.uy == 0 { // no heading: a circle
		r := min(lostCreep*dt+lostBack, lostReach)
		return dx*dx+dy*dy <= r*r
	}
	along, cross := dx*l.ux+dy*l.uy, -dx*l.uy+dy*l.ux
	reach := min(max(l.speed, lostCreep)*dt+lostAhead, lostReach)
	if along < -lostBack || along > reach || math.Abs(cross) > lostCross {
		return false
	}
	if math.Hypot(ve, vn) >= seedMovingFor && ve*l.ux+vn*l.uy <= 0 {
		return false // moving the other way
	}
	return true
}

package track

import (
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// Seed is an object a neighbouring node handed over as it drove towards
// this one: its corridor-wide id and its state at TimeNS, in this
// tracker's ENU frame. A seed is a tentative track no sensor has seen
// yet: it is not published; the first new track whose own measurement
// lies where the seed is predicted to be takes its id (and confirms as
// any track does).
type Seed struct {
	ID        uint32
	Class     v2x.Class
	TimeNS    int64
	E, N      float64 // position, m
	VE, VN    float64 // velocity, m/s
	PosVar    float64 // position variance, m² (mean of the two axes)
	VehicleID uint64  // BSM temporary id, 0 if none
}

// Seed matching. Between two intersections a vehicle may slow down,
// queue or speed up, so a seed's constant-velocity prediction is a poor
// guide to where it reappears; its order is a good one (vehicles keep
// their order on a road between intersections, but for overtaking). A
// new track takes, of the seeds whose window holds its first
// measurement, the one handed over first. The window runs along the
// seed's direction of travel from a little behind where it was handed
// over to as far as it could have driven at seedMaxSpeed, and across it
// the width of the carriageway's lanes in that direction. A
// self-report (BSM) takes the seed of its own vehicle id, if there is
// one, before any other.
const (
	// MaxSeeds is how many seeds wait at once; more drop the oldest.
	MaxSeeds     = 256
	seedMemory   = 512  // ids remembered to ignore repeated handovers
	takenMemory  = 64   // seeds taken, remembered to give back (seedLost)
	seedMaxSpeed = 20.0 // m/s (72 km/h): the farthest a seed can have come
	seedBack     = 5.0  // m behind the handover point
	seedAhead    = 10.0 // m beyond the farthest reach
	seedCross    = 7.0  // m across the direction of travel: both lanes of a direction, a lane change, noise
	// seedSideOver: how far over the line between the nodes (the middle
	// of the road) a measurement may lie and still be on the seed's side;
	// seedSideMin: a seed nearer the line than this has no side.
	seedSideOver  = 1.0
	seedSideMin   = 1.0
	seedMinSpeed  = 0.5  // m/s: slower seeds (no direction) get a circle
	seedSameVeh   = 60.0 // m: a BSM of the seed's vehicle id is that vehicle within this of the window
	seedMovingFor = 1.0  // m/s: a measurement this fast must move the seed's way
	// seedBeforeCentre: a seed's window ends this far before the point of
	// its line nearest this node's reference point.
	seedBeforeCentre = 10.0
	// A new track within seedTwinAlong along and seedTwinCross across a
	// live track that took a seed, moving its way, is a second track of
	// that vehicle (a camera's split or late track), not the vehicle
	// behind it: in one lane the next vehicle's centre is a car length
	// and a gap (6 m or more) behind, even queued.
	seedTwinAlong = 5.0 // m
	seedTwinCross = 2.0 // m: within the lane
	// seedCarried: a track that took a seed and lived this long was the
	// seed's vehicle (seedLost).
	seedCarried = 2e9 // ns
)

// newID returns the next id of the tracker's own.
func (tr *Tracker) newID() uint32 {
	if ns := tr.cfg.IDNamespace; ns != 0 {
		tr.idCount = (tr.idCount + 1) & idCounterMask
		if tr.idCount == 0 {
			tr.idCount = 1
		}
		return uint32(ns)<<24 | tr.idCount
	}
	tr.nextID++
	if tr.nextID == 0 {
		tr.nextID = 1
	}
	return tr.nextID
}

// AddSeed takes a handover. A repeated one (the same id, as a neighbour
// re-sends them) updates the waiting seed, and is ignored once a track
// took the id or while a live track has it. It allocates nothing.
func (tr *Tracker) AddSeed(s Seed) {
	for i := range tr.seeds {
		if tr.seeds[i].ID == s.ID {
			if s.TimeNS >= tr.seeds[i].TimeNS {
				tr.seeds[i] = s
			}
			return
		}
	}
	for _, id := range tr.seedIDs {
		if id == s.ID && id != 0 {
			return
		}
	}
	for i := range tr.tracks {
		if tr.tracks[i].ID == s.ID {
			return
		}
	}
	if len(tr.seeds) == MaxSeeds {
		copy(tr.seeds, tr.seeds[1:])
		tr.seeds = tr.seeds[:MaxSeeds-1]
		tr.C.SeedsDropped++
	}
	tr.seeds = append(tr.seeds, s)
	tr.C.SeedsAdded++
}

// Seeds returns the seeds waiting; valid until the tracker changes.
func (tr *Tracker) Seeds() []Seed { return tr.seeds }

// remember records an id so that repeated handovers of it are ignored.
func (tr *Tracker) remember(id uint32) {
	tr.seedIDs[tr.seedNext] = id
	tr.seedNext = (tr.seedNext + 1) % seedMemory
}

// takeSeed finds the seed a new track from measurement m at (e, n) is,
// removes it and returns its id. Of the seeds whose window holds it, it
// takes the one furthest ahead on the road: each carried along its line
// at its own speed to the time of the newest of them (the first handed
// over, or of those handed over at once the one further on, is ahead).
// It allocates nothing.
func (tr *Tracker) takeSeed(m *Measurement, e, n float64) (uint32, bool) {
	var ref int64
	held := false
	for i := range tr.seeds {
		s := &tr.seeds[i]
		if !compatible(s.Class, m.Class) || tr.staleSeed(s, m.TimeNS) {
			continue
		}
		if m.Kind == MeasSelfReport && s.VehicleID != 0 && s.VehicleID == m.LocalID && s.holds(m, e, n, seedSameVeh) {
			return tr.take(i), true
		}
		if s.holds(m, e, n, 0) {
			ref, held = max(ref, s.TimeNS), true
		}
	}
	if !held || tr.besideSeeded(m, e, n) {
		return 0, false
	}
	best, bestKey := -1, 0.0
	for i := range tr.seeds {
		s := &tr.seeds[i]
		if !compatible(s.Class, m.Class) || tr.staleSeed(s, m.TimeNS) || !s.holds(m, e, n, 0) {
			continue
		}
		key := s.ahead(ref)
		// A seed with a BSM id waits for its vehicle's BSM unless nothing
		// else fits.
		if best < 0 || (s.VehicleID == 0) != (tr.seeds[best].VehicleID == 0) && s.VehicleID == 0 ||
			(s.VehicleID == 0) == (tr.seeds[best].VehicleID == 0) && key > bestKey {
			best, bestKey = i, key
		}
	}
	// Vehicles keep their order, but a camera may confirm the one behind
	// first (the one ahead hidden or at the edge of its range for a few
	// frames): the new track takes the seed as far back in the order as
	// there are vehicles still tentative ahead of it in the window.
	for k := tr.tentativeAhead(m, e, n, &tr.seeds[best]); k > 0; k-- {
		next, nextKey := -1, 0.0
		for i := range tr.seeds {
			s := &tr.seeds[i]
			if (s.VehicleID == 0) != (tr.seeds[best].VehicleID == 0) || !compatible(s.Class, m.Class) ||
				tr.staleSeed(s, m.TimeNS) || !s.holds(m, e, n, 0) {
				continue
			}
			if key := s.ahead(ref); key < bestKey && (next < 0 || key > nextKey) {
				next, nextKey = i, key
			}
		}
		if next < 0 {
			break
		}
		best, bestKey = next, nextKey
	}
	return tr.take(best), true
}

// tentativeAhead counts the tentative tracks (two hits or more, of a
// class m's may be) that lie in seed s's window more than seedTwinAlong
// ahead of a new track's measurement m at (e, n) along the seed's line,
// on its side of the road, and not moving the other way: vehicles ahead
// of it not yet confirmed. It allocates nothing.
func (tr *Tracker) tentativeAhead(m *Measurement, e, n float64, s *Seed) int {
	sp := math.Hypot(s.VE, s.VN)
	if sp < seedMinSpeed {
		return 0
	}
	ux, uy := s.VE/sp, s.VN/sp
	at := *m
	at.Speed = 0 // the direction is checked on the track
	k := 0
	for i := range tr.tracks {
		t := &tr.tracks[i]
		if t.Confirmed || t.Hits < 2 || !compatible(t.Class, m.Class) {
			continue
		}
		te, tn := t.Position()
		ve, vn := t.Velocity()
		dt := float64(m.TimeNS-t.TimeNS) / 1e9
		te, tn = te+ve*dt, tn+vn*dt
		if ve*ux+vn*uy < seedMovingFor {
			continue // not coming in: clutter, or a queued vehicle re-found
		}
		if (te-e)*ux+(tn-n)*uy <= seedTwinAlong || !s.holds(&at, te, tn, 0) {
			continue
		}
		k++
	}
	return k
}

// besideSeeded reports whether a new track's measurement m at (e, n)
// lies beside a live confirmed track that took a seed (within
// seedTwinAlong along its travel and seedTwinCross across it, at m's
// time), moving its way. Such a track is a second track of that vehicle,
// and the next seed belongs to the vehicle behind: vehicles in a lane keep
// their order, so a track level with one that took an earlier seed cannot
// be a later one. It allocates nothing.
func (tr *Tracker) besideSeeded(m *Measurement, e, n float64) bool {
	for i := range tr.tracks {
		t := &tr.tracks[i]
		if !t.Seeded || !t.Confirmed {
			continue
		}
		ve, vn := t.Velocity()
		sp := math.Hypot(ve, vn)
		if sp < seedMinSpeed {
			continue
		}
		ux, uy := ve/sp, vn/sp
		if float64(m.Speed) >= seedMovingFor && float64(m.VelE)*ux+float64(m.VelN)*uy <= 0 {
			continue
		}
		te, tn := t.Position()
		dt := float64(m.TimeNS-t.TimeNS) / 1e9
		dx, dy := e-(te+ve*dt), n-(tn+vn*dt)
		if math.Abs(dx*ux+dy*uy) <= seedTwinAlong && math.Abs(-dx*uy+dy*ux) <= seedTwinCross {
			tr.C.SeedsTwinRefused++
			return true
		}
	}
	return false
}

// staleSeed reports whether seed s is older than SeedStaleNS at time t.
// Expire drops such seeds, but a handover that arrived already stale (a
// neighbour's retry after the bus or the neighbour was down) is added
// after the cycle's Expire and would meet the next cycle's measurements
// first: the measurement's own time decides.
func (tr *Tracker) staleSeed(s *Seed, t int64) bool { return t-s.TimeNS > tr.cfg.SeedStaleNS }

// take removes seed i and returns its id.
func (tr *Tracker) take(i int) uint32 {
	id := tr.seeds[i].ID
	tr.taken[tr.takenNext] = tr.seeds[i]
	tr.takenNext = (tr.takenNext + 1) % takenMemory
	tr.seeds = append(tr.seeds[:i], tr.seeds[i+1:]...)
	tr.remember(id)
	tr.forgetLost(id)
	tr.C.SeedsTaken++
	return id
}

// ahead returns how far along its line the seed is at time ref, carried
// at its own speed.
func (s *Seed) ahead(ref int64) float64 {
	sp := math.Hypot(s.VE, s.VN)
	if sp < seedMinSpeed {
		return 0
	}
	return (s.E*s.VE+s.N*s.VN)/sp + sp*float64(ref-s.TimeNS)/1e9
}

// confirmSeed gives a track confirmed just now, on measurement m at
// (e, n), the id of the lost track it is (refind.go), or else of the
// neighbour's seed it is, if any: it was tentative, so nobody saw its
// own id; its sources' links follow the new id as after a merge.
func (tr *Tracker) confirmSeed(trk *Track, m *Measurement, e, n float64) {
	if trk.Seeded {
		return
	}
	ve, vn := trk.Velocity()
	if l, ok := tr.refind(m, e, n, ve, vn); ok {
		tr.moved[trk.ID] = l.id
		trk.ID, trk.Seeded, trk.HandedOver = l.id, l.seeded, l.handedOver
		return
	}
	if len(tr.seeds) == 0 {
		return
	}
	id, ok := tr.takeSeed(m, e, n)
	if !ok {
		return
	}
	tr.moved[trk.ID] = id
	trk.ID, trk.Seeded = id, true
}

// holds reports whether a measurement at (e, n) lies in the seed's
// window, grown by slack metres.
func (s *Seed) holds(m *Measurement, e, n, slack float64) bool {
	dt := max(float64(m.TimeNS-s.TimeNS)/1e9, 0)
	reach := seedMaxSpeed*dt + seedAhead + slack
	dx, dy := e-s.E, n-s.N
	sp := math.Hypot(s.VE, s.VN)
	if sp < seedMinSpeed {
		return dx*dx+dy*dy <= reach*reach
	}
	ux, uy := s.VE/sp, s.VN/sp
	along, cross := dx*ux+dy*uy, -dx*uy+dy*ux
	// A vehicle coming in is confirmed before it reaches the box: a track
	// first confirmed nearer the centre (split off, re-found) is not it.
	if centre := -(s.E*ux + s.N*uy); centre > 0 {
		reach = min(reach, centre-seedBeforeCentre+slack)
	}
	if along < -seedBack-slack || along > reach || math.Abs(cross) > seedCross+slack {
		return false
	}
	// The vehicle stays on its side of the road: the seed's side of the
	// line through this node's reference point along its travel (between
	// the two nodes: the seed travels along it).
	if side := -s.E*uy + s.N*ux; math.Abs(side) >= seedSideMin {
		if at := -e*uy + n*ux; at*math.Copysign(1, side) < -seedSideOver-slack {
			return false
		}
	}
	if float64(m.Speed) >= seedMovingFor && float64(m.VelE)*ux+float64(m.VelN)*uy <= 0 {
		return false // moving the other way
	}
	return true
}

// seedLost gives back the seed a dying track took, when the track dies
// still on its way in (before the end of the seed's window): a camera
// lost the vehicle (hidden in a queue, a bias that moved the track off
// it), or the track was not a vehicle at all (clutter that confirmed in
// the window). If the vehicle is re-found where it may have got to, the
// lost track's id goes to it first (refind.go); the seed given back is
// for the other cases. A track that carried the seed for seedCarried or
// longer was that vehicle, and its seed comes back from where it was
// last measured, so that a vehicle behind it does not take it; one that
// died sooner may have been clutter, and its seed comes back as it was,
// for the vehicle it was handed over for. It allocates nothing.
func (tr *Tracker) seedLost(t *Track) {
	for k := range tr.taken {
		s := &tr.taken[k]
		if s.ID != t.ID || s.ID == 0 {
			continue
		}
		sp := math.Hypot(s.VE, s.VN)
		if sp < seedMinSpeed {
			return
		}
		ux, uy := s.VE/sp, s.VN/sp
		e, n := t.anchorE, t.anchorN
		centre := -(s.E*ux + s.N*uy) // along the line from the seed to the point nearest the centre
		if along := (e-s.E)*ux + (n-s.N)*uy; centre > 0 && along > centre-seedBeforeCentre {
			return // past the window: it drove through
		}
		if last := max(t.LastCam, t.LastSelf); last-t.BornNS >= seedCarried {
			s.E, s.N, s.TimeNS = e, n, last
		}
		if len(tr.seeds) < MaxSeeds {
			tr.seeds = append(tr.seeds, *s)
			tr.C.SeedsReturned++
		}
		s.ID = 0
		return
	}
}

// dropSeed removes a waiting seed with this id, if any (a lost track's
// id went to its re-found vehicle).
func (tr *Tracker) dropSeed(id uint32) {
	for i := range tr.seeds {
		if tr.seeds[i].ID == id {
			tr.seeds = append(tr.seeds[:i], tr.seeds[i+1:]...)
			return
		}
	}
}

// expireSeeds drops seeds older than SeedStaleNS as of now.
func (tr *Tracker) expireSeeds(now int64) {
	k := 0
	for _, s := range tr.seeds {
		if now-s.TimeNS > tr.cfg.SeedStaleNS {
			tr.C.SeedsExpired++
			tr.remember(s.ID)
			continue
		}
		tr.seeds[k] = s
		k++
	}
	tr.seeds = tr.seeds[:k]
}

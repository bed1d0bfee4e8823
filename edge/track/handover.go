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

// Seed matching.
const (
	// MaxSeeds is how many seeds wait at once; more drop the oldest.
	MaxSeeds   = 256
	seedMemory = 512 // ids remembered to ignore repeated handovers
	// The gate around a seed's prediction: along its velocity the
	// uncertainty grows with the prediction horizon (drivers slow down
	// and speed up between intersections), across it stays about a lane.
	seedAlong0    = 4.0 // m
	seedAlongRate = 1.5 // m per second of prediction
	seedCross     = 1.5 // m, one sigma across
	seedGate      = 9.0 // squared normalised distance (3 sigma)
	seedMinSpeed  = 0.5 // m/s: slower seeds are gated in a circle
)

// newID returns the next id of the tracker's own.
func (tr *Tracker) newID() uint32 {
	if ns := tr.cfg.IDNamespace; ns != 0 {
		tr.idCount = (tr.idCount + 1) & 0xffffff
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

// takeSeed finds the seed a new track from measurement m at (e, n) is:
// the one whose prediction to m's time is nearest within the gate, of a
// compatible class. It removes the seed and returns its id.
func (tr *Tracker) takeSeed(m *Measurement, e, n float64) (uint32, bool) {
	best, bestCost := -1, seedGate
	for i := range tr.seeds {
		s := &tr.seeds[i]
		if !compatible(s.Class, m.Class) {
			continue
		}
		dt := max(float64(m.TimeNS-s.TimeNS)/1e9, 0)
		dx, dy := e-(s.E+s.VE*dt), n-(s.N+s.VN*dt)
		sa := seedAlong0 + seedAlongRate*dt + math.Sqrt(max(s.PosVar, 0))
		var cost float64
		if sp := math.Hypot(s.VE, s.VN); sp >= seedMinSpeed {
			ux, uy := s.VE/sp, s.VN/sp
			along, cross := dx*ux+dy*uy, -dx*uy+dy*ux
			cost = (along/sa)*(along/sa) + (cross/seedCross)*(cross/seedCross)
		} else {
			cost = (dx*dx + dy*dy) / (sa * sa)
		}
		if cost < bestCost {
			best, bestCost = i, cost
		}
	}
	if best < 0 {
		return 0, false
	}
	id := tr.seeds[best].ID
	tr.seeds = append(tr.seeds[:best], tr.seeds[best+1:]...)
	tr.remember(id)
	tr.C.SeedsTaken++
	return id, true
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

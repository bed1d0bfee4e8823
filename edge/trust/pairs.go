package trust

import (
	"math"
	"slices"

	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Checks between pairs of claimed vehicles, run every pairEvery over the
// tracks that self-reports updated recently. Two bodies cannot share
// ground, so claims whose footprints overlap for several consecutive
// self-reports are judged:
//   - one of them is a vehicle a camera sees, identified by another
//     self-report id, and the other has never been seen by a camera: the
//     camera sees one object where two ids claim one, the unseen id is a
//     Sybil (CheckSybil);
//   - both come from one source and move in lockstep (both moving, same
//     velocity): one source forks one vehicle into several ids, the
//     younger id is a Sybil (CheckSybil);
//   - otherwise, neither seen by a camera, their footprints overlap by
//     more than their position uncertainty: the younger track's source
//     gets an overlap finding (CheckOverlap). Two honest vehicles queued
//     bumper to bumper overlap only within their GNSS error, which this
//     margin absorbs.
//
// A Sybil id is blocked and its track never shown; an overlap only lowers
// its source's trust.
const (
	pairEvery     = int64(100e6) // ns between passes (BSMs come at 10 Hz)
	pairRecent    = int64(500e6) // a self-report or camera update this recent counts
	pairGap       = int64(300e6) // overlaps further apart than this are not consecutive
	pairReach     = 8.0          // m: no two bodies further apart overlap
	pairSybilN    = 3            // consecutive overlaps that make a Sybil
	pairOverlapN  = 5            // ... and an overlap finding
	pairSpeedTol  = 2.0          // m/s: a camera object and a claim moving alike
	lockstepSpeed = 1.0          // m/s: two ids of one source in lockstep
	defaultLength = 4.5          // m, when a track has no size
	defaultWidth  = 1.8
)

type pairItem struct {
	e, n float64
	i    int32
}

// pairs runs the pair checks over tracks at node time now.
func (m *Monitor) pairs(tracks []track.Track, now int64) {
	if now-m.pairAt < pairEvery {
		return
	}
	m.pairAt = now
	m.items = m.items[:0]
	for i := range tracks {
		t := &tracks[i]
		if t.LastSelf == 0 || now-t.LastSelf > pairRecent || t.Trust.Flags&flagGhost != 0 {
			continue
		}
		e, n := t.Position()
		m.items = append(m.items, pairItem{e, n, int32(i)})
	}
	if len(m.items) < 2 {
		return
	}
	slices.SortFunc(m.items, func(a, b pairItem) int {
		switch {
		case a.e < b.e:
			return -1
		case a.e > b.e:
			return 1
		}
		return 0
	})
	for x := range m.items {
		p := &m.items[x]
		for y := x + 1; y < len(m.items) && m.items[y].e-p.e < pairReach; y++ {
			q := &m.items[y]
			if math.Abs(q.n-p.n) >= pairReach {
				continue
			}
			m.pair(&tracks[p.i], &tracks[q.i], now)
		}
	}
}

// pair judges one pair of recently self-reported tracks.
func (m *Monitor) pair(a, b *track.Track, now int64) {
	if a.VehicleID == b.VehicleID && a.SelfStream == b.SelfStream {
		return
	}
	camA, camB := a.LastCam != 0 && now-a.LastCam <= pairRecent, b.LastCam != 0 && now-b.LastCam <= pairRecent
	ave, avn := a.Velocity()
	bve, bvn := b.Velocity()
	dv := math.Hypot(ave-bve, avn-bvn)
	switch {
	case a.SelfStream == b.SelfStream && a.VehicleID != b.VehicleID:
		m.lockstep(a, b)
	case camA != camB:
		// One is what a camera sees, carrying another id; the other was
		// never seen by one.
		seen, claim := a, b
		if camB {
			seen, claim = b, a
		}
		if claim.LastCam != 0 || dv > pairSpeedTol || !overlap(seen, claim, 0) {
			return
		}
		m.bump(claim, seen, wire.CheckSybil, pairSybilN, dv)
	case !camA:
		aee, _, ann := a.PosCov()
		bee, _, bnn := b.PosCov()
		margin := math.Sqrt(math.Max(aee, ann)) + math.Sqrt(math.Max(bee, bnn))
		if !overlap(a, b, margin) {
			return
		}
		y, o := younger(a, b)
		m.bump(y, o, wire.CheckOverlap, pairOverlapN, margin)
	}
}

// lockstep judges two ids of one source from their newest claims (not
// the tracks, which cameras pull to where they see): claims of the same
// capture time, moving alike, whose offset stays the same to within a
// small share of the position noise they report, for lockstepN reports in
// a row. Two receivers each have their own noise (GNSS white noise alone
// moves an honest pair's offset by most of a sigma from one report to the
// next); one made-up vehicle drawn at fixed offsets from another has
// none.
func (m *Monitor) lockstep(a, b *track.Track) {
	y, o := younger(a, b)
	vy, ok1 := m.vehicles[y.VehicleID]
	vo, ok2 := m.vehicles[o.VehicleID]
	if !ok1 || !ok2 || vy.stream != y.SelfStream || vo.stream != o.SelfStream ||
		math.Abs(float64(vy.t-vo.t)) > float64(lockstepSameTime) || math.Hypot(vy.ve-vo.ve, vy.vn-vo.vn) > lockstepSpeed {
		return
	}
	de, dn := vy.e-vo.e, vy.n-vo.n
	if math.Hypot(de, dn) > pairReach {
		return
	}
	mk := &y.Trust
	if mk.Pair != o.ID && mk.PairN > 0 && y.LastSelf-mk.PairT <= pairGap {
		return // counting another pair
	}
	if mk.Pair != o.ID || y.LastSelf-mk.PairT > pairGap {
		mk.Pair, mk.PairN, mk.PairT, mk.OffE, mk.OffN = o.ID, 1, y.LastSelf, float32(de), float32(dn)
		return
	}
	if y.LastSelf <= mk.PairT {
		return
	}
	tol := lockstepShare*math.Sqrt(vy.varPos+vo.varPos) + lockstepFloor
	d := math.Hypot(de-float64(mk.OffE), dn-float64(mk.OffN))
	if d > tol {
		mk.PairN, mk.PairT, mk.OffE, mk.OffN = 1, y.LastSelf, float32(de), float32(dn)
		return
	}
	m.bump(y, o, wire.CheckSybil, lockstepN, d)
}

// Lockstep bounds: claims within lockstepSameTime are compared; their
// offset may move by lockstepShare of their combined reported sigma plus
// lockstepFloor (the wire's position resolution) per report. At 10 Hz,
// lockstepN reports in a row take 300 ms.
const (
	lockstepSameTime = int64(20e6) // ns
	lockstepShare    = 0.05
	lockstepFloor    = 0.02 // m
	lockstepN        = 4
)

// younger returns the later born of two tracks first.
func younger(a, b *track.Track) (y, o *track.Track) {
	if a.BornNS > b.BornNS {
		return a, b
	}
	return b, a
}

// bump counts one overlap of t's claim with other; after need consecutive
// ones (each on a new self-report of t) it records the finding c against
// t's source and id.
func (m *Monitor) bump(t, other *track.Track, c wire.Check, need uint8, v float64) {
	mk := &t.Trust
	if mk.Pair != other.ID && mk.PairN > 0 && t.LastSelf-mk.PairT <= pairGap {
		return // counting another pair
	}
	if mk.Pair != other.ID || t.LastSelf-mk.PairT > pairGap {
		mk.Pair, mk.PairN, mk.PairT = other.ID, 1, t.LastSelf
		return
	}
	if t.LastSelf <= mk.PairT {
		return // no new report since the last count
	}
	mk.PairN++
	mk.PairT = t.LastSelf
	if mk.PairN < need {
		return
	}
	mk.PairN = 0
	e, n := t.Position()
	if c == wire.CheckSybil {
		if t.LastCam == 0 {
			mk.Flags |= flagGhost // never shown (a track a camera sees stays)
		}
		k := msgKey{t.SelfStream, t.VehicleID}
		st := m.msgs[k]
		st.blockedUntil = t.LastSelf + int64(m.cfg.BlockFor)
		m.msgs[k] = st
	}
	m.find(Finding{Check: c, Type: wire.TypeBSM, Stream: t.SelfStream, LocalID: t.VehicleID, ObjectID: t.ID,
		TimeNS: t.LastSelf, E: e, N: n, Value: v})
}

// overlapMoving is the speed (m/s) above which a track's heading is its
// orientation.
const overlapMoving = 1.0

// overlap reports whether the footprints of two tracks (rectangles along
// a's heading, each shrunk by margin/2 on every side) overlap.
func overlap(a, b *track.Track, margin float64) bool {
	ae, an := a.Position()
	be, bn := b.Position()
	sp, h := a.Motion()
	de, dn := be-ae, bn-an
	if sp < overlapMoving {
		// Standing, its heading is unknown: only centres nearer than
		// the bodies' half widths overlap whatever the orientation.
		return math.Hypot(de, dn) < (size(a.Width, defaultWidth)+size(b.Width, defaultWidth))/2-margin
	}
	s, c := math.Sincos(h * math.Pi / 180)
	along, across := math.Abs(de*s+dn*c), math.Abs(de*c-dn*s)
	return along < (size(a.Length, defaultLength)+size(b.Length, defaultLength))/2-margin &&
		across < (size(a.Width, defaultWidth)+size(b.Width, defaultWidth))/2-margin
}

func size(v float32, def float64) float64 {
	if v > 0 {
		return float64(v)
	}
	return def
}

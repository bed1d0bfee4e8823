package trust

import (
	"math"

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
//   - (on the claims, not the tracks) two ids of one source move in
//     lockstep: one source forks one vehicle into several ids, the
//     younger id is a Sybil (CheckSybil, see lockstep);
//   - otherwise, neither seen by a camera, their footprints overlap by
//     more than their position uncertainty: the younger track's source
//     gets an overlap finding (CheckOverlap). Two honest vehicles queued
//     bumper to bumper overlap only within their GNSS error, which this
//     margin absorbs.
//
// A Sybil id is blocked and its track never shown; an overlap only lowers
// its source's trust.
const (
	pairEvery     = int64(50e6)  // ns between passes (BSMs come at 10 Hz: every report is seen)
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
	b    int32 // bin of e
}

// Items are ordered by bins of pairReach metres of east (a counting
// sort, cheaper than a comparison sort each pass): two items within
// pairReach lie in the same bin or in neighbouring ones.
const pairBins = 2*int(coverageSpan/pairReach) + 2

func bin(e float64) int32 {
	return int32(min(max(int(math.Floor(e/pairReach))+pairBins/2, 0), pairBins-1))
}

type binned interface{ bin() int32 }

func (p pairItem) bin() int32  { return p.b }
func (c claimItem) bin() int32 { return c.b }

// byBin appends src to dst in the order of their bins and returns dst.
func byBin[T binned](src, dst []T, counts *[pairBins + 1]int32) []T {
	clear(counts[:])
	for i := range src {
		counts[src[i].bin()+1]++
	}
	for b := 1; b <= pairBins; b++ {
		counts[b] += counts[b-1]
	}
	dst = append(dst, src...) // length; every slot is written below
	for i := range src {
		b := src[i].bin()
		dst[counts[b]] = src[i]
		counts[b]++
	}
	return dst
}

// pairs runs the pair checks over tracks at node time now.
func (m *Monitor) pairs(tracks []track.Track, now int64) {
	if now-m.pairAt < pairEvery || !m.selfNew {
		return // too soon, or nothing new to judge: every pair check counts new self-reports only
	}
	m.pairAt, m.selfNew = now, false
	m.claims(tracks, now)
	m.items = m.items[:0]
	for i := range tracks {
		t := &tracks[i]
		if t.LastSelf == 0 || now-t.LastSelf > pairRecent || t.Trust.Flags&flagGhost != 0 {
			continue
		}
		e, n := t.Position()
		m.items = append(m.items, pairItem{e, n, int32(i), bin(e)})
	}
	if len(m.items) < 2 {
		return
	}
	m.items, m.items2 = byBin(m.items, m.items2[:0], &m.bins), m.items
	for x := range m.items {
		p := &m.items[x]
		for y := x + 1; y < len(m.items) && m.items[y].b <= p.b+1; y++ {
			q := &m.items[y]
			if math.Abs(q.e-p.e) >= pairReach || math.Abs(q.n-p.n) >= pairReach {
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
	case a.SelfStream == b.SelfStream:
		return // one source's ids: judged on their claims (lockstep)
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
// the tracks, which cameras pull to where they see, and which a clone
// may share with the road user it imitates): claims of the same capture
// time, moving alike, whose offset (along and across the older claim's
// heading: a clone drawn beside a turning vehicle turns with it) stays
// the same to within a small share of the position noise they report,
// for lockstepN reports in a row. Two receivers each have their own
// noise (GNSS white noise alone moves an honest pair's offset by most of
// a sigma from one report to the next); one made-up vehicle drawn at
// fixed offsets from another has none. The younger id (first reported
// later) is blamed.
func (m *Monitor) lockstep(tracks []track.Track, ida, idb uint64) {
	va, vb := m.vehicle(ida), m.vehicle(idb)
	idy, ido, vy, vo := ida, idb, va, vb
	if vb.born > va.born || vb.born == va.born && idb > ida {
		idy, ido, vy, vo = idb, ida, vb, va
	}
	if math.Abs(float64(vy.t-vo.t)) > float64(lockstepSameTime) || math.Hypot(vy.ve-vo.ve, vy.vn-vo.vn) > lockstepSpeed {
		return
	}
	if vy.pair != ido && vy.pairN > 0 && vy.t-vy.pairT <= pairGap {
		return // counting another pair
	}
	if vy.t <= vy.pairT && vy.pair == ido {
		return // no new report since the last comparison
	}
	de, dn := vy.e-vo.e, vy.n-vo.n
	sh, ch := math.Sincos(vo.h * math.Pi / 180)
	along, across := de*sh+dn*ch, de*ch-dn*sh
	tol := lockstepShare*math.Sqrt(vy.varPos+vo.varPos) + lockstepFloor
	d := math.Hypot(along-float64(vy.offA), across-float64(vy.offX))
	if vy.pair != ido || vy.t-vy.pairT > pairGap || d > tol {
		vy.pair, vy.pairN, vy.offA, vy.offX = ido, 1, float32(along), float32(across)
	} else {
		vy.pairN++
	}
	vy.pairT = vy.t
	found := vy.pairN >= lockstepN
	if found {
		vy.pairN = 0
	}
	*m.vehicles.put(idy) = vy
	if !found {
		return
	}
	m.msgs.put(msgKey{vy.stream, idy}).blockedUntil = vy.t + int64(m.cfg.BlockFor)
	var obj uint32
	for i := range tracks {
		t := &tracks[i]
		if t.VehicleID == idy && t.SelfStream == vy.stream {
			obj = t.ID
			if t.LastCam == 0 {
				t.Trust.Flags |= flagGhost // never shown (a track a camera sees stays)
			}
		}
	}
	m.find(Finding{Check: wire.CheckSybil, Type: wire.TypeBSM, Stream: vy.stream, LocalID: idy, ObjectID: obj,
		TimeNS: vy.t, E: vy.e, N: vy.n, Value: d})
}

// claims runs the lockstep check over the vehicle ids reported within
// pairRecent of now, pairs of one stream within pairReach.
func (m *Monitor) claims(tracks []track.Track, now int64) {
	// The pairs are judged in a fixed order, so that a re-run of the same
	// inputs finds the same (v2x-replay -refuse): the claims in slot order
	// (which depends only on the inputs, slots), then stably by bin.
	m.vitems = m.vitems[:0]
	vs := &m.vehicles
	for i := range vs.vals {
		if v := &vs.vals[i]; vs.used[i] && now-v.t <= pairRecent {
			m.vitems = append(m.vitems, claimItem{v.e, v.n, vs.keys[i], v.stream, bin(v.e)})
		}
	}
	m.vitems, m.vitems2 = byBin(m.vitems, m.vitems2[:0], &m.bins), m.vitems
	for x := range m.vitems {
		p := &m.vitems[x]
		for y := x + 1; y < len(m.vitems) && m.vitems[y].b <= p.b+1; y++ {
			q := &m.vitems[y]
			if math.Abs(q.e-p.e) < pairReach && math.Abs(q.n-p.n) < pairReach && q.stream == p.stream &&
				math.Hypot(q.e-p.e, q.n-p.n) < pairReach {
				m.lockstep(tracks, p.id, q.id)
			}
		}
	}
}

type claimItem struct {
	e, n   float64
	id     uint64
	stream uint64
	b      int32 // bin of e
}

// Lockstep bounds: claims within lockstepSameTime are compared; their
// offset may move by lockstepShare of their combined reported sigma plus
// lockstepFloor (the wire's position resolution, 1e-7 degrees: four
// rounded coordinates move an offset by about a centimetre) per report.
// A vehicle drawn at a fixed offset from another moves by that rounding
// only; an honest pair's offset moves by both receivers' white noise. The
// share is kept small: a receiver's white noise may be well below the
// sigma it reports (the rest is slowly varying bias), and in a stopped
// queue thousands of honest pairs are compared a minute, so the chance
// that one stays within the tolerance for lockstepN reports must be tiny
// (at 5 % of sigma, dense traffic drew one finding in about ten runs).
// At 10 Hz, lockstepN reports in a row take 300 ms.
const (
	lockstepSameTime = int64(20e6) // ns
	lockstepShare    = 0.01
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
		m.msgs.put(k).blockedUntil = t.LastSelf + int64(m.cfg.BlockFor)
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

// vehicle returns a copy of vehicle id's newest report (the zero value
// if none).
func (m *Monitor) vehicle(id uint64) vehState {
	if v, ok := m.vehicles.get(id); ok {
		return *v
	}
	return vehState{}
}

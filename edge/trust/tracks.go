package trust

import (
	"math"

	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Bits of track.TrustMark.Flags.
const (
	flagShown uint8 = 1 << iota // reached subscribers once
	flagGhost                   // found a ghost: never shown again
)

// AfterFrame runs the checks that need the tracker's association of a
// frame just folded in (frame, with matched from Tracker.Matched): one
// vehicle claimed under several ids (Sybil) shows as two self-report ids
// alternating on one track.
func (m *Monitor) AfterFrame(tracks []track.Track, frame []track.Measurement, matched []int32) {
	for j := range frame {
		x := &frame[j]
		i := matched[j]
		if i < 0 || int(i) >= len(tracks) {
			continue
		}
		t := &tracks[i]
		if x.Kind != track.MeasSelfReport {
			t.Trust.CamSeen = max(t.Trust.CamSeen, x.IngestNS)
			continue
		}
		mk := &t.Trust
		win := int64(m.cfg.SybilWindow)
		switch {
		case mk.Owner == 0 || x.TimeNS-mk.OwnerT > win:
			mk.Owner, mk.OwnerStream, mk.OwnerT = x.LocalID, x.Stream, x.TimeNS
			mk.Other = 0
		case mk.Owner == x.LocalID && mk.OwnerStream == x.Stream:
			mk.OwnerT = max(mk.OwnerT, x.TimeNS)
			if mk.Other != 0 && x.TimeNS-mk.OtherT <= win && m.coincide(x.LocalID, mk.Other, size(t.Length, defaultLength), size(t.Width, defaultWidth)) {
				mk.Count++
			} else if mk.Other != 0 && x.TimeNS-mk.OtherT <= win {
				mk.Count = 0
			}
			if mk.Count >= sybilRepeats {
				// The owner and another id keep updating one track from
				// the same place with the same motion: one vehicle.
				k := msgKey{mk.OtherStream, mk.Other}
				m.msgs.put(k).blockedUntil = x.TimeNS + int64(m.cfg.BlockFor)
				e, n := t.Position()
				m.find(Finding{Check: wire.CheckSybil, Type: wire.TypeBSM, Stream: mk.OtherStream, LocalID: mk.Other,
					ObjectID: t.ID, TimeNS: x.TimeNS, E: e, N: n, Value: float64(mk.Count)})
				mk.Other, mk.Count = 0, 0
			}
		case x.Stream == mk.OwnerStream || x.LocalID == mk.Owner:
			// Another id of the owner's source: two honest vehicles in a
			// queue whose GNSS biases (slowly varying, the same for
			// seconds) pull their claims together can share a track for
			// a while; one source's ids are judged on their claims
			// (lockstep). The same id from another stream is
			// vehicleCheck's.
		default: // another source's id on a track whose owner is alive: watch
			mk.Other, mk.OtherStream, mk.OtherT = x.LocalID, x.Stream, x.TimeNS
		}
	}
}

// Cycle runs the checks over the tracks once per fusion cycle at node
// time now, after expiry: the camera cross-check of every vehicle that
// claims to be inside camera coverage, and the trust recovery. A track
// that self-reports put inside coverage and that no camera detection has
// updated since is a ghost when for GhostAfter no camera detection moving
// alike arrived within GhostRadius plus half its length of it (a camera
// sees a bus's centre, a BSM gives its antenna). Once a camera updated it inside
// coverage it is real, and so is one that nearSupports detections near it
// and moving alike supported, or that a camera ever updated: missed
// detections later (a dropped frame, the fringe of a field of view) do
// not make it a ghost. Coverage counts only with the vehicle's length and
// position uncertainty around it (covered), and only from a camera that
// can see it (not in an occluder's shadow). A claimed vehicle whose id
// came in from outside every declared sector, as honest vehicles do, is
// judged after GhostAfterEntered instead: a camera misses a vehicle at the
// far end of its range in one frame in seven or so, so four frames in a
// row (400 ms at 10 Hz) happen to honest vehicles in dense traffic, eight
// practically never; one that appeared inside (appearedInside) is judged
// after GhostAfter.
func (m *Monitor) Cycle(tracks []track.Track, now int64) {
	m.recover(now)
	alive := m.cov.alive(now, int64(m.cfg.CameraAlive))
	m.cov.rebuild(int64(m.cfg.CoverageMemory))
	m.learning = alive && m.cov.learning(now, int64(m.cfg.CameraAlive), int64(m.cfg.CoverageLearn))
	m.pairs(tracks, now)
	for i := range tracks {
		t := &tracks[i]
		mk := &t.Trust
		if t.LastSelf == 0 || mk.Flags&flagGhost != 0 || mk.CamSeen != 0 {
			continue // no claim, found already, or a camera confirmed it
		}
		e, n := t.Position()
		appeared := m.appeared(t)
		// A claim that appeared inside a declared sector is judged there
		// even in an occluder's shadow (hidden): it did not drive in
		// behind the occluder, it was made up there.
		hidden := false
		if alive && appeared && !m.covered(t, e, n, now) && !m.appearedInside(t, e, n, now) {
			hidden = m.cov.declaredCovers(e, n, 0, now, int64(m.cfg.CameraAlive))
		}
		if !alive || !(hidden || m.covered(t, e, n, now) || appeared && m.appearedInside(t, e, n, now)) {
			mk.Since, mk.Near = 0, 0
			continue
		}
		// Camera time: the arrival of the newest detection (node clock)
		// of the cameras whose declared sectors hold the claim, else of
		// any camera. The ghost timer runs only while those cameras'
		// frames come in: frames held up on the way (a stalled stream, a
		// loaded node) do not count as frames that saw nothing.
		ct := m.cov.camTime(e, n, now, int64(m.cfg.CameraAlive))
		if mk.Since == 0 {
			mk.Since = ct
		}
		ve, vn := t.Velocity()
		near := m.cov.newestNear(e, n, m.cfg.GhostRadius+float64(t.Length)/2, ve, vn, ghostSpeedTol)
		if near > mk.Since && near > mk.NearT {
			// A detection that could be this vehicle, which the tracker
			// kept on a track of its own (a GNSS bias, a long vehicle):
			// seen that way nearSupports times, it is confirmed.
			mk.NearT, mk.Near = near, mk.Near+1
			if mk.Near >= nearSupports {
				mk.CamSeen = near
				continue
			}
		}
		after := int64(m.cfg.GhostAfterEntered)
		if appeared {
			after = int64(m.cfg.GhostAfter)
		}
		if ct-max(near, mk.Since) <= after {
			continue
		}
		support := max(near, mk.Since)
		if hidden && m.idChanged(t) {
			// Another id of its source fell silent where it appeared: one
			// vehicle's new temporary id, judged as having come in.
			if v, ok := m.vehicles.get(t.VehicleID); ok {
				v.appeared = false
			}
			mk.Since, mk.Near = 0, 0
			continue
		}
		// Inside coverage, and no camera saw anything near it for
		// GhostAfter of camera time: nobody is there.
		mk.Flags |= flagGhost
		k := msgKey{t.SelfStream, t.VehicleID}
		m.msgs.put(k).blockedUntil = t.LastSelf + int64(m.cfg.BlockFor)
		m.find(Finding{Check: wire.CheckGhost, Type: wire.TypeBSM, Stream: t.SelfStream, LocalID: t.VehicleID,
			ObjectID: t.ID, TimeNS: now, E: e, N: n, Value: float64(ct-support) / 1e6})
	}
}

// idChanged reports whether a claimed vehicle that appeared inside a
// declared sector can be another id of its source under a new temporary
// id (SAE J2735 ids change every few minutes): an id of the same stream
// whose reports stopped within idChangeGap before the claim's first and
// at least idChangeSilent before its newest, last claimed within
// GhostRadius plus the claim's uncertainty (and what it could drive in
// the gap) of where the claim stands. A ghost placed away from real
// vehicles has no such predecessor. Called only when a hidden claim is
// about to be found a ghost: a scan of the vehicle ids.
func (m *Monitor) idChanged(t *track.Track) bool {
	v, ok := m.vehicles.get(t.VehicleID)
	if !ok {
		return false
	}
	born, last, stream := v.born, v.t, v.stream
	e, n := t.Position()
	ee, _, nn := t.PosCov()
	r := m.cfg.GhostRadius + 2*math.Sqrt(math.Max(ee, nn))
	for i := range m.vehicles.vals {
		o := &m.vehicles.vals[i]
		if !m.vehicles.used[i] || m.vehicles.keys[i] == t.VehicleID || o.stream != stream {
			continue
		}
		if o.t < born-idChangeGap || o.t > born+idChangeGap || last-o.t < idChangeSilent {
			continue // not silent, or silent too long before the claim began
		}
		gap := math.Abs(float64(born-o.t)) / 1e9
		if math.Hypot(o.e-e, o.n-n) <= r+2*math.Hypot(o.ve, o.vn)*gap+2*math.Sqrt(o.varPos) {
			return true
		}
	}
	return false
}

// An id change: the old id's last report within idChangeGap of the new
// id's first, and silent for idChangeSilent since.
const (
	idChangeGap    = int64(1e9)
	idChangeSilent = int64(300e6)
)

// nearSupports is how many detections near a claimed vehicle and moving
// alike confirm it as well as one the tracker associated.
const nearSupports = 3

// covered reports whether a claimed vehicle lies inside camera coverage
// as of node time now, with its position's uncertainty. Inside a running
// camera's declared sector, the disc of two sigmas plus a metre around
// its claimed position must lie in the sector: the vehicle's centre
// (which a BSM gives, SAE J2945/1, and a camera detects) may be that far
// from the claim, outside. In the learned coverage, which ends where
// detections were seen, the points half its length plus two sigmas plus
// a metre ahead and behind it along its heading must be covered (a
// vehicle whose BSM is just inside a field of view's far edge, where an
// approach leaves it, may be outside); sideways, lanes are what taught
// the coverage, so no margin is needed.
func (m *Monitor) covered(t *track.Track, e, n float64, now int64) bool {
	ee, _, nn := t.PosCov()
	sd := 2*math.Sqrt(math.Max(ee, nn)) + 1
	c := &m.cov
	if c.declaredSees(e, n, sd, sd, now, int64(m.cfg.CameraAlive)) {
		return true
	}
	r := float64(t.Length)/2 + sd
	_, h := t.Motion()
	s, co := math.Sincos(h * math.Pi / 180)
	return c.isCovered(e, n) && c.isCovered(e+r*s, n+r*co) && c.isCovered(e-r*s, n-r*co) && !c.shadowedLearned(e, n, sd, now)
}

// appearedInside reports whether a claimed vehicle, not covered with its
// uncertainty (covered), still has its claimed position inside a running
// camera's declared sector, and its id was first claimed inside such a
// sector (vehState.appeared): it did not drive in from outside, so its
// claim near the edge is no honest vehicle's edge-of-view position that a
// GNSS error put inside. Honest vehicles are heard long before they reach
// a camera's view (radio range exceeds camera range) and so come in from
// outside; a ghost is made up where it stands. Without this, a ghost
// placed within two sigmas plus a metre of the edge of every field of view
// would be held but never judged.
func (m *Monitor) appearedInside(t *track.Track, e, n float64, now int64) bool {
	ee, _, nn := t.PosCov()
	return m.cov.declaredSees(e, n, 0, 2*math.Sqrt(math.Max(ee, nn))+1, now, int64(m.cfg.CameraAlive))
}

// appeared reports whether a claimed vehicle's id was first claimed inside
// a running camera's declared sector (vehState.appeared).
func (m *Monitor) appeared(t *track.Track) bool {
	v, ok := m.vehicles.get(t.VehicleID)
	return ok && v.appeared && v.stream == t.SelfStream
}

// ghostSpeedTol is how far (m/s) a camera object's velocity may differ
// from a claimed vehicle's and still support it: several times the
// cameras' velocity noise (0.2 m/s + 0.5 % of the range).
const ghostSpeedTol = 3.0

// Broadcastable reports whether a confirmed track may reach subscribers
// as of node time now. A track found a ghost never does; a track that
// only self-reports support and that was never shown is held while it is
// inside camera coverage (for a declared sector: its claimed position
// inside) until a camera confirms it; a track whose only support is a
// quarantined source is not shown.
func (m *Monitor) Broadcastable(t *track.Track, now int64) bool {
	mk := &t.Trust
	if mk.Flags&flagGhost != 0 {
		return false
	}
	if t.LastCam == 0 && t.LastSelf > 0 {
		if m.Quarantined(t.SelfStream) {
			return false
		}
		if mk.Flags&flagShown == 0 && m.cov.alive(now, int64(m.cfg.CameraAlive)) {
			e, n := t.Position()
			if m.covered(t, e, n, now) {
				return false
			}
			// Inside a declared sector but too near its edge to judge
			// (its uncertainty reaches outside): held too, until a camera
			// confirms it or it leaves the sector.
			if m.cov.declaredCovers(e, n, 0, now, int64(m.cfg.CameraAlive)) {
				return false
			}
			// While a camera's coverage is still being learned, a claim
			// where cameras may see waits for a camera to confirm it or
			// for the coverage to leave it outside.
			if m.learning && m.cov.mayCover(e, n) {
				return false
			}
		}
	}
	if mk.Flags&flagShown == 0 {
		mk.Flags |= flagShown // stored once: publishing passes every track each cycle
	}
	return true
}

// sybilRepeats is how many times in a row two ids must coincide on one
// track: two honest vehicles' independent position noise does not keep
// their claimed bodies overlapping for long.
const (
	sybilRepeats = 3
	sybilSpeed   = 0.5 // m/s
	sybilMoving  = 2.0 // m/s: a stopped queue is not judged
)

// coincide reports whether the newest reports of two vehicle ids are at
// the same place (their bodies, length by width, overlap) with the same
// velocity, while moving.
func (m *Monitor) coincide(a, b uint64, length, width float64) bool {
	va, ok1 := m.vehicles.get(a)
	vb, ok2 := m.vehicles.get(b)
	if !ok1 || !ok2 || math.Abs(float64(va.t-vb.t)) > float64(m.cfg.SybilWindow) {
		return false
	}
	if math.Hypot(va.ve, va.vn) < sybilMoving {
		return false
	}
	if math.Hypot(va.ve-vb.ve, va.vn-vb.vn) >= sybilSpeed {
		return false
	}
	// Same place: the two claimed bodies overlap (along the heading,
	// within a length; across it, within a width).
	sp := math.Hypot(va.ve, va.vn)
	s, c := va.ve/sp, va.vn/sp
	de, dn := vb.e-va.e, vb.n-va.n
	return math.Abs(de*s+dn*c) < length && math.Abs(de*c-dn*s) < width
}

// Reset forgets what depends on the ENU frame (a MAP moved the reference
// point): coverage and the previous positions.
func (m *Monitor) Reset() {
	m.cov.reset()
	m.msgs.clear()
	m.vehicles.clear()
}

var nan = math.NaN()

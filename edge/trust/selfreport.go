package trust

import (
	"math"

	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// msgKey names one object of one source.
type msgKey struct {
	stream uint64
	id     uint64
}

// msgState is the previous self-report of one (stream, id).
type msgState struct {
	t            int64 // capture time, node clock
	e, n         float64
	lat, lon     float64
	speed        float64
	varPos       float64 // m², reported (or default) position variance
	same         uint8   // consecutive reports at exactly the same position while moving
	blockedUntil int64   // refused until this capture time
	heading      float64 // degrees
	// The anchor of the heading check: an earlier report, at least
	// headingBase before the newest, its position, heading and variance.
	at             int64
	ae, an, ah, av float64
}

// The heading check compares the reported heading with the direction of
// travel over at least headingBase (at 10 Hz, consecutive positions lie
// closer than their noise). It judges only a vehicle moving at least
// headingMinSpeed at both ends (below, heading is noise) that covered
// enough ground for its direction to be known within 90° at PosSigmas/2
// sigmas of the reported position noise. The direction of travel must lie
// on the arc between the two reported headings (a turning vehicle's chord
// does), within headingSlack plus the angle the position noise allows.
const (
	headingBase     = int64(1e9) // ns
	headingMinSpeed = 3.0        // m/s
	headingSlack    = 10.0       // degrees: heading sensor noise and the arc's curvature
)

// vehState is the newest self-report of one vehicle id from the stream
// that owns the id (the first to send it, until it falls silent).
type vehState struct {
	stream uint64
	t      int64
	e, n   float64
	ve, vn float64
	h      float64 // heading, degrees
	varPos float64
	born   int64 // capture time of its first report from this stream
	// appeared says that the id's first report (from any stream) lay
	// inside a camera's declared sector that had been running for a
	// while, or inside the learned coverage: it did not come
	// in from outside (appearedInside).
	appeared bool
	// lockstep check state (pairs.go): the other id of this stream being
	// compared, the capture time of the last comparison, comparisons in a
	// row within tolerance, and the reference offset along and across
	pair       uint64
	pairT      int64
	pairN      uint8
	offA, offX float32
}

const defaultPosVar = 4.0 // m², when a self-report gives no accuracy

// Measurement checks one measurement before it may enter fusion, with
// its ENU position e, n; it reports whether the measurement may go on.
// A measurement of a quarantined source or of a blocked object is kept
// out and counted. Detections (camera objects) also teach the monitor the
// cameras' coverage; self-reports (BSMs) run the plausibility and
// consistency checks, and a self-report with a finding is kept out.
func (m *Monitor) Measurement(x *track.Measurement, e, n float64) bool {
	m.own(x.Stream, x.Owner, x.IngestNS)
	src := m.source(x.Stream, x.IngestNS)
	if src.quarantined {
		m.C.Quarantined++
		return false
	}
	if x.Kind != track.MeasSelfReport {
		if m.camKey != (camKey{x.Stream, x.Source}) || m.cam == nil {
			m.camKey, m.cam = camKey{x.Stream, x.Source}, m.cov.camera(x.Stream, x.Source, x.IngestNS)
		}
		m.cov.mark(m.cam, e, n, x.VelE, x.VelN, x.TimeNS, x.IngestNS, x.CovEE, x.CovEN, x.CovNN, occluderHalf(x))
		return true
	}
	k := msgKey{x.Stream, x.LocalID}
	p, seen := m.msgs.get(k) // valid until a put on msgs: only this call's own, at its end
	var prev msgState
	if seen {
		prev = *p
	}
	if seen && x.TimeNS < prev.blockedUntil {
		m.C.Quarantined++
		return false
	}
	cur := msgState{t: x.TimeNS, e: e, n: n, lat: x.Lat, lon: x.Lon, speed: float64(x.Speed), varPos: defaultPosVar,
		heading: float64(x.Heading)}
	if x.CovEE > 0 {
		cur.varPos = float64(max(x.CovEE, x.CovNN))
	}
	seen = seen && prev.t != 0
	if seen && x.TimeNS <= prev.t {
		// Out of order: a late copy is normal within ReplayAge; older is a
		// replay.
		if age := prev.t - x.TimeNS; age > int64(m.cfg.ReplayAge) {
			return m.reject(x, k, prev, wire.CheckReplay, e, n, float64(age)/1e9)
		}
		return true
	}
	if c, v := m.selfChecks(x, &cur, &prev, seen, src, e, n); c != wire.CheckNone {
		return m.reject(x, k, prev, c, e, n, v)
	}
	if c, v := m.vehicleCheck(x, &cur); c != wire.CheckNone {
		return m.reject(x, k, prev, c, e, n, v)
	}
	if p == nil {
		p = m.msgs.put(k)
	}
	*p = cur
	m.selfNew = true
	return true
}

// reject records a finding against a self-report and blocks its object.
func (m *Monitor) reject(x *track.Measurement, k msgKey, prev msgState, c wire.Check, e, n, v float64) bool {
	// Blocked, and judged afresh when the block ends: no previous report.
	*m.msgs.put(k) = msgState{blockedUntil: x.TimeNS + int64(m.cfg.BlockFor)}
	m.find(Finding{Check: c, Type: wire.TypeBSM, Stream: x.Stream, LocalID: x.LocalID, TimeNS: x.TimeNS, E: e, N: n, Value: v})
	return false
}

// selfChecks runs the per-message checks of one self-report against the
// previous one of the same (stream, id).
func (m *Monitor) selfChecks(x *track.Measurement, cur, prev *msgState, seen bool, src *source, e, n float64) (wire.Check, float64) {
	cfg := &m.cfg
	v := cur.speed
	vehicle := x.Class.Vehicle() || x.Class == v2x.ClassUnknown
	limit := cfg.MaxSpeedSlow
	if vehicle {
		limit = cfg.MaxSpeedVehicle
		if m.road.speedLimit > 0 {
			limit = math.Min(limit, cfg.SpeedLimitFactor*m.road.speedLimit+cfg.SpeedLimitMargin)
		}
	}
	if v > limit {
		return wire.CheckSpeed, v
	}
	if vehicle && m.road.known() && !m.road.onRoad(e, n, cfg.PosSigmas*math.Sqrt(cur.varPos)+cfg.OffRoadMargin) {
		return wire.CheckOffRoad, m.road.distance(e, n)
	}
	if !seen {
		if m.road.known() && x.IngestNS-src.first > int64(cfg.AppearanceWarmup) && m.road.deepInside(e, n) {
			return wire.CheckAppearance, math.Hypot(e-m.road.boxE, n-m.road.boxN)
		}
		return wire.CheckNone, 0
	}
	dt := float64(cur.t-prev.t) / 1e9
	if dt > 3 { // too long a gap to judge consistency
		return wire.CheckNone, 0
	}
	// Acceleration, with the speed noise of two reports over a short gap.
	if a := math.Abs(v-prev.speed) / math.Max(dt, 0.05); a > cfg.MaxAccel {
		return wire.CheckAccel, a
	}
	// Position against speed: the distance covered must match the mean
	// speed within the reported position noise and the acceleration
	// limit.
	d := math.Hypot(e-prev.e, n-prev.n)
	want := (v + prev.speed) / 2 * dt
	tol := cfg.PosSigmas*math.Sqrt(cur.varPos+prev.varPos) + cfg.PosMargin + cfg.MaxAccel*dt*dt/2
	if d > want+tol {
		return wire.CheckPosSpeed, d
	}
	if c, v := m.headingCheck(cur, prev, vehicle); c != wire.CheckNone {
		return c, v
	}
	// A moving vehicle's position changes: the same position to the last
	// bit three times while claiming speed is a frozen (constant) position.
	if v > 1 && x.Lat == prev.lat && x.Lon == prev.lon {
		cur.same = prev.same + 1
		if cur.same >= 2 {
			return wire.CheckPosSpeed, 0
		}
	}
	return wire.CheckNone, 0
}

// headingCheck runs the heading check of cur against the anchor kept in
// prev, and moves the anchor forward into cur.
func (m *Monitor) headingCheck(cur, prev *msgState, vehicle bool) (wire.Check, float64) {
	cur.at, cur.ae, cur.an, cur.ah, cur.av = prev.at, prev.ae, prev.an, prev.ah, prev.av
	if prev.at == 0 || cur.t-prev.at > 3*headingBase || prev.speed < headingMinSpeed {
		// no anchor, too old, or the vehicle slowed: anchor afresh
		cur.at, cur.ae, cur.an, cur.ah, cur.av = prev.t, prev.e, prev.n, prev.heading, prev.varPos
		if prev.speed < headingMinSpeed {
			cur.at = 0
		}
		return wire.CheckNone, 0
	}
	if cur.t-cur.at < headingBase {
		return wire.CheckNone, 0
	}
	// Judge, then re-anchor here.
	defer func() { cur.at, cur.ae, cur.an, cur.ah, cur.av = cur.t, cur.e, cur.n, cur.heading, cur.varPos }()
	if !vehicle || cur.speed < headingMinSpeed {
		return wire.CheckNone, 0
	}
	d := math.Hypot(cur.e-cur.ae, cur.n-cur.an)
	noise := m.cfg.PosSigmas / 2 * math.Sqrt(cur.varPos+cur.av)
	if d <= noise {
		return wire.CheckNone, 0
	}
	course := math.Atan2(cur.e-cur.ae, cur.n-cur.an) * 180 / math.Pi
	tol := math.Asin(noise/d)*180/math.Pi + headingSlack
	if off := arcDistance(course, cur.ah, cur.heading); off > tol {
		return wire.CheckHeading, off
	}
	return wire.CheckNone, 0
}

// arcDistance returns how far (degrees) angle x lies from the shorter arc
// between headings a and b.
func arcDistance(x, a, b float64) float64 {
	w := func(v float64) float64 { return math.Remainder(v, 360) }
	span := w(b - a) // signed, -180..180
	off := w(x - a)
	if (span >= 0 && off >= 0 && off <= span) || (span < 0 && off <= 0 && off >= span) {
		return 0
	}
	return math.Min(math.Abs(off), math.Abs(w(x-b)))
}

// vehicleCheck compares a self-report with the newest one of the same
// vehicle id from the stream that owns the id: a second stream claiming
// the vehicle elsewhere, or an older report of it, is lying (a teleport
// or a replay). A stream takes an id over when its owner fell silent.
func (m *Monitor) vehicleCheck(x *track.Measurement, cur *msgState) (wire.Check, float64) {
	sin, cos := math.Sincos(float64(x.Heading) * math.Pi / 180)
	now := vehState{stream: x.Stream, t: x.TimeNS, e: cur.e, n: cur.n, ve: cur.speed * sin, vn: cur.speed * cos, h: float64(x.Heading),
		varPos: cur.varPos}
	v, ok := m.vehicles.get(x.LocalID) // valid until the put below
	now.born = x.TimeNS
	if ok && v.stream == x.Stream {
		now.born, now.pair, now.pairT, now.pairN, now.offA, now.offX = v.born, v.pair, v.pairT, v.pairN, v.offA, v.offX
		now.appeared = v.appeared
	}
	switch {
	case !ok:
		now.appeared = m.cov.declaredSettled(cur.e, cur.n, x.IngestNS, int64(m.cfg.CameraAlive), int64(m.cfg.AppearanceSettle)) ||
			m.cov.isCovered(cur.e, cur.n) && m.cov.alive(x.IngestNS, int64(m.cfg.CameraAlive))
		*m.vehicles.put(x.LocalID) = now
		return wire.CheckNone, 0
	case v.stream == x.Stream:
		*v = now
		return wire.CheckNone, 0
	case v.t-x.TimeNS > int64(m.cfg.ReplayAge):
		return wire.CheckReplay, float64(v.t-x.TimeNS) / 1e9
	case x.TimeNS-v.t > int64(m.cfg.ReplayAge): // the owner fell silent: take over
		*v = now
		return wire.CheckNone, 0
	}
	dt := float64(x.TimeNS-v.t) / 1e9
	pe, pn := v.e+v.ve*dt, v.n+v.vn*dt
	d := math.Hypot(cur.e-pe, cur.n-pn)
	tol := m.cfg.PosSigmas*math.Sqrt(cur.varPos+v.varPos) + m.cfg.PosMargin + m.cfg.MaxAccel*dt*dt/2
	if d > tol {
		return wire.CheckPosSpeed, d
	}
	return wire.CheckNone, 0
}

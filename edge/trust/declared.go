package trust

import "math"

// Sector is a camera's declared detection area in the monitor's ENU
// frame: the radial shape of the ETSI CPM Sensor Information Container,
// a sector of an annulus around the camera. Declared by the camera itself
// (a SensorInfo frame) or by the operator for it (Config.Cameras).
type Sector struct {
	E, N     float64 // the camera's position, metres
	Heading  float64 // degrees clockwise from north: the centre of the sector
	Opening  float64 // degrees, (0, 360]
	Range    float64 // metres
	MinRange float64 // metres, 0 ≤ MinRange < Range
}

// sector is a Sector prepared for containment tests.
type sector struct {
	e, n       float64
	ue, un     float64 // unit vector of the heading
	cosHalf    float64
	full       bool    // opening 360°: a disc (annulus)
	le, ln     float64 // unit vectors of the left and right edges
	re, rn     float64
	rmin, rmax float64
}

func prepare(s Sector) sector {
	half := math.Min(s.Opening, 360) / 2 * math.Pi / 180
	h := s.Heading * math.Pi / 180
	p := sector{e: s.E, n: s.N, cosHalf: math.Cos(half), full: s.Opening >= 360, rmin: s.MinRange, rmax: s.Range}
	p.ue, p.un = math.Sincos(h)
	p.le, p.ln = math.Sincos(h - half)
	p.re, p.rn = math.Sincos(h + half)
	return p
}

// contains reports whether a disc of radius margin around e, n lies inside
// the sector (margin < 0: the point lies within -margin of it).
func (s *sector) contains(e, n, margin float64) bool {
	de, dn := e-s.e, n-s.n
	r := math.Hypot(de, dn)
	if r > s.rmax-margin || r < s.rmin+margin {
		return false
	}
	if s.full {
		return true
	}
	if margin < 0 {
		// Within -margin of the sector: inside, or near one of its edges.
		return de*s.ue+dn*s.un >= r*s.cosHalf || rayDist(de, dn, r, s.le, s.ln) <= -margin ||
			rayDist(de, dn, r, s.re, s.rn) <= -margin
	}
	return de*s.ue+dn*s.un >= r*s.cosHalf && rayDist(de, dn, r, s.le, s.ln) >= margin &&
		rayDist(de, dn, r, s.re, s.rn) >= margin
}

// rayDist is the distance from the point de, dn (at r from the apex) to
// the ray from the apex along the unit vector ue, un.
func rayDist(de, dn, r, ue, un float64) float64 {
	if de*ue+dn*un <= 0 {
		return r
	}
	return math.Abs(de*un - dn*ue)
}

// Declared sectors are disbelieved when the camera's own detections say
// otherwise: once declMinDetections detections were judged, more than
// declMaxOutside of them lying outside the sector, by more than their own
// noise (declSigmas sigmas) plus declSlack, means the camera does not
// look where it says (re-aimed, or a wrong declaration): its coverage
// falls back to what it is learned to see, until it declares again.
const (
	declMinDetections = 50
	declMaxOutside    = 0.05
	declSigmas        = 4.0
	declSlack         = 2.0 // m
)

// declare sets the declared sector of a camera record.
func (c *coverage) declare(cm *camCoverage, s Sector) {
	p := prepare(s)
	if cm.hasDecl && cm.decl == p {
		return // a repeat
	}
	cm.decl, cm.declRaw, cm.hasDecl = p, s, true
	cm.declIn, cm.declOut = 0, 0
	c.dirty = true // its learned coverage gives way at the next rebuild
}

// judgeDecl counts a camera's detection at e, n (position covariance ee,
// nn) as inside or outside its declared sector.
func (cm *camCoverage) judgeDecl(e, n float64, ee, nn float32) {
	if !cm.hasDecl {
		return
	}
	sd := math.Sqrt(math.Max(float64(max(ee, nn)), 0))
	if cm.decl.contains(e, n, -(declSigmas*sd + declSlack)) {
		cm.declIn++
	} else {
		cm.declOut++
	}
}

// declBelieved reports whether a camera's declared sector holds: declared,
// and not contradicted by its detections.
func (cm *camCoverage) declBelieved() bool {
	if !cm.hasDecl {
		return false
	}
	n := cm.declIn + cm.declOut
	return n < declMinDetections || float64(cm.declOut) <= declMaxOutside*float64(n)
}

// declaredCovers reports whether a disc of radius r around e, n lies
// inside the believed declared sector of a camera that is running (a
// detection arrived within alive of node time now).
func (c *coverage) declaredCovers(e, n, r float64, now, alive int64) bool {
	for i := range c.cams {
		cm := &c.cams[i]
		if cm.hasDecl && cm.last != 0 && now-cm.last <= alive && cm.declBelieved() && cm.decl.contains(e, n, r) {
			return true
		}
	}
	return false
}

// camTime returns the camera time a claim at e, n is judged on: the node
// arrival time of the newest detection of the running cameras whose
// believed declared sectors hold it, or of any camera when none does
// (learned coverage is one for all cameras). A camera whose frames are
// held up on the way does not see time pass for the claims only it can
// see, however fresh the other cameras' frames are.
func (c *coverage) camTime(e, n float64, now, alive int64) int64 {
	var t int64
	for i := range c.cams {
		cm := &c.cams[i]
		if cm.hasDecl && cm.last != 0 && now-cm.last <= alive && cm.declBelieved() && cm.decl.contains(e, n, 0) {
			t = max(t, cm.last)
		}
	}
	if t == 0 {
		return c.camLast
	}
	return t
}

// declaredSettled reports whether e, n lies inside the believed declared
// sector of a camera that is running (a detection within alive of node
// time now) and has been sending detections for settle.
func (c *coverage) declaredSettled(e, n float64, now, alive, settle int64) bool {
	for i := range c.cams {
		cm := &c.cams[i]
		if cm.hasDecl && cm.last != 0 && now-cm.last <= alive && cm.born != 0 && now-cm.born >= settle &&
			cm.declBelieved() && cm.decl.contains(e, n, 0) {
			return true
		}
	}
	return false
}

// anyDeclared reports whether some running camera has a believed
// declared sector.
func (c *coverage) anyDeclared(now, alive int64) bool {
	for i := range c.cams {
		cm := &c.cams[i]
		if cm.hasDecl && cm.last != 0 && now-cm.last <= alive && cm.declBelieved() {
			return true
		}
	}
	return false
}

// reproject moves every declared sector into another ENU frame (to maps a
// point of the old frame into the new one): the camera's position, and
// its heading by the image of a point 100 m along it.
func (c *coverage) reproject(to func(e, n float64) (float64, float64)) {
	for i := range c.cams {
		cm := &c.cams[i]
		if !cm.hasDecl {
			continue
		}
		s := cm.declRaw
		s2, c2 := math.Sincos(s.Heading * math.Pi / 180)
		fe, fn := to(s.E+100*s2, s.N+100*c2)
		s.E, s.N = to(s.E, s.N)
		s.Heading = math.Mod(math.Atan2(fe-s.E, fn-s.N)*180/math.Pi+360, 360)
		cm.hasDecl = false
		c.declare(cm, s)
	}
}

// DeclareSensor records the detection area camera source of stream
// declares (a SensorInfo frame, or the operator's configuration for it),
// at node time now, in the ENU frame of the calls. It replaces what the
// camera declared before; the camera's learned coverage stays, as the
// fallback should the declaration be disbelieved. It reports false when
// the monitor keeps no record of the camera (too many cameras).
func (m *Monitor) DeclareSensor(stream uint64, source uint32, s Sector, now int64) bool {
	cm := m.cov.camera(stream, source, now)
	if cm == nil {
		return false
	}
	m.cam, m.camKey = nil, camKey{} // camera may have given another key's record to this one
	m.cov.declare(cm, s)
	return true
}

// Reproject moves what the monitor keeps in the ENU frame that does not
// depend on traffic (the cameras' declared sectors) into a new frame;
// call it after Reset, with to mapping a point of the old frame into the
// new one.
func (m *Monitor) Reproject(to func(e, n float64) (float64, float64)) { m.cov.reproject(to) }

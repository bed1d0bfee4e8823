package sim

import "math"

// segment is a straight line or a circular arc in the local ENU frame
// (metres from the intersection reference point).
type segment struct {
	e0, n0 float64 // start point
	theta0 float64 // direction at the start, radians counter-clockwise from east
	length float64
	k      float64 // signed curvature in 1/m, positive turning left; 0 for a line
}

// line returns the straight segment from (e0, n0) to (e1, n1).
func line(e0, n0, e1, n1 float64) segment {
	return segment{e0: e0, n0: n0, theta0: math.Atan2(n1-n0, e1-e0), length: math.Hypot(e1-e0, n1-n0)}
}

// arcBetween returns the circular arc that leaves (e0, n0) in direction
// theta0 and reaches (e1, n1). It returns a line when the end point lies
// straight ahead.
func arcBetween(e0, n0, theta0, e1, n1 float64) segment {
	de, dn := e1-e0, n1-n0
	c := math.Hypot(de, dn)
	// angle of the chord relative to the start direction; the arc turns
	// through twice that angle
	alpha := wrapPi(math.Atan2(dn, de) - theta0)
	if math.Abs(alpha) < 1e-9 {
		return segment{e0: e0, n0: n0, theta0: theta0, length: c}
	}
	r := c / (2 * math.Abs(math.Sin(alpha)))
	k := math.Copysign(1/r, alpha)
	return segment{e0: e0, n0: n0, theta0: theta0, length: 2 * math.Abs(alpha) * r, k: k}
}

// at returns the point and direction at distance u along the segment. u
// outside [0, length] extends the segment.
func (g *segment) at(u float64) (e, n, theta float64) {
	if g.k == 0 {
		s, c := math.Sincos(g.theta0)
		return g.e0 + u*c, g.n0 + u*s, g.theta0
	}
	th := g.theta0 + g.k*u
	s0, c0 := math.Sincos(g.theta0)
	s1, c1 := math.Sincos(th)
	r := 1 / g.k
	return g.e0 + r*(s1-s0), g.n0 - r*(c1-c0), th
}

// path is a chain of segments.
type path struct {
	segs  []segment
	start []float64 // distance along the path at which each segment starts
	total float64
}

func newPath(segs ...segment) path {
	p := path{segs: segs, start: make([]float64, len(segs))}
	for i := range segs {
		p.start[i] = p.total
		p.total += segs[i].length
	}
	return p
}

// at returns the point, direction (radians counter-clockwise from east)
// and signed curvature at distance s along the path. Distances before the
// start or beyond the end extend the first or last segment.
func (p *path) at(s float64) (e, n, theta, k float64) {
	i := len(p.segs) - 1
	for i > 0 && s < p.start[i] {
		i--
	}
	g := &p.segs[i]
	e, n, theta = g.at(s - p.start[i])
	return e, n, theta, g.k
}

// wrapPi wraps an angle in radians to (-pi, pi].
func wrapPi(a float64) float64 {
	a = math.Mod(a, 2*math.Pi)
	if a <= -math.Pi {
		a += 2 * math.Pi
	} else if a > math.Pi {
		a -= 2 * math.Pi
	}
	return a
}

// compass converts a direction in radians counter-clockwise from east to
// degrees clockwise from north in [0, 360).
func compass(theta float64) float64 {
	h := math.Mod(90-theta*180/math.Pi, 360)
	if h < 0 {
		h += 360
	}
	if h >= 360 {
		h = 0
	}
	return h
}

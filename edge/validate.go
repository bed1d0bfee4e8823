package edge

import (
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// Physical limits for a measurement to be believable.
const maxSpeed = 100 // m/s

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func finite32(vs ...float32) bool {
	for _, v := range vs {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return true
}

func validLatLon(lat, lon float64) bool { return math.Abs(lat) <= 90 && math.Abs(lon) <= 180 }

// checkBSM returns the rejection reason for a BSM, or -1 if it is usable.
func checkBSM(b *v2x.BSM) int {
	switch {
	case !finite(b.Lat, b.Lon) || !finite32(b.Elevation, b.Speed, b.Heading, b.AccelLon, b.AccelLat,
		b.AccelVert, b.YawRate, b.Length, b.Width, b.AccSemiMajor, b.AccSemiMinor, b.AccOrientation):
		return reasonNaN
	case !validLatLon(b.Lat, b.Lon):
		return reasonLatLon
	case !b.Class.Valid():
		return reasonClass
	case b.Speed < 0 || b.Speed > maxSpeed:
		return reasonSpeed
	}
	return -1
}

// checkObject returns the rejection reason for a detected object, or -1.
func checkObject(o *v2x.DetectedObject) int {
	switch {
	case !finite(o.Lat, o.Lon) || !finite32(o.VelE, o.VelN, o.Heading, o.Length, o.Width, o.Height, o.CovEE, o.CovEN, o.CovNN):
		return reasonNaN
	case !validLatLon(o.Lat, o.Lon):
		return reasonLatLon
	case !o.Class.Valid():
		return reasonClass
	case o.Speed() > maxSpeed:
		return reasonSpeed
	}
	return -1
}

// checkSPAT returns the rejection reason for a SPAT, or -1.
func checkSPAT(s *v2x.SPAT) int {
	for i := range s.Phases {
		if !s.Phases[i].State.Valid() {
			return reasonLight
		}
	}
	return -1
}

// checkMap returns the rejection reason for a MAP, or -1.
func checkMap(m *v2x.Map) int {
	if !finite(m.RefLat, m.RefLon) || !finite32(m.RefElevation) {
		return reasonNaN
	}
	if !validLatLon(m.RefLat, m.RefLon) {
		return reasonLatLon
	}
	for i := range m.Lanes {
		l := &m.Lanes[i]
		if !l.Kind.Valid() || !finite32(l.Width, l.SpeedLimit) {
			return reasonMap
		}
		for _, p := range l.Nodes {
			if !finite32(p.E, p.N) || math.Abs(float64(p.E)) > 1e4 || math.Abs(float64(p.N)) > 1e4 {
				return reasonMap
			}
		}
	}
	return -1
}

// checkRSI returns the rejection reason for an RSI, or -1.
func checkRSI(r *v2x.RSI) int {
	for i := range r.Events {
		e := &r.Events[i]
		if !finite(e.Lat, e.Lon) || !finite32(e.Radius) {
			return reasonNaN
		}
		if !validLatLon(e.Lat, e.Lon) {
			return reasonLatLon
		}
	}
	return -1
}

func sincosDeg(d float64) (sin, cos float64) { return math.Sincos(d * math.Pi / 180) }

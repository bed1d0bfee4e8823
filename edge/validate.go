package edge

import (
	"math"
	"strconv"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// rejectReason says why a value inside a well-formed frame is refused;
// reasonOK, the zero value, accepts it. v2x_values_rejected_total counts
// each by its String.
type rejectReason uint8

// Rejection reasons.
const (
	reasonOK rejectReason = iota
	reasonNaN
	reasonLatLon
	reasonClass
	reasonSpeed
	reasonLight
	reasonMap
	reasonOutsideMap
	reasonTimeFuture
	reasonTimePast
	reasonNoReference // no reference point yet (no MAP, no -ref): the position cannot be placed
	reasonSensorArea  // a SensorInfo's detection area is no sector
	numRejectReasons
)

var rejectReasonNames = [numRejectReasons]string{"ok", "not_finite", "lat_lon_range", "class", "speed_range", "light_state",
	"map_geometry", "outside_map", "time_future", "time_past", "no_reference", "sensor_area"}

func (r rejectReason) String() string {
	if r < numRejectReasons {
		return rejectReasonNames[r]
	}
	return "reason_" + strconv.Itoa(int(r))
}

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

// checkBSM returns the rejection reason for a BSM, or reasonOK.
func checkBSM(b *v2x.BSM) rejectReason {
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
	return reasonOK
}

// checkObject returns the rejection reason for a detected object, or reasonOK.
func checkObject(o *v2x.DetectedObject) rejectReason {
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
	return reasonOK
}

// checkSensor returns the rejection reason for a sensor's declared
// detection area, or reasonOK: a sector of 0…360° (exclusive of 0) out to
// a positive range of at most v2x.MaxSensorRange, with its blind zone
// inside that range.
func checkSensor(s *v2x.SensorInfo) rejectReason {
	switch {
	case !finite(s.Lat, s.Lon) || !finite32(s.Heading, s.Opening, s.Range, s.MinRange):
		return reasonNaN
	case !validLatLon(s.Lat, s.Lon):
		return reasonLatLon
	case s.Heading < 0 || s.Heading >= 360 || !(s.Opening > 0 && s.Opening <= 360) ||
		!(s.Range > 0 && s.Range <= v2x.MaxSensorRange) || s.MinRange < 0 || s.MinRange >= s.Range:
		return reasonSensorArea
	}
	return reasonOK
}

// checkSPAT returns the rejection reason for a SPAT, or reasonOK.
func checkSPAT(s *v2x.SPAT) rejectReason {
	for i := range s.Phases {
		if !s.Phases[i].State.Valid() {
			return reasonLight
		}
	}
	return reasonOK
}

// checkMap returns the rejection reason for a MAP, or reasonOK.
func checkMap(m *v2x.Map) rejectReason {
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
	return reasonOK
}

// checkRSI returns the rejection reason for an RSI, or reasonOK.
func checkRSI(r *v2x.RSI) rejectReason {
	for i := range r.Events {
		e := &r.Events[i]
		if !finite(e.Lat, e.Lon) || !finite32(e.Radius) {
			return reasonNaN
		}
		if !validLatLon(e.Lat, e.Lon) {
			return reasonLatLon
		}
	}
	return reasonOK
}

func sincosDeg(d float64) (sin, cos float64) { return math.Sincos(d * math.Pi / 180) }

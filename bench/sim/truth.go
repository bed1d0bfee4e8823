package sim

import (
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// TruthObject is the true state of one object (vehicle or pedestrian) at
// the simulator's current time. Positions are those of the object's centre.
type TruthObject struct {
	ID        uint32    `json:"id"` // stable for the object's life, never reused
	Class     v2x.Class `json:"class"`
	Lat       float64   `json:"lat"`
	Lon       float64   `json:"lon"`
	E         float64   `json:"e"`       // metres east of the MAP reference point
	N         float64   `json:"n"`       // metres north of the MAP reference point
	Speed     float32   `json:"speed"`   // m/s
	Heading   float32   `json:"heading"` // degrees clockwise from north
	Length    float32   `json:"length"`
	Width     float32   `json:"width"`
	Height    float32   `json:"height"`
	VehicleID uint64    `json:"vehicle_id,omitempty"` // BSM temporary id; 0 when not equipped
	Equipped  bool      `json:"equipped,omitempty"`   // sends BSMs
	// Lane is the MAP lane id of the lane the object's centre is on: an
	// ingress or egress lane, 0 inside the intersection box, the crosswalk
	// for pedestrians (waiting at it or crossing).
	Lane uint8 `json:"lane"`
	// Hidden: in some camera's view but, under the correlated camera
	// model, hidden behind a tall vehicle from every camera that has it in
	// view, and sending no BSM: no sensor can see it, so judges treat it
	// as a don't-care object, like one outside coverage.
	Hidden bool `json:"hidden,omitempty"`
}

// objState is the internal true state of an object, in the local frame.
type objState struct {
	id                    uint32
	class                 v2x.Class
	e, n, ve, vn          float64
	speed, heading        float64 // m/s, degrees clockwise from north
	yawRate               float64 // degrees/s clockwise
	accel, accLat         float64 // m/s², forward and to the left
	length, width, height float64
	vid                   uint64
	equipped              bool
	lane                  uint8
	veh                   *vehicle
}

// back returns the state dt seconds earlier, extrapolated with constant
// acceleration and turn rate (dt is at most one simulator step, so the
// error is well below a millimetre for positions).
func (o *objState) back(dt float64) objState {
	c := *o
	if dt == 0 {
		return c
	}
	c.e -= o.ve * dt
	c.n -= o.vn * dt
	if o.speed > 0 {
		c.speed = math.Max(0, o.speed-o.accel*dt)
		c.heading = wrapDeg(o.heading - o.yawRate*dt)
		s, co := math.Sincos(c.heading * math.Pi / 180)
		c.ve, c.vn = c.speed*s, c.speed*co
	}
	return c
}

// wrapDeg wraps degrees to [0, 360).
func wrapDeg(d float64) float64 {
	d = math.Mod(d, 360)
	if d < 0 {
		d += 360
	}
	if d >= 360 {
		d = 0
	}
	return d
}

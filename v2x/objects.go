package v2x

import "math"

// ObjectList is a roadside camera's (or other sensor's) perception summary:
// the objects it saw in one frame. The capture time travels in the frame
// header, on the sensor's own clock.
type ObjectList struct {
	SensorID uint32
	Objects  []DetectedObject
}

// MaxObjects bounds the number of objects in one ObjectList or RSM.
const MaxObjects = 1024

// DetectedObject is one object in a perception summary.
type DetectedObject struct {
	LocalID    uint32 // the sensor's own track id
	Class      Class
	Confidence uint8 // 0..100 percent
	Lat, Lon   float64
	VelE, VelN float32 // m/s east and north
	Heading    float32 // degrees clockwise from north
	Length     float32
	Width      float32
	Height     float32
	// Position covariance in the local east/north plane, m². HasCov is
	// false when the sensor did not report one.
	HasCov              bool
	CovEE, CovEN, CovNN float32
}

// Speed returns the horizontal speed of the object in m/s.
func (o *DetectedObject) Speed() float32 {
	return float32(math.Hypot(float64(o.VelE), float64(o.VelN)))
}

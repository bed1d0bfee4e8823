package v2x

// SensorInfo is a roadside sensor's declaration of where it detects road
// users: a radial detection area (a sector of an annulus) around its
// position, after the radial shape of the ETSI CPM Sensor Information
// Container (ETSI TR 103 562 StationarySensorRadial; TS 103 324). A camera
// that sends it claims that a road user whose centre lies in the area
// shows in its object lists.
type SensorInfo struct {
	SensorID uint32
	Lat, Lon float64 // the sensor's position (the apex of the sector), degrees
	Heading  float32 // the direction the sector is centred on, degrees clockwise from north
	Opening  float32 // the sector's horizontal opening angle, degrees, (0, 360]
	Range    float32 // metres: the farthest the sensor detects reliably
	MinRange float32 // metres: nearer than this it detects nothing (its blind zone), 0 ≤ MinRange < Range
}

// Sensor declaration bounds.
const (
	MaxSensorRange = 1000.0 // metres
)

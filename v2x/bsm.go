package v2x

// BSM is a basic safety message: a vehicle's report of its own state.
type BSM struct {
	VehicleID uint64 // temporary id of the sender (CSAE 53: 8 octets; J2735: 4)
	MsgCount  uint8  // rolling message counter 0..127
	Lat, Lon  float64
	Elevation float32 // metres above the WGS84 ellipsoid
	Speed     float32 // m/s, >= 0
	Heading   float32 // degrees clockwise from north, [0, 360)
	AccelLon  float32 // m/s², positive forward
	AccelLat  float32 // m/s², positive left
	AccelVert float32 // m/s²
	YawRate   float32 // degrees/s, positive clockwise
	Length    float32 // metres
	Width     float32 // metres
	Class     Class
	// Position accuracy: one-sigma semi-major and semi-minor axes of the
	// error ellipse in metres and the orientation of the semi-major axis in
	// degrees from north. Zero semi-major means unknown.
	AccSemiMajor, AccSemiMinor, AccOrientation float32
}

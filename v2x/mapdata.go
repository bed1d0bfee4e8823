package v2x

// Map describes one intersection: its reference point and lanes, with lane
// geometry given as east/north offsets in metres from the reference point.
type Map struct {
	IntersectionID uint32
	RefLat, RefLon float64
	RefElevation   float32
	Lanes          []Lane
}

// Bounds on MAP contents; a MAP outside them is rejected.
const (
	MaxLanes       = 255
	MaxLaneNodes   = 64
	MaxConnections = 16
)

// LaneKind is what uses a lane.
type LaneKind uint8

// Lane kinds.
const (
	LaneVehicle LaneKind = iota
	LaneCrosswalk
	LaneBike
	LaneSidewalk
	numLaneKinds
)

// Valid reports whether k is a defined lane kind.
func (k LaneKind) Valid() bool { return k < numLaneKinds }

// Maneuver is a set of allowed movements, as bits.
type Maneuver uint8

// Maneuvers.
const (
	ManeuverStraight Maneuver = 1 << iota
	ManeuverLeft
	ManeuverRight
	ManeuverUTurn
)

// ManeuversFromBits maps the first four bits of a J2735 or CSAE 53
// AllowedManeuvers BIT STRING (straight, left, right, U-turn), given as the
// low four bits of b with the first bit highest.
func ManeuversFromBits(b uint64) Maneuver {
	var m Maneuver
	if b&8 != 0 {
		m |= ManeuverStraight
	}
	if b&4 != 0 {
		m |= ManeuverLeft
	}
	if b&2 != 0 {
		m |= ManeuverRight
	}
	if b&1 != 0 {
		m |= ManeuverUTurn
	}
	return m
}

// AllowedManeuversLen is the size in bits of the AllowedManeuvers BIT
// STRING of J2735 and CSAE 53.
const AllowedManeuversLen = 12

// AllowedBits returns m as a whole AllowedManeuvers BIT STRING of
// AllowedManeuversLen bits, the first bit highest (Bits in its top four).
func (m Maneuver) AllowedBits() uint64 { return m.Bits() << (AllowedManeuversLen - 4) }

// Bits is the inverse of ManeuversFromBits: the four AllowedManeuvers bits
// (straight, left, right, U-turn) as the low four bits, the first highest.
func (m Maneuver) Bits() uint64 {
	var b uint64
	if m&ManeuverStraight != 0 {
		b |= 8
	}
	if m&ManeuverLeft != 0 {
		b |= 4
	}
	if m&ManeuverRight != 0 {
		b |= 2
	}
	if m&ManeuverUTurn != 0 {
		b |= 1
	}
	return b
}

// Lane is one lane of an intersection. Nodes run from the stop line
// outwards for ingress lanes and from the intersection outwards for egress
// lanes, as in J2735 and CSAE 53.
type Lane struct {
	ID          uint8
	Kind        LaneKind
	Approach    uint8 // approach (leg) number, 1-based; 0 if none
	Ingress     bool  // true for lanes entering the intersection
	Maneuvers   Maneuver
	Width       float32 // metres
	SpeedLimit  float32 // m/s, 0 if unknown
	Nodes       []Point
	Connections []Connection
}

// Point is an east/north offset in metres from the map reference point.
type Point struct{ E, N float32 }

// Connection links an ingress lane to an egress lane through a movement
// controlled by a signal group.
type Connection struct {
	ToLane      uint8
	SignalGroup uint8 // 0 when uncontrolled
	Maneuver    Maneuver
}

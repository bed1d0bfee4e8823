package v2x

// RSI is roadside information: events (road works, accidents, hazards) and
// signs, each located on the map with a zone of relevance.
type RSI struct {
	RSUID  uint32
	Events []RoadEvent
}

// MaxEvents bounds the number of events in one RSI.
const MaxEvents = 64

// MaxText bounds the length of a description in bytes.
const MaxText = 256

// EventKind distinguishes events from static signs.
type EventKind uint8

// Event kinds.
const (
	KindEvent EventKind = iota
	KindSign
)

// RoadEvent is one event or sign.
type RoadEvent struct {
	ID       uint16
	Kind     EventKind
	Type     uint16 // event or sign type code (GB/T 29100 / J2735 ITIS)
	Priority uint8  // 0 (lowest) .. 7
	Lat, Lon float64
	Radius   float32 // zone of relevance, metres
	StartNS  int64   // validity window on the sender's clock, 0 if open
	EndNS    int64
	Text     string
}

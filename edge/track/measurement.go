package track

import "github.com/v2x-edge/v2x-edge/v2x"

// MeasKind says where a measurement came from.
type MeasKind uint8

// Measurement kinds.
const (
	MeasDetection  MeasKind = iota // a sensor's object (camera list, RSM participant)
	MeasSelfReport                 // a vehicle's own BSM
)

// Measurement is one observation of one object, validated and mapped to
// node time. It is a fixed-size value without pointers, so queues of them
// cost no allocations.
type Measurement struct {
	Kind     MeasKind
	Class    v2x.Class
	Stream   uint64 // producer stream that carried it (unique within the node)
	Source   uint32 // frame header source id
	LocalID  uint64 // the source's id for the object (sensor track id, BSM vehicle id)
	TimeNS   int64  // capture time on the node clock
	IngestNS int64  // when the frame reached the node
	Lat, Lon float64
	VelE     float32
	VelN     float32
	Speed    float32
	Heading  float32
	Length   float32
	Width    float32
	// Position covariance (m²) in the east/north plane; zero when unknown.
	CovEE, CovEN, CovNN float32
	// Owner names the identity that sent it (0: none) and OwnerLimit how
	// many live tracks that identity's measurements may have started (0: no
	// limit). A measurement whose owner holds its limit updates a track
	// but starts none.
	Owner      uint64
	OwnerLimit uint32
}

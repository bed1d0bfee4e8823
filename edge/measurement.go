package edge

import (
	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x"
)

// measurement is one observation of one object; the type lives with the
// tracker that consumes it.
type measurement = track.Measurement

// measKind says where a measurement came from.
type measKind = track.MeasKind

// Measurement kinds.
const (
	measDetection  = track.MeasDetection
	measSelfReport = track.MeasSelfReport
)

// spatUpdate is a SPAT as queued for the fusion loop.
type spatUpdate struct {
	TimeNS         int64  // capture time on the node clock
	IngestNS       int64  // node time the SPAT arrived
	Stream         uint64 // the source that sent it
	Owner          uint64 // its sender's identity key (track.Measurement.Owner; 0: none)
	IntersectionID uint32
	N              int
	Phases         [v2x.MaxPhases]v2x.Phase
}

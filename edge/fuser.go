package edge

import (
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Fuser turns measurements into fused objects. It is the seam where the
// multi-source tracker plugs in; the fusion loop (world.go) owns it and
// calls it from one goroutine only.
type Fuser interface {
	// Update folds one measurement, already on the node clock, into the
	// fuser's state. e and n are its position in the current ENU frame.
	Update(m *Measurement, e, n float64)
	// Reframe moves every object into a new ENU frame (a MAP arrived).
	Reframe(f *geo.Frame)
	// Expire drops objects whose newest measurement is older than cutoff.
	Expire(cutoff int64)
	// AppendObjects appends the fused objects as of node time now.
	AppendObjects(dst []wire.StateObject, now int64) []wire.StateObject
	// Len returns the number of objects held.
	Len() int
}

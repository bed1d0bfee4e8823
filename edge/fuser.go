package edge

import (
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// fuser turns measurements into fused objects. It is the seam where the
// multi-source tracker plugs in; the fusion loop (world.go) owns it and
// calls it from one goroutine only.
type fuser interface {
	// UpdateFrame folds in one sensor frame: measurements of one source
	// captured at one time (node clock), with their positions in the
	// current ENU frame in e and n. It returns how many measurements it
	// refused to start an object for, because their owner already holds
	// its Measurement.OwnerLimit of objects, and whether the frame changed
	// an object subscribers get (a confirmed one).
	UpdateFrame(ms []measurement, e, n []float64) (capped int, visible bool)
	// Reframe moves every object from one ENU frame into another (a MAP
	// arrived with a new reference point).
	Reframe(from, to *geo.Frame)
	// SetMap gives the fuser the intersection's lanes, for map matching;
	// f is the current ENU frame.
	SetMap(m *v2x.Map, f *geo.Frame)
	// Expire drops objects that have not been seen for long enough as of
	// node time now.
	Expire(now int64)
	// AppendObjects appends the fused objects as of node time now.
	AppendObjects(dst []wire.StateObject, now int64) []wire.StateObject
	// Len returns the number of objects held.
	Len() int
}

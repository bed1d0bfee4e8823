package edge

import (
	"sync/atomic"

	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// snapshot is one published intersection state. Once published it is
// immutable; readers hold a reference (hub.Acquire/Release) while they use
// it, and the fusion loop reuses it only when no reference is left.
type snapshot struct {
	Seq          uint64
	TimeNS       int64 // node time of the state
	IngestNS     int64 // node time the newest measurement in it arrived
	Fresh        bool  // the cycle that made it folded in new measurements or signal state
	Intersection uint32
	HasFrame     bool      // Frame is valid (a reference point is known)
	Frame        geo.Frame // ENU frame the objects' E/N are in
	Objects      []wire.StateObject
	Signals      []wire.SignalState

	refs  atomic.Int32
	cache broadcastCache // views and encoded updates, made on demand by subscribers
}

package edge

import (
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// simFrame puts a simulator output into a source's decoded message, as if
// its frame had been decoded, and sets the header's type; it reports false
// for outputs that are no frame a producer sends. Tests that run the
// simulator through ingest and fusion in simulated time use it.
func simFrame(o *sim.Output, h *wire.Header, src *source) bool {
	msg := &src.msg
	switch o.Type {
	case sim.MsgBSM:
		h.Type, msg.Type, msg.BSM = wire.TypeBSM, wire.TypeBSM, o.BSM
	case sim.MsgObjectList:
		h.Type, msg.Type, msg.Objects = wire.TypeObjectList, wire.TypeObjectList, o.Objects
	case sim.MsgSensorInfo:
		h.Type, msg.Type, msg.Sensor = wire.TypeSensorInfo, wire.TypeSensorInfo, o.Sensor
	case sim.MsgSPAT:
		h.Type, msg.Type = wire.TypeSPAT, wire.TypeSPAT
		msg.SPATs = append(msg.SPATs[:0], o.SPAT)
	case sim.MsgMAP:
		mp := o.Map
		h.Type, msg.Type, msg.Map = wire.TypeMAP, wire.TypeMAP, &mp
	default:
		return false
	}
	return true
}

// simSources is a source per simulated sensor, with the sensor's clock
// offset, for tests that run the simulator through ingest in simulated
// time.
type simSources struct {
	srcs map[uint32]*source
	clk  map[uint32]time.Duration
}

func newSimSources(s *sim.Sim, env ingestEnv) simSources {
	ss := simSources{srcs: map[uint32]*source{}, clk: map[uint32]time.Duration{}}
	for i, src := range s.Sources() {
		sc := newSource(env, discardRejects{}, nil, uint64(i+1))
		ss.srcs[src.ID], ss.clk[src.ID] = &sc, src.ClockOffset
	}
	return ss
}

// ingest puts o in as if its frame arrived at arrive (node clock), its
// capture time on the sensor's clock mapped by base (the node time of
// simulated time 0); it reports false when o is not a frame a producer
// sends.
func (ss simSources) ingest(o *sim.Output, base, arrive int64) bool {
	sc := ss.srcs[o.Source]
	h := wire.Header{Source: o.Source}
	if !simFrame(o, &h, sc) {
		return false
	}
	sc.ingest(&h, base+int64(o.Capture-ss.clk[o.Source]), arrive)
	return true
}

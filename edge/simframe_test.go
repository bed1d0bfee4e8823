package edge

import (
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

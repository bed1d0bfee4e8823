package codec

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// DecodeNative decodes the payload of a native data frame of type t (its
// header says which: the payload does not) into m.
func DecodeNative(t wire.Type, b []byte, m *Message) error {
	m.Type = 0
	var err error
	switch t {
	case wire.TypeBSM:
		err = wire.DecodeBSM(b, &m.BSM)
	case wire.TypeObjectList:
		err = wire.DecodeObjectList(b, &m.Objects)
	case wire.TypeRSM:
		err = wire.DecodeRSM(b, &m.RSM)
	case wire.TypeSensorInfo:
		err = wire.DecodeSensorInfo(b, &m.Sensor)
	case wire.TypeSPAT:
		err = wire.DecodeSPAT(b, &m.spats(1)[0])
	case wire.TypeMAP:
		m.Map = new(v2x.Map)
		err = wire.DecodeMap(b, m.Map)
	case wire.TypeRSI:
		m.RSI = new(v2x.RSI)
		err = wire.DecodeRSI(b, m.RSI)
	default:
		return fmt.Errorf("%s frame: not a data frame", t)
	}
	if err != nil {
		return err
	}
	m.Type = t
	return nil
}

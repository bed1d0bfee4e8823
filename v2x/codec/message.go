package codec

import (
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Message is one decoded message of the node's model, tagged by its frame
// type. Only the field of its Type is meaningful; the others keep their
// storage for later messages.
type Message struct {
	Type    wire.Type      // TypeBSM, TypeObjectList, TypeRSM, TypeSPAT, TypeMAP, TypeRSI or TypeSensorInfo
	BSM     v2x.BSM        // TypeBSM
	Objects v2x.ObjectList // TypeObjectList
	RSM     v2x.RSM        // TypeRSM
	SPATs   []v2x.SPAT     // TypeSPAT: one per intersection
	Map     *v2x.Map       // TypeMAP: a new value for every message (it is handed over)
	RSI     *v2x.RSI       // TypeRSI: likewise
	Sensor  v2x.SensorInfo // TypeSensorInfo (native only)
}

// DetectedObjects returns the objects of an ObjectList or the
// participants of an RSM, else nil.
func (m *Message) DetectedObjects() []v2x.DetectedObject {
	switch m.Type {
	case wire.TypeObjectList:
		return m.Objects.Objects
	case wire.TypeRSM:
		return m.RSM.Participants
	}
	return nil
}

// spats returns m.SPATs resized to n, reusing its storage.
func (m *Message) spats(n int) []v2x.SPAT {
	if cap(m.SPATs) < n {
		m.SPATs = append(m.SPATs[:cap(m.SPATs)], make([]v2x.SPAT, n-cap(m.SPATs))...)
	}
	m.SPATs = m.SPATs[:n]
	return m.SPATs
}

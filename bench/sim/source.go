package sim

import (
	"fmt"
	"time"
)

// SourceKind is what a message source is.
type SourceKind uint8

// Source kinds.
const (
	SourceCamera   SourceKind = iota + 1 // a roadside camera sending object lists
	SourceVehicles                       // every BSM, as relayed by the roadside unit; GNSS time, so offset 0
	SourceSignal                         // the signal controller: SPAT and MAP
	SourceRoadside                       // the roadside unit's own events: RSI
)

var sourceKindNames = [...]string{SourceCamera: "camera", SourceVehicles: "vehicles", SourceSignal: "signal", SourceRoadside: "roadside"}

func (k SourceKind) String() string {
	if int(k) < len(sourceKindNames) && sourceKindNames[k] != "" {
		return sourceKindNames[k]
	}
	return fmt.Sprintf("source-kind(%d)", uint8(k))
}

// Source is one message source.
type Source struct {
	ID   uint32
	Kind SourceKind
	Name string
	// ClockOffset is the source's clock minus true time: Output.Capture is
	// the true capture time plus this.
	ClockOffset time.Duration
	RateHz      float64 // nominal message rate (per vehicle for SourceVehicles)
}

// Source ids: the fixed sources first, then the cameras.
const (
	SignalSourceID   uint32 = 1
	VehiclesSourceID uint32 = 2
	RoadsideSourceID uint32 = 3
	FirstCameraID    uint32 = 11 // camera i (0-based) is FirstCameraID + i
)

// MsgType is the type of an output message.
type MsgType uint8

// Message types.
const (
	MsgBSM MsgType = iota + 1
	MsgSPAT
	MsgMAP
	MsgRSI
	MsgObjectList
	MsgSensorInfo // a camera's declared detection area
)

var msgTypeNames = [...]string{MsgBSM: "bsm", MsgSPAT: "spat", MsgMAP: "map", MsgRSI: "rsi", MsgObjectList: "objects",
	MsgSensorInfo: "sensor"}

func (t MsgType) String() string {
	if int(t) < len(msgTypeNames) && msgTypeNames[t] != "" {
		return msgTypeNames[t]
	}
	return fmt.Sprintf("msg-type(%d)", uint8(t))
}

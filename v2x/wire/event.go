package wire

import (
	"fmt"
	"math"
)

// Check names a misbehaviour check whose finding an Event reports. The
// values never change; docs/protocol.md §6.8 lists them.
type Check uint8

// Misbehaviour checks.
const (
	CheckNone             Check = 0
	CheckRange            Check = 1  // position beyond the node's range
	CheckOffRoad          Check = 2  // position off the MAP's road network
	CheckSpeed            Check = 3  // speed implausible for the class
	CheckAccel            Check = 4  // acceleration implausible for the class
	CheckPosSpeed         Check = 5  // distance between messages inconsistent with their speeds
	CheckHeading          Check = 6  // heading inconsistent with the movement
	CheckAppearance       Check = 7  // sudden appearance inside the intersection
	CheckOverlap          Check = 8  // overlaps another object
	CheckSybil            Check = 9  // one vehicle under several temporary ids
	CheckReplay           Check = 10 // old capture time, or a repeated message with a changed payload
	CheckPhaseSequence    Check = 11 // illegal signal phase sequence
	CheckConflictingGreen Check = 12 // green on crossing movements at once
	CheckMinEndBackwards  Check = 13 // a signal's minimum end time jumped backwards
	CheckMapChange        Check = 14 // MAP geometry changed without a revision bump
	CheckGhost            Check = 15 // a claimed vehicle that cameras covering it do not see
	CheckSensorMismatch   Check = 16 // a camera sees the claimed vehicle move differently
	numChecks                   = 17
)

var checkNames = [numChecks]string{"none", "range", "off_road", "speed", "accel", "pos_speed", "heading",
	"appearance", "overlap", "sybil", "replay", "phase_sequence", "conflicting_green", "min_end_backwards",
	"map_change", "ghost", "sensor_mismatch"}

// String returns the check's snake_case name, as used in metrics labels.
func (c Check) String() string {
	if int(c) < len(checkNames) {
		return checkNames[c]
	}
	return fmt.Sprintf("check(%d)", uint8(c))
}

// AllChecks lists every defined check but CheckNone, in numeric order.
func AllChecks() []Check {
	cs := make([]Check, 0, numChecks-1)
	for c := Check(1); c < numChecks; c++ {
		cs = append(cs, c)
	}
	return cs
}

// EventAction says what an Event reports.
type EventAction uint8

// Event actions.
const (
	EventFinding    EventAction = 0 // a check found something
	EventQuarantine EventAction = 1 // the source's measurements are kept out of fusion from now on
	EventRelease    EventAction = 2 // the source left quarantine
	// Events of the intersection, published on the NATS uplink (§12):
	EventObjectEnter  EventAction = 3 // a fused object confirmed (ObjectID, Lat/Lon, Type 0)
	EventObjectLeave  EventAction = 4 // a fused object dropped (ObjectID, last Lat/Lon)
	EventSignalChange EventAction = 5 // a signal group changed state (LocalID: group, Trust: 0, Text: state)
	EventRoadEvent    EventAction = 6 // a roadside event appeared in the RSI (LocalID: its id, Lat/Lon, Text)
	maxEventAction                = EventRoadEvent
)

var actionNames = [...]string{"finding", "quarantine", "release", "object_enter", "object_leave", "signal_change", "road_event"}

func (a EventAction) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Limits of an Event's strings.
const (
	MaxEventIdentity = 64
	MaxEventText     = 256
	eventHeadLen     = 56
)

// Event is the payload of an Event frame: one misbehaviour finding, or a
// source entering or leaving quarantine.
type Event struct {
	TimeNS   int64 // node time of the finding
	Check    Check
	Action   EventAction
	Type     Type    // type of the offending message; 0 if none
	ObjectID uint32  // fused object id concerned; 0 if none
	LocalID  uint64  // the source's own id of the object (BSM vehicle id, camera local id)
	Stream   uint64  // node-side id of the source's stream (or raw listener); 0 if unknown
	Lat, Lon float64 // where; NaN if no position
	Trust    float32 // the source's trust score after the finding, 0 … 1
	Identity string  // the source's identity name, at most MaxEventIdentity bytes
	Text     string  // human-readable detail, at most MaxEventText bytes; not for parsing
}

// AppendEvent appends the encoding of e; the strings are cut to their
// limits.
func AppendEvent(b []byte, e *Event) []byte {
	id := e.Identity[:min(len(e.Identity), MaxEventIdentity)]
	text := e.Text[:min(len(e.Text), MaxEventText)]
	b = appendU64(b, uint64(e.TimeNS))
	b = append(b, byte(e.Check), byte(e.Action), byte(e.Type), byte(len(id)))
	b = appendU32(b, e.ObjectID)
	b = appendU64(b, e.LocalID)
	b = appendU64(b, e.Stream)
	b = appendF64(b, e.Lat)
	b = appendF64(b, e.Lon)
	b = appendF32(b, e.Trust)
	b = appendU16(b, uint16(len(text)))
	b = append(b, 0, 0)
	b = append(b, id...)
	return append(b, text...)
}

// DecodeEvent decodes an Event payload into e.
func DecodeEvent(p []byte, e *Event) error {
	d := dec{b: p}
	e.TimeNS = d.i64()
	e.Check = Check(d.u8())
	e.Action = EventAction(d.u8())
	e.Type = Type(d.u8())
	idLen := int(d.u8())
	e.ObjectID = d.u32()
	e.LocalID = d.u64()
	e.Stream = d.u64()
	e.Lat = d.f64()
	e.Lon = d.f64()
	e.Trust = d.f32()
	textLen := int(d.u16())
	d.u16()
	if d.bad {
		return fmt.Errorf("event: %w: %d-byte header, want %d", ErrTruncated, len(p), eventHeadLen)
	}
	switch {
	case idLen > MaxEventIdentity:
		return fmt.Errorf("event: %w: identity of %d bytes (max %d)", ErrInvalid, idLen, MaxEventIdentity)
	case textLen > MaxEventText:
		return fmt.Errorf("event: %w: text of %d bytes (max %d)", ErrInvalid, textLen, MaxEventText)
	case e.Action > maxEventAction:
		return fmt.Errorf("event: %w: action %d", ErrInvalid, e.Action)
	case math.IsInf(e.Lat, 0) || math.IsInf(e.Lon, 0) || math.IsNaN(float64(e.Trust)):
		return fmt.Errorf("event: %w: position or trust not finite", ErrInvalid)
	}
	if err := checkLen("event: strings", len(d.b), idLen+textLen); err != nil {
		return err
	}
	e.Identity = string(d.b[:idLen])
	e.Text = string(d.b[idLen:])
	return nil
}

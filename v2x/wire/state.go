package wire

import (
	"fmt"
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// State is the payload of a State frame: the fused intersection state as
// one subscriber sees it. The frame header's Capture is the node time of
// the state and Seq the node's state sequence number.
type State struct {
	IngestNS     int64 // node time the newest measurement in this state reached the node
	Intersection uint32
	Flags        uint32
	Objects      []StateObject
	Signals      []SignalState
}

// State flags.
const (
	StateKeyframe = 1 << 0 // a complete state (all updates are keyframes for now)
)

// StateObject is one fused object in a State.
type StateObject struct {
	ID       uint32 // fused object id, stable while the node tracks the object
	Class    v2x.Class
	Sources  uint8 // number of sources that contributed
	Lane     uint8 // MAP lane id, 0 if unknown
	Approach uint8 // MAP approach, 0 if unknown
	Lat, Lon float64
	E, N     float32 // metres from the intersection reference point
	Speed    float32 // m/s
	Heading  float32 // degrees clockwise from north
	Length   float32
	Width    float32
	AgeMS    uint32 // age of the object's newest measurement at the state time
	// Position covariance in the east/north plane, m² (zero: unknown).
	CovEE, CovEN, CovNN float32
}

// SignalState is one signal group in a State. Times are milliseconds after
// the state time, or v2x.TimeUnknown.
type SignalState struct {
	Phase       uint8
	State       v2x.LightState
	Confidence  uint8
	MinEndMS    int32
	LikelyEndMS int32
	MaxEndMS    int32
}

// Record sizes in a State payload.
const (
	// StateHeadLen is the size of a State payload before its records.
	StateHeadLen   = 20
	StateObjectLen = 64
	SignalLen      = 16
	// MaxSignals bounds the number of signal records in a State.
	MaxSignals = v2x.MaxPhases
	// MaxStateObjects bounds the number of objects in a State.
	MaxStateObjects = 4096
)

// StateFrameLen returns the size of a whole State frame (header included)
// that holds the given numbers of objects and signals.
func StateFrameLen(objects, signals int) int {
	return HeaderLen + StateHeadLen + objects*StateObjectLen + signals*SignalLen
}

// AppendState appends the encoding of s.
func AppendState(b []byte, s *State) []byte {
	b = appendU64(b, uint64(s.IngestNS))
	b = appendU32(b, s.Intersection)
	b = appendU32(b, s.Flags)
	b = appendU16(b, uint16(len(s.Objects)))
	b = appendU16(b, uint16(len(s.Signals)))
	for i := range s.Objects {
		b = AppendStateObject(b, &s.Objects[i])
	}
	for i := range s.Signals {
		g := &s.Signals[i]
		b = append(b, g.Phase, byte(g.State), g.Confidence, 0)
		b = appendU32(b, uint32(g.MinEndMS))
		b = appendU32(b, uint32(g.LikelyEndMS))
		b = appendU32(b, uint32(g.MaxEndMS))
	}
	return b
}

// AppendStateObject appends one object record. The broadcast hub uses it to
// assemble a filtered State without copying objects twice.
func AppendStateObject(b []byte, o *StateObject) []byte {
	b = appendU32(b, o.ID)
	b = append(b, byte(o.Class), o.Sources, o.Lane, o.Approach)
	b = appendF64(b, o.Lat)
	b = appendF64(b, o.Lon)
	for _, f := range [...]float32{o.E, o.N, o.Speed, WrapHeading(o.Heading), o.Length, o.Width} {
		b = appendF32(b, f)
	}
	b = appendU32(b, o.AgeMS)
	b = appendF32(b, o.CovEE)
	b = appendF32(b, o.CovEN)
	return appendF32(b, o.CovNN)
}

// DecodeState decodes a State payload into s, reusing its slices.
func DecodeState(p []byte, s *State) error {
	d := dec{b: p}
	s.IngestNS = d.i64()
	s.Intersection = d.u32()
	s.Flags = d.u32()
	no, ns := int(d.u16()), int(d.u16())
	if d.bad {
		return fmt.Errorf("state: %w: %d-byte header", ErrTruncated, len(p))
	}
	if no > MaxStateObjects || ns > MaxSignals {
		return fmt.Errorf("state: %w: %d objects, %d signals (max %d, %d)", ErrInvalid, no, ns, MaxStateObjects, MaxSignals)
	}
	if want := no*StateObjectLen + ns*SignalLen; len(d.b) != want {
		return checkLen(fmt.Sprintf("state: %d objects and %d signals", no, ns), len(d.b), want)
	}
	s.Objects = grow(s.Objects, no)
	for i := range s.Objects {
		o := &s.Objects[i]
		o.ID = d.u32()
		o.Class = v2x.Class(d.u8())
		o.Sources = d.u8()
		o.Lane = d.u8()
		o.Approach = d.u8()
		o.Lat = d.f64()
		o.Lon = d.f64()
		o.E = d.f32()
		o.N = d.f32()
		o.Speed = d.f32()
		o.Heading = d.f32()
		o.Length = d.f32()
		o.Width = d.f32()
		o.AgeMS = d.u32()
		o.CovEE = d.f32()
		o.CovEN = d.f32()
		o.CovNN = d.f32()
		if h := o.Heading; h == h && !(h >= 0 && h < 360) {
			return fmt.Errorf("state: %w: object %d heading %v outside [0, 360)", ErrInvalid, o.ID, h)
		}
	}
	s.Signals = grow(s.Signals, ns)
	for i := range s.Signals {
		g := &s.Signals[i]
		g.Phase = d.u8()
		g.State = v2x.LightState(d.u8())
		g.Confidence = d.u8()
		d.u8()
		g.MinEndMS = d.i32()
		g.LikelyEndMS = d.i32()
		g.MaxEndMS = d.i32()
	}
	return nil
}

// WrapHeading returns heading h (degrees) within the State range
// [0, 360): 360 and a float32 that rounds up to it are 0, and headings
// outside the range wrap around. NaN stays NaN.
func WrapHeading(h float32) float32 {
	if h >= 0 && h < 360 || h != h {
		return h
	}
	r := math.Mod(float64(h), 360)
	if r < 0 {
		r += 360
	}
	if w := float32(r); w < 360 {
		return w
	}
	return 0
}

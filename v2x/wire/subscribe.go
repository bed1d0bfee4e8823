package wire

import (
	"fmt"
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// SubscribeLen is the size of a Subscribe payload without approach and
// lane sets; SubscribeSetsLen the size with them.
const (
	SubscribeLen     = 32
	SubscribeSetsLen = SubscribeLen + 2*IDSetLen
)

// Subscribe flags.
const (
	// SubCenter says that CenterLat/CenterLon are given; without it the
	// region is centred on the node's intersection reference point.
	SubCenter = 1 << 0
	// SubPacked asks for Update frames (keyframes and deltas at broadcast
	// precision, compressed) instead of State frames.
	SubPacked = 1 << 1
	// SubNoDatagram keeps packed updates on the stream even when they
	// would fit in a QUIC datagram.
	SubNoDatagram = 1 << 2
	// SubCSAERSM asks for the fused objects as CSAE 53-2017 RSM
	// MessageFrames (frame type RSM, encoding CSAE53, at most 16
	// participants each) instead of State or Update frames, for an RSU to
	// broadcast over PC5. It overrides SubPacked.
	SubCSAERSM = 1 << 3
	// SubUncompressed asks for Update bodies without compression
	// (CompressNone), whatever the node's compression, for a client
	// without S2 or zstd and the state dictionary.
	SubUncompressed = 1 << 4
	// SubEvents asks for Event frames (misbehaviour findings and
	// quarantines) on the subscriber stream besides the states. Only an
	// identity with the operator role may ask for them.
	SubEvents = 1 << 5
	// SubJ2735SDSM asks for the fused objects as SAE J2735 (2024)
	// SensorDataSharingMessage MessageFrames (frame type RSM, encoding
	// J2735, at most 256 objects each) instead of State or Update frames,
	// for an RSU to broadcast. It overrides SubPacked; with SubCSAERSM
	// both are sent.
	SubJ2735SDSM = 1 << 6
	// SubRSI asks for the active roadside events and signs that touch the
	// subscription's region as native RSI frames (type RSI, encoding
	// native), besides the states: the whole set again whenever it
	// changes, an RSI with no events when none is left.
	SubRSI = 1 << 7
	// SubCSAERSI asks for the same sets as CSAE 53-2017 RSI MessageFrames
	// (type RSI, encoding CSAE53; at most 8 events and 16 signs each, one
	// set in frames of the same Seq), for an RSU to broadcast; an empty
	// set comes as a native RSI with no events.
	SubCSAERSI = 1 << 8
)

// Subscribe asks the node for state updates. It is the first frame on a
// subscriber stream and may be sent again to change the subscription.
type Subscribe struct {
	Flags                uint32
	CenterLat, CenterLon float64
	Radius               float32       // metres; 0 means no limit
	MaxRate              float32       // updates per second; 0 means every update
	Classes              v2x.ClassMask // 0 means all classes
	// Approaches and Lanes select objects by the MAP approach and lane the
	// node matched them to: an object passes when its approach is in
	// Approaches or its lane in Lanes. Id 0 stands for "not matched" (an
	// object off the mapped lanes). Both empty: no such filter.
	Approaches, Lanes IDSet
}

// HasSets reports whether s filters by approach or lane.
func (s *Subscribe) HasSets() bool { return !s.Approaches.IsEmpty() || !s.Lanes.IsEmpty() }

// AppendSubscribe appends the encoding of s.
func AppendSubscribe(b []byte, s *Subscribe) []byte {
	b = appendU32(b, s.Flags)
	b = appendF64(b, s.CenterLat)
	b = appendF64(b, s.CenterLon)
	b = appendF32(b, s.Radius)
	b = appendF32(b, s.MaxRate)
	b = appendU32(b, uint32(s.Classes))
	if s.HasSets() {
		b = s.Approaches.Append(b)
		b = s.Lanes.Append(b)
	}
	return b
}

// DecodeSubscribe decodes and validates a Subscribe payload.
func DecodeSubscribe(p []byte, s *Subscribe) error {
	switch {
	case len(p) < SubscribeLen:
		return fmt.Errorf("subscribe: %w: %d bytes, want %d", ErrTruncated, len(p), SubscribeLen)
	case len(p) > SubscribeLen && len(p) < SubscribeSetsLen:
		return fmt.Errorf("subscribe: %w: %d bytes, want %d or %d", ErrInvalid, len(p), SubscribeLen, SubscribeSetsLen)
	case len(p) > SubscribeSetsLen:
		return fmt.Errorf("subscribe: %w: %d trailing bytes", ErrInvalid, len(p)-SubscribeSetsLen)
	}
	d := dec{b: p}
	s.Flags = d.u32()
	s.CenterLat = d.f64()
	s.CenterLon = d.f64()
	s.Radius = d.f32()
	s.MaxRate = d.f32()
	s.Classes = v2x.ClassMask(d.u32())
	s.Approaches, s.Lanes = IDSet{}, IDSet{}
	if len(p) == SubscribeSetsLen {
		s.Approaches.decode(&d)
		s.Lanes.decode(&d)
		if !s.HasSets() {
			return fmt.Errorf("subscribe: %w: approach and lane sets given but both empty (send %d bytes)", ErrInvalid, SubscribeLen)
		}
	}
	switch {
	case s.Flags&SubCenter != 0 && !(math.Abs(s.CenterLat) <= 90 && math.Abs(s.CenterLon) <= 180):
		return fmt.Errorf("subscribe: %w: centre %v,%v is not a WGS84 position", ErrInvalid, s.CenterLat, s.CenterLon)
	case !(s.Radius >= 0 && s.Radius <= 1e6):
		return fmt.Errorf("subscribe: %w: radius %v m outside 0..1e6", ErrInvalid, s.Radius)
	case !(s.MaxRate >= 0 && s.MaxRate <= 1000):
		return fmt.Errorf("subscribe: %w: max rate %v Hz outside 0..1000", ErrInvalid, s.MaxRate)
	}
	return nil
}

package wire

import (
	"fmt"
)

// Update is the head of an Update frame's payload: a state for one
// subscriber, as a keyframe or as a delta against a state it received
// before, compressed. The body (AppendDelta's output, compressed) follows
// the head. The frame header's Seq is the state's sequence number, Capture
// its node time, and Source the subscriber stream's id (so that an Update
// sent as a QUIC datagram finds its subscription).
type Update struct {
	Flags       uint8
	Compression Compression
	BaseSeq     uint64 // the state the delta applies to; 0 for a keyframe
	RawLen      uint32 // body length before compression
}

// UpdateHeadLen is the size of an Update head.
const UpdateHeadLen = 16

// Update flags.
const (
	UpdateKeyframe = 1 << 0 // the body is a keyframe (BaseSeq is 0)
)

// MaxUpdateRaw bounds an Update body before compression: a keyframe of
// MaxStateObjects objects with every field at its widest, plus signals.
const MaxUpdateRaw = 32 + MaxStateObjects*(5+3+NumPackedFields*10) + MaxSignals*SignalLen

// AppendUpdate appends the head u. Append the compressed body after it.
func AppendUpdate(b []byte, u *Update) []byte {
	b = append(b, u.Flags, byte(u.Compression), 0, 0)
	b = appendU64(b, u.BaseSeq)
	return appendU32(b, u.RawLen)
}

// DecodeUpdate decodes an Update payload's head and returns its body.
func DecodeUpdate(p []byte, u *Update) (body []byte, err error) {
	d := dec{b: p}
	u.Flags = d.u8()
	u.Compression = Compression(d.u8())
	d.u16()
	u.BaseSeq = d.u64()
	u.RawLen = d.u32()
	switch {
	case d.bad:
		return nil, fmt.Errorf("update: %w: %d-byte head", ErrTruncated, len(p))
	case u.Flags&^UpdateKeyframe != 0:
		return nil, fmt.Errorf("update: %w: unknown flags %#x", ErrInvalid, u.Flags)
	case !u.Compression.Valid():
		return nil, fmt.Errorf("update: %w: compression %d", ErrInvalid, u.Compression)
	case (u.Flags&UpdateKeyframe != 0) != (u.BaseSeq == 0):
		return nil, fmt.Errorf("update: %w: keyframe flag %v with base %d", ErrInvalid, u.Flags&UpdateKeyframe != 0, u.BaseSeq)
	case u.RawLen > MaxUpdateRaw:
		return nil, fmt.Errorf("update: %w: raw length %d beyond %d", ErrInvalid, u.RawLen, MaxUpdateRaw)
	}
	return d.b, nil
}

// ResyncLen is the size of a Resync payload.
const ResyncLen = 8

// AppendResync appends a Resync payload: the sequence number of the state
// the subscriber holds (0: none). The node answers with a keyframe.
func AppendResync(b []byte, have uint64) []byte { return appendU64(b, have) }

// DecodeResync decodes a Resync payload.
func DecodeResync(p []byte) (have uint64, err error) {
	if err := checkLen("resync", len(p), ResyncLen); err != nil {
		return 0, err
	}
	d := dec{b: p}
	return d.u64(), nil
}

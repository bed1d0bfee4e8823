package uplink

import (
	"errors"
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// ErrWaiting says a state message was a delta whose base the decoder does
// not hold (it joined after the keyframe, or core NATS lost a message):
// the next keyframe brings the state back.
var ErrWaiting = errors.New("uplink: delta without its base; waiting for a keyframe")

// StateDecoder rebuilds one node's states from the messages of its state
// subject. The zero value is ready; use one per subject.
type StateDecoder struct {
	cur, next wire.PackedState
	raw       []byte
	curSeq    uint64
	have      bool
	Keyframes uint64 // keyframes applied
	Deltas    uint64 // deltas applied
	Waiting   uint64 // deltas skipped for want of their base
}

// Decode applies one state message (an Update frame) and fills st with
// the state it brings. It returns the frame's header (Seq, Capture: the
// node time of the state), ErrWaiting for a delta it cannot apply yet, or
// an error for a malformed message.
func (d *StateDecoder) Decode(msg []byte, st *wire.State) (wire.Header, error) {
	h, err := wire.ParseHeader(msg, len(msg))
	if err != nil {
		return h, fmt.Errorf("uplink: state message: %w", err)
	}
	if h.Type != wire.TypeUpdate {
		return h, fmt.Errorf("uplink: state message is a %s frame, want Update", h.Type)
	}
	if h.Length != len(msg)-wire.HeaderLen {
		return h, fmt.Errorf("uplink: state message of %d bytes, its frame says %d", len(msg), wire.HeaderLen+h.Length)
	}
	var u wire.Update
	body, err := wire.DecodeUpdate(msg[wire.HeaderLen:], &u)
	if err != nil {
		return h, fmt.Errorf("uplink: state %d: %w", h.Seq, err)
	}
	key := u.Flags&wire.UpdateKeyframe != 0
	var base *wire.PackedState
	if !key {
		if !d.have || u.BaseSeq != d.curSeq {
			d.Waiting++
			return h, ErrWaiting
		}
		base = &d.cur
	}
	if d.raw, err = wire.AppendDecompressed(d.raw[:0], body, u.Compression, int(u.RawLen)); err != nil {
		return h, fmt.Errorf("uplink: state %d: %w", h.Seq, err)
	}
	if err := wire.ApplyDelta(d.raw, base, &d.next); err != nil {
		return h, fmt.Errorf("uplink: state %d: %w", h.Seq, err)
	}
	d.cur, d.next = d.next, d.cur
	d.curSeq, d.have = h.Seq, true
	if key {
		d.Keyframes++
	} else {
		d.Deltas++
	}
	d.cur.Unpack(st)
	return h, nil
}

// DecodeEvent decodes one event message (an Event frame) into e and
// returns its header; Seq is the event's sequence number in its node run.
func DecodeEvent(msg []byte, e *wire.Event) (wire.Header, error) {
	h, err := wire.ParseHeader(msg, len(msg))
	if err != nil {
		return h, fmt.Errorf("uplink: event message: %w", err)
	}
	if h.Type != wire.TypeEvent {
		return h, fmt.Errorf("uplink: event message is a %s frame, want Event", h.Type)
	}
	if h.Length != len(msg)-wire.HeaderLen {
		return h, fmt.Errorf("uplink: event message of %d bytes, its frame says %d", len(msg), wire.HeaderLen+h.Length)
	}
	if err = wire.DecodeEvent(msg[wire.HeaderLen:], e); err != nil {
		return h, fmt.Errorf("uplink: event %d: %w", h.Seq, err)
	}
	return h, nil
}

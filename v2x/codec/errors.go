package codec

import (
	"errors"
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

var (
	// ErrUnsupported marks a well-formed frame whose message the node does
	// not ingest (a J2735 TIM, a CSAE extension alternative), or an
	// encoding it does not know.
	ErrUnsupported = errors.New("not ingested")
	// ErrPadding is the cause when the input at a frame's start is zero
	// bytes only: padding, not a frame.
	ErrPadding = errors.New("only zero bytes (padding), no frame")
	// ErrAllZero is the cause when a frame decodes from bytes that are
	// all zero but perhaps the last: every field at its schema minimum
	// (36 zero bytes are a CSAE BSM at -90°, -180°). No sender makes
	// such a frame; it is garbage or forged.
	ErrAllZero = errors.New("frame of zero bytes: every field at its minimum")
	// ErrEmpty is the cause when there is no input at all.
	ErrEmpty = errors.New("no bytes")
)

// Error is a MessageFrame that does not decode: where, from the start of
// the frame, and in which component.
type Error struct {
	Encoding string // "csae53" or "j2735"
	Bit      int    // bit offset from the start of the frame
	Path     string // the failing component, from the outermost in, with its type in parentheses
	Err      error  // the cause, e.g. uper.ErrTruncated, uper.ErrEmptyOpen, ErrPadding
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s at byte %d (bit %d): %v", e.Encoding, e.Path, e.Bit/8, e.Bit, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// frameError restates an error of the uper runtime as an *Error, its bit
// offset moved by base (where the decoded value starts in the frame) and
// its path prefixed by prefix. Other errors are returned as they are.
func frameError(enc, prefix string, base int, err error) error {
	if err == nil {
		return nil
	}
	var ue *uper.Error
	if !errors.As(err, &ue) {
		return err
	}
	return &Error{Encoding: enc, Bit: base + ue.Bit, Path: prefix + ue.Where(), Err: ue.Err}
}

// Padding reports whether b is one or more zero bytes and nothing else.
func Padding(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return len(b) > 0
}

// End reports whether frames read back to back from b end at off: b ends
// there, or zero padding follows at least one frame. At off 0 padding is
// not an end: Decode reports it as ErrPadding.
func End(b []byte, off int) bool {
	return off >= len(b) || off > 0 && Padding(b[off:])
}

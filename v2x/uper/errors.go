package uper

import (
	"errors"
	"fmt"
)

// Error is a decoding failure: what went wrong, at which bit, in which
// field.
type Error struct {
	Bit   int    // bit offset from the start of the buffer
	Field string // the type or component being read
	Path  string // components from the outermost in, when the decoder records them
	Err   error
}

func (e *Error) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("uper: %s (%s) at byte %d (bit %d): %v", e.Path, e.Field, e.Bit/8, e.Bit, e.Err)
	}
	return fmt.Sprintf("uper: %s at byte %d (bit %d): %v", e.Field, e.Bit/8, e.Bit, e.Err)
}

// Where names the failing component: its Path when recorded, else Field.
func (e *Error) Where() string {
	if e.Path != "" {
		return e.Path + " (" + e.Field + ")"
	}
	return e.Field
}

func (e *Error) Unwrap() error { return e.Err }

// Causes wrapped by Error.
var (
	ErrTruncated = errors.New("input ends inside the field")
	ErrRange     = errors.New("value outside its constraint")
	ErrLength    = errors.New("length beyond the limit")
	ErrFragment  = errors.New("fragmented length (16K or more) not supported")
	ErrEmptyOpen = errors.New("open type of length 0 (an encoding is at least one octet)")
)

// MaxLength bounds every length determinant this package accepts.
const MaxLength = 16383

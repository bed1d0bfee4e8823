package wire

import "fmt"

// Code is a protocol error code, carried in Error frames.
type Code uint16

// Error codes. docs/protocol.md explains each; the values never change.
const (
	CodeBadLength           Code = 1  // impossible length field: the stream's framing is lost and its read side is closed
	CodeUnknownType         Code = 2  // frame type not defined; the frame was skipped
	CodeBadVersion          Code = 3  // frame version not supported; the frame was skipped
	CodeUnsupportedEncoding Code = 4  // payload encoding not supported for this type; skipped
	CodeMalformed           Code = 5  // payload truncated or not decodable; skipped
	CodeInvalidValue        Code = 6  // payload decodes but a value is impossible (NaN, out of range); skipped
	CodeUnexpectedFrame     Code = 7  // known type not allowed on this stream or in this state; skipped
	CodeOverloaded          Code = 8  // the node shed the frame under load
	CodeInternal            Code = 9  // the node failed; not the sender's fault
	CodeForbidden           Code = 10 // the connection's identity may not send this (role or source kind); skipped
)

var codeNames = map[Code]string{
	CodeBadLength: "bad_length", CodeUnknownType: "unknown_type", CodeBadVersion: "bad_version",
	CodeUnsupportedEncoding: "unsupported_encoding", CodeMalformed: "malformed",
	CodeInvalidValue: "invalid_value", CodeUnexpectedFrame: "unexpected_frame",
	CodeOverloaded: "overloaded", CodeInternal: "internal", CodeForbidden: "forbidden",
}

// String returns the code's snake_case name, as used in metrics labels.
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("code(%d)", uint16(c))
}

// AllCodes lists every defined code in numeric order.
func AllCodes() []Code {
	return []Code{CodeBadLength, CodeUnknownType, CodeBadVersion, CodeUnsupportedEncoding,
		CodeMalformed, CodeInvalidValue, CodeUnexpectedFrame, CodeOverloaded, CodeInternal, CodeForbidden}
}

// MaxErrorMessage bounds the message text of an Error frame.
const MaxErrorMessage = 512

// ErrorFrame is the payload of an Error frame: which frame failed and why.
type ErrorFrame struct {
	Code    Code
	Type    Type   // type of the offending frame, 0 if unknown
	Seq     uint64 // sequence number of the offending frame, 0 if unknown
	Message string
}

// Error makes ErrorFrame an error, so clients can return it.
func (e *ErrorFrame) Error() string {
	return fmt.Sprintf("v2x-edge: %s (frame %s seq %d): %s", e.Code, e.Type, e.Seq, e.Message)
}

// AppendError appends the encoding of e; the message is cut to
// MaxErrorMessage bytes.
func AppendError(b []byte, e *ErrorFrame) []byte {
	msg := e.Message[:min(len(e.Message), MaxErrorMessage)]
	b = appendU16(b, uint16(e.Code))
	b = append(b, byte(e.Type), 0)
	b = appendU64(b, e.Seq)
	b = appendU16(b, uint16(len(msg)))
	return append(b, msg...)
}

// DecodeError decodes an Error payload into e.
func DecodeError(p []byte, e *ErrorFrame) error {
	d := dec{b: p}
	e.Code = Code(d.u16())
	e.Type = Type(d.u8())
	d.u8()
	e.Seq = d.u64()
	n := int(d.u16())
	if d.bad {
		return fmt.Errorf("error frame: %w: %d-byte header", ErrTruncated, len(p))
	}
	if n > MaxErrorMessage {
		return fmt.Errorf("error frame: %w: message of %d bytes (max %d)", ErrInvalid, n, MaxErrorMessage)
	}
	if err := checkLen("error frame: message", len(d.b), n); err != nil {
		return err
	}
	e.Message = string(d.b)
	return nil
}

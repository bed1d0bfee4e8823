// Package wire is the native v2x-edge wire protocol: length-prefixed frames
// carried on QUIC streams. docs/protocol.md is the normative description;
// this package is its reference implementation.
//
// Encoders are append-style (they append to and return a byte slice) and
// decoders fill a caller-owned struct, reusing its slices, so that the hot
// frames (BSM, ObjectList, SPAT, State) encode and decode without
// allocating once buffers have grown.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ALPN is the TLS application protocol of the native protocol.
const ALPN = "v2x-edge/1"

// Version is the frame format version this package speaks.
const Version = 1

// HeaderLen is the size of the frame header, including the 4-byte length
// prefix.
const HeaderLen = 28

// DefaultMaxFrame is the default limit on the length field of a frame
// (header without the prefix, plus payload).
const DefaultMaxFrame = 1 << 20

// Type is the type of a frame.
type Type uint8

// Frame types. Producer data types are below 0x20.
const (
	TypeBSM        Type = 0x01
	TypeSPAT       Type = 0x02
	TypeMAP        Type = 0x03
	TypeRSI        Type = 0x04
	TypeRSM        Type = 0x05
	TypeObjectList Type = 0x06
	TypeSensorInfo Type = 0x07

	TypeSubscribe     Type = 0x20
	TypeState         Type = 0x21
	TypeError         Type = 0x22
	TypeClockRequest  Type = 0x23
	TypeClockResponse Type = 0x24
	TypeUpdate        Type = 0x25
	TypeResync        Type = 0x26
	TypeEvent         Type = 0x27
)

// IsData reports whether t is a producer data type.
func (t Type) IsData() bool { return t >= TypeBSM && t <= TypeSensorInfo }

// Known reports whether t is a defined frame type.
func (t Type) Known() bool {
	return t.IsData() || (t >= TypeSubscribe && t <= TypeEvent)
}

var typeNames = map[Type]string{
	TypeBSM: "bsm", TypeSPAT: "spat", TypeMAP: "map", TypeRSI: "rsi", TypeRSM: "rsm",
	TypeObjectList: "objects", TypeSensorInfo: "sensor", TypeSubscribe: "subscribe", TypeState: "state",
	TypeError: "error", TypeClockRequest: "clock_request", TypeClockResponse: "clock_response",
	TypeUpdate: "update", TypeResync: "resync", TypeEvent: "event",
}

// String returns the lowercase name of the type, as used in metrics labels.
func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type(0x%02x)", uint8(t))
}

// Encoding says how a frame's payload is encoded.
type Encoding uint8

// Payload encodings.
const (
	EncodingNative Encoding = 0 // this document's binary layouts
	EncodingCSAE53 Encoding = 1 // CSAE 53-2017 UPER MessageFrame
	EncodingJ2735  Encoding = 2 // SAE J2735 UPER MessageFrame
)

// FlagMore, in a data frame's Flags, says that the producer's next frame
// on the same stream belongs with this one: the node fuses a run of
// frames with FlagMore and the frame that ends it (the first without) in
// one fusion cycle (docs/protocol.md §3, §7.1).
const FlagMore uint8 = 0x01

// Header is a decoded frame header.
type Header struct {
	Version  uint8
	Type     Type
	Encoding Encoding
	Flags    uint8
	Source   uint32 // sender-chosen source id (a camera, an RSU, ...)
	Seq      uint64 // per-source sequence number
	Capture  int64  // capture time, ns since the Unix epoch on the sender's clock
	Length   int    // payload length in bytes
}

// Errors returned by the frame functions.
var (
	ErrShort     = errors.New("wire: buffer shorter than a frame header")
	ErrLength    = errors.New("wire: impossible frame length")
	ErrVersion   = errors.New("wire: unsupported frame version")
	ErrTruncated = errors.New("wire: payload truncated")
	ErrInvalid   = errors.New("wire: invalid payload")
)

// AppendHeader appends a frame header for h with a zero length field. After
// appending the payload call FinishFrame with the offset where the header
// starts. h.Version is ignored: the current Version is written.
func AppendHeader(b []byte, h *Header) []byte {
	b = append(b, 0, 0, 0, 0, Version, byte(h.Type), byte(h.Encoding), h.Flags)
	b = binary.BigEndian.AppendUint32(b, h.Source)
	b = binary.BigEndian.AppendUint64(b, h.Seq)
	return binary.BigEndian.AppendUint64(b, uint64(h.Capture))
}

// FinishFrame writes the length field of the frame that starts at b[start:]
// and runs to the end of b.
func FinishFrame(b []byte, start int) {
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
}

// ParseHeader decodes the header at the start of b. It checks the version
// and that the length field lies within [HeaderLen-4, maxFrame]; it does not
// require the payload to be present in b.
func ParseHeader(b []byte, maxFrame int) (Header, error) {
	var h Header
	if len(b) < HeaderLen {
		return h, ErrShort
	}
	n := binary.BigEndian.Uint32(b)
	if n < HeaderLen-4 || uint64(n) > uint64(maxFrame) {
		return h, fmt.Errorf("%w: %d bytes (allowed %d..%d)", ErrLength, n, HeaderLen-4, maxFrame)
	}
	h.Version = b[4]
	h.Type = Type(b[5])
	h.Encoding = Encoding(b[6])
	h.Flags = b[7]
	h.Source = binary.BigEndian.Uint32(b[8:])
	h.Seq = binary.BigEndian.Uint64(b[12:])
	h.Capture = int64(binary.BigEndian.Uint64(b[20:]))
	h.Length = int(n) - (HeaderLen - 4)
	if h.Version != Version {
		return h, fmt.Errorf("%w: %d", ErrVersion, h.Version)
	}
	return h, nil
}

package csae53

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// Decoder decodes MessageFrames into one reused MessageFrame, so that
// steady-state decoding allocates nothing.
type Decoder struct {
	d uper.Decoder
}

// Decode decodes the MessageFrame at the start of b into f, reusing f's
// slices, and returns the number of bytes it used (frames are padded to a
// whole byte, so the next frame starts there).
func (dec *Decoder) Decode(b []byte, f *MessageFrame) (int, error) {
	dec.d.Reset(b)
	f.DecodeUPER(&dec.d)
	if err := dec.d.Err(); err != nil {
		return 0, fmt.Errorf("csae53: %w", err)
	}
	return dec.d.BytesUsed(), nil
}

// DecodeFrame decodes one MessageFrame from b into f; see Decoder.Decode.
func DecodeFrame(b []byte, f *MessageFrame) (int, error) {
	var d Decoder
	return d.Decode(b, f)
}

// AppendFrame appends the UPER of f to b.
func AppendFrame(b []byte, f *MessageFrame) ([]byte, error) {
	var e uper.Encoder
	e.Reset(b[len(b):])
	f.EncodeUPER(&e)
	out, err := e.Bytes()
	if err != nil {
		return b, fmt.Errorf("csae53: %w", err)
	}
	return append(b, out...), nil
}

// AppendJSON appends f as one JSON object keyed by ASN.1 names.
func AppendJSON(b []byte, f *MessageFrame) []byte {
	return asn1text.AppendJSON(b, "MessageFrame", f)
}

// AppendXER appends f as XER, as asn1c prints it.
func AppendXER(b []byte, f *MessageFrame) []byte {
	return asn1text.AppendXER(b, "MessageFrame", f)
}

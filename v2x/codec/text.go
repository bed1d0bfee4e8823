package codec

import (
	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// AppendJSON appends the last frame DecodeFrame or Decode decoded as one
// JSON object keyed by ASN.1 names (nothing when there is none).
func (d *Decoder) AppendJSON(b []byte) []byte {
	if f := d.frame(); f != nil {
		return asn1text.AppendJSON(b, "MessageFrame", f)
	}
	return b
}

// AppendXER appends the last frame decoded as XER, as asn1c prints it.
func (d *Decoder) AppendXER(b []byte) []byte {
	if f := d.frame(); f != nil {
		return asn1text.AppendXER(b, "MessageFrame", f)
	}
	return b
}

// frame returns the last frame decoded, or nil.
func (d *Decoder) frame() asn1text.Value {
	switch d.last {
	case wire.EncodingCSAE53:
		return &d.csae.f
	case wire.EncodingJ2735:
		return &d.j.f
	}
	return nil
}

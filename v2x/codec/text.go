package codec

import (
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/j2735"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// AppendJSON appends the last frame DecodeFrame or Decode decoded as one
// JSON object keyed by ASN.1 names (nothing when there is none).
func (d *Decoder) AppendJSON(b []byte) []byte {
	switch d.last {
	case wire.EncodingCSAE53:
		return csae53.AppendJSON(b, &d.csae.f)
	case wire.EncodingJ2735:
		return j2735.AppendJSON(b, &d.j.f)
	}
	return b
}

// AppendXER appends the last frame decoded as XER, as asn1c prints it.
func (d *Decoder) AppendXER(b []byte) []byte {
	switch d.last {
	case wire.EncodingCSAE53:
		return csae53.AppendXER(b, &d.csae.f)
	case wire.EncodingJ2735:
		return j2735.AppendXER(b, &d.j.f)
	}
	return b
}

package main

import (
	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
	"github.com/v2x-edge/v2x-edge/v2x/j2735"
)

// j2735Decoder decodes J2735 MessageFrames: messageId and the value.
type j2735Decoder struct {
	f j2735.MessageFrame
}

func (j *j2735Decoder) decode(b []byte) (int, error) { return j2735.DecodeFrame(b, &j.f) }

func (j *j2735Decoder) write(w asn1text.Writer) {
	w.Begin("MessageFrame", asn1text.Sequence)
	w.Int("messageId", int64(j.f.MessageID))
	w.Octets("value", j.f.Value)
	w.End()
}

func (j *j2735Decoder) appendJSON(b []byte) []byte {
	var w asn1text.JSON
	w.Reset(b)
	j.write(&w)
	return w.Bytes()
}

func (j *j2735Decoder) appendXER(b []byte) []byte {
	var w asn1text.XER
	w.Reset(b)
	j.write(&w)
	return append(w.Bytes(), '\n')
}

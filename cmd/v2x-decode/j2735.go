package main

import (
	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
	"github.com/v2x-edge/v2x-edge/v2x/j2735"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// j2735Decoder decodes J2735 MessageFrames: messageId and the value,
// decoded for BSM, SPAT and MAP, else printed as its octets.
type j2735Decoder struct {
	f    j2735.MessageFrame
	bsm  j2735.BSM
	spat j2735.SPAT
	mp   j2735.MapData
	d    uper.Decoder
	kind int // message id decoded into the fields above, or 0
}

func (j *j2735Decoder) decode(b []byte) (int, error) {
	n, err := j2735.DecodeFrame(b, &j.f)
	if err != nil {
		return 0, err
	}
	j.kind = 0
	switch j.f.MessageID {
	case j2735.IDBSM:
		if err := j2735.DecodeBSM(j.f.Value, &j.bsm); err != nil {
			return 0, err
		}
	case j2735.IDSPaT, j2735.IDMap:
		j.d.Reset(j.f.Value)
		if j.f.MessageID == j2735.IDSPaT {
			j.spat.DecodeUPER(&j.d)
		} else {
			j.mp.DecodeUPER(&j.d)
		}
		if err := j.d.Err(); err != nil {
			return 0, err
		}
	default:
		return n, nil
	}
	j.kind = j.f.MessageID
	return n, nil
}

func (j *j2735Decoder) write(w asn1text.Writer) {
	w.Begin("MessageFrame", asn1text.Sequence)
	w.Int("messageId", int64(j.f.MessageID))
	switch j.kind {
	case j2735.IDBSM:
		w.Begin("value", asn1text.Choice)
		j.bsm.WriteText(w, "BasicSafetyMessage")
		w.End()
	case j2735.IDSPaT:
		w.Begin("value", asn1text.Choice)
		j.spat.WriteText(w, "SPAT")
		w.End()
	case j2735.IDMap:
		w.Begin("value", asn1text.Choice)
		j.mp.WriteText(w, "MapData")
		w.End()
	default:
		w.Octets("value", j.f.Value)
	}
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

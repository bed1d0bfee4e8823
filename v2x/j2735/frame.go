package j2735

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// Message ids (DSRCmsgID) this package knows by name.
const (
	IDMap  = 18
	IDSPaT = 19
	IDBSM  = 20
	IDSRM  = 29
	IDSSM  = 30
	IDTIM  = 31
	IDPSM  = 32
	IDSDSM = 41
)

// MessageFrame is a decoded MessageFrame: its message id and the UPER of
// its value (an open type).
type MessageFrame struct {
	MessageID int
	Value     []byte
	ValueBit  int // where Value starts in the frame, in bits (for error offsets)
}

// Decoder decodes MessageFrames and the values this package knows into
// structs the caller reuses, so that steady-state decoding allocates
// nothing. The zero value is ready; one goroutine uses it.
type Decoder struct {
	d uper.Decoder
}

// Decode decodes the MessageFrame at the start of b into f, reusing
// f.Value, and returns the number of bytes it used (frames are padded to
// a whole byte, so the next frame starts there). A value of length 0 is
// an error: it is what zero padding reads as.
func (dec *Decoder) Decode(b []byte, f *MessageFrame) (int, error) {
	d := &dec.d
	d.Reset(b)
	ext, _ := d.Preamble("MessageFrame", true, 0)
	f.MessageID = int(d.Constrained("MessageFrame.messageId", 0, 32767))
	f.Value = d.OpenType("MessageFrame.value", f.Value[:0])
	f.ValueBit = d.Pos() - 8*len(f.Value)
	if ext {
		d.SkipExtensions("MessageFrame.<extensions>")
	}
	if err := d.Err(); err != nil {
		return 0, fmt.Errorf("j2735: %w", err)
	}
	return d.BytesUsed(), nil
}

// DecodeSPAT decodes a SPAT value (a MessageFrame's Value with id
// IDSPaT) into s, reusing its slices.
func (dec *Decoder) DecodeSPAT(b []byte, s *SPAT) error { return dec.value(b, s, "spat") }

// DecodeMapData decodes a MapData value (a MessageFrame's Value with id
// IDMap) into m, reusing its slices.
func (dec *Decoder) DecodeMapData(b []byte, m *MapData) error { return dec.value(b, m, "map") }

// value decodes a generated message type from b.
func (dec *Decoder) value(b []byte, v interface{ DecodeUPER(*uper.Decoder) }, what string) error {
	dec.d.Reset(b)
	v.DecodeUPER(&dec.d)
	if err := dec.d.Err(); err != nil {
		return fmt.Errorf("j2735 %s: %w", what, err)
	}
	return nil
}

// DecodeSDSM decodes a SensorDataSharingMessage value (a MessageFrame's
// Value with id IDSDSM) into m, reusing its slices.
func (dec *Decoder) DecodeSDSM(b []byte, m *SensorDataSharingMessage) error {
	return dec.value(b, m, "sdsm")
}

// DecodeFrame decodes one MessageFrame from b into f; see Decoder.Decode.
func DecodeFrame(b []byte, f *MessageFrame) (int, error) {
	var d Decoder
	return d.Decode(b, f)
}

// DecodeSPAT decodes a SPAT value into s; see Decoder.DecodeSPAT.
func DecodeSPAT(b []byte, s *SPAT) error {
	var d Decoder
	return d.DecodeSPAT(b, s)
}

// DecodeMapData decodes a MapData value into m; see Decoder.DecodeMapData.
func DecodeMapData(b []byte, m *MapData) error {
	var d Decoder
	return d.DecodeMapData(b, m)
}

// DecodeSDSM decodes an SDSM value into m; see Decoder.DecodeSDSM.
func DecodeSDSM(b []byte, m *SensorDataSharingMessage) error {
	var d Decoder
	return d.DecodeSDSM(b, m)
}

// AppendFrame appends the UPER of a MessageFrame.
func AppendFrame(b []byte, f *MessageFrame) ([]byte, error) {
	var e uper.Encoder
	e.Reset(b[len(b):])
	e.Preamble(true, false, 0, 0)
	e.Constrained("messageId", int64(f.MessageID), 0, 32767)
	e.OpenType("value", f.Value)
	out, err := e.Bytes()
	return append(b, out...), err
}

// AppendSPAT appends the UPER of a SPAT, the value of a MessageFrame with
// id IDSPaT.
func AppendSPAT(b []byte, s *SPAT) ([]byte, error) {
	var e uper.Encoder
	e.Reset(b[len(b):])
	s.EncodeUPER(&e)
	out, err := e.Bytes()
	if err != nil {
		return b, fmt.Errorf("j2735 spat: %w", err)
	}
	return append(b, out...), nil
}

// AppendMapData appends the UPER of a MapData, the value of a
// MessageFrame with id IDMap.
func AppendMapData(b []byte, m *MapData) ([]byte, error) {
	var e uper.Encoder
	e.Reset(b[len(b):])
	m.EncodeUPER(&e)
	out, err := e.Bytes()
	if err != nil {
		return b, fmt.Errorf("j2735 map: %w", err)
	}
	return append(b, out...), nil
}

// AppendSDSM appends the UPER of a SensorDataSharingMessage, the value of
// a MessageFrame with id IDSDSM.
func AppendSDSM(b []byte, m *SensorDataSharingMessage) ([]byte, error) {
	var e uper.Encoder
	e.Reset(b[len(b):])
	m.EncodeUPER(&e)
	out, err := e.Bytes()
	if err != nil {
		return b, fmt.Errorf("j2735 sdsm: %w", err)
	}
	return append(b, out...), nil
}

// WriteText writes f under name: its messageId and its value, decoded
// for the messages this package knows (BSM, SPAT, MapData, SDSM), else (also
// when the value does not decode) as its octets.
func (f *MessageFrame) WriteText(w asn1text.Writer, name string) {
	w.Begin(name, asn1text.Sequence)
	w.Int("messageId", int64(f.MessageID))
	var d Decoder
	var v interface {
		WriteText(w asn1text.Writer, name string)
	}
	var vname string
	var err error
	switch f.MessageID {
	case IDBSM:
		m := new(BSM)
		v, vname, err = m, "BasicSafetyMessage", d.DecodeBSM(f.Value, m)
	case IDSPaT:
		s := new(SPAT)
		v, vname, err = s, "SPAT", d.DecodeSPAT(f.Value, s)
	case IDMap:
		m := new(MapData)
		v, vname, err = m, "MapData", d.DecodeMapData(f.Value, m)
	case IDSDSM:
		m := new(SensorDataSharingMessage)
		v, vname, err = m, "SensorDataSharingMessage", d.DecodeSDSM(f.Value, m)
	}
	if v != nil && err == nil {
		w.Begin("value", asn1text.Choice)
		v.WriteText(w, vname)
		w.End()
	} else {
		w.Octets("value", f.Value)
	}
	w.End()
}

// AppendJSON appends f as one JSON object keyed by ASN.1 names.
func AppendJSON(b []byte, f *MessageFrame) []byte {
	return asn1text.AppendJSON(b, "MessageFrame", f)
}

// AppendXER appends f as XER, as asn1c prints it.
func AppendXER(b []byte, f *MessageFrame) []byte {
	return asn1text.AppendXER(b, "MessageFrame", f)
}

package j2735

import (
	"fmt"

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
)

// MessageFrame is a decoded MessageFrame: its message id and the UPER of
// its value (an open type).
type MessageFrame struct {
	MessageID int
	Value     []byte
}

// DecodeFrame decodes the MessageFrame at the start of b into f (reusing
// f.Value) and returns the number of bytes it used.
func DecodeFrame(b []byte, f *MessageFrame) (int, error) {
	var d uper.Decoder
	d.Reset(b)
	ext, _ := d.Preamble("MessageFrame", true, 0)
	f.MessageID = int(d.Constrained("MessageFrame.messageId", 0, 32767))
	f.Value = d.OpenType("MessageFrame.value", f.Value[:0])
	if ext {
		d.SkipExtensions("MessageFrame.<extensions>")
	}
	if err := d.Err(); err != nil {
		return 0, fmt.Errorf("j2735: %w", err)
	}
	return d.BytesUsed(), nil
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

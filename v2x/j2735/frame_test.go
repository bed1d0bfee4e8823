package j2735

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// TestDecoderSPATAndMapData decodes the ODE SPaT and MAP samples with one
// Decoder, each value with the counterpart of its Append function, and
// re-encodes them byte for byte.
func TestDecoderSPATAndMapData(t *testing.T) {
	var d Decoder
	var f MessageFrame
	spat, _ := odeSample(t, "decoder-output-spat.xml")
	if _, err := d.Decode(spat, &f); err != nil || f.MessageID != IDSPaT {
		t.Fatalf("SPaT frame: id %d, %v", f.MessageID, err)
	}
	if f.ValueBit != 24 || !bytes.Equal(spat[f.ValueBit/8:f.ValueBit/8+len(f.Value)], f.Value) {
		t.Errorf("ValueBit %d does not point at the value", f.ValueBit)
	}
	var s SPAT
	if err := d.DecodeSPAT(f.Value, &s); err != nil {
		t.Fatal(err)
	}
	if again, err := AppendSPAT(nil, &s); err != nil || !bytes.Equal(again, f.Value) {
		t.Errorf("SPAT re-encodes to %x (%v), want %x", again, err, f.Value)
	}
	if err := d.DecodeSPAT(f.Value[:len(f.Value)/2], &s); !errors.Is(err, uper.ErrTruncated) {
		t.Errorf("half the SPAT value: %v, want ErrTruncated", err)
	}
	mp, _ := odeSample(t, "decoder-output-map.xml")
	if _, err := d.Decode(mp, &f); err != nil || f.MessageID != IDMap {
		t.Fatalf("MAP frame: id %d, %v", f.MessageID, err)
	}
	var m MapData
	if err := d.DecodeMapData(f.Value, &m); err != nil {
		t.Fatal(err)
	}
	if again, err := AppendMapData(nil, &m); err != nil || !bytes.Equal(again, f.Value) {
		t.Errorf("MapData re-encodes differently (%v)", err)
	}
}

// TestDecodeZeroPadding: zero bytes read as a MessageFrame give a value
// of length 0, which is an error, not a frame with messageId 0.
func TestDecodeZeroPadding(t *testing.T) {
	var f MessageFrame
	n, err := DecodeFrame(make([]byte, 426), &f)
	if !errors.Is(err, uper.ErrEmptyOpen) {
		t.Fatalf("426 zero bytes: %d bytes used, messageId %d, err %v; want ErrEmptyOpen", n, f.MessageID, err)
	}
}

func TestAppendJSONDecodesKnownValues(t *testing.T) {
	spat, _ := odeSample(t, "decoder-output-spat.xml")
	var f MessageFrame
	if _, err := DecodeFrame(spat, &f); err != nil {
		t.Fatal(err)
	}
	if got := AppendJSON(nil, &f); !bytes.HasPrefix(got, []byte(`{"messageId":19,"value":{"SPAT":{"intersections":[{"id":{"id":12111},`)) {
		t.Errorf("JSON %.120s", got)
	}
	f.MessageID = IDTIM
	want := `{"messageId":31,"value":"` + hex.EncodeToString(f.Value) + `"}`
	if got := string(AppendJSON(nil, &f)); got != want {
		t.Errorf("an unknown message's value is not its octets: %.60s", got)
	}
}

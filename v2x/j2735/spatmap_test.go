package j2735

import (
	"bytes"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/internal/xercmp"
	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// odeSample returns the UPER MessageFrame of an ODE decoder output and
// the XER of its value's message (the element inside <value>).
func odeSample(t testing.TB, file string) (frame []byte, msgXER []byte) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<asn1>\s*([0-9A-Fa-f\s]+?)\s*</asn1>`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no <asn1> hex", file)
	}
	frame, err = hex.DecodeString(strings.Join(strings.Fields(string(m[1])), ""))
	if err != nil {
		t.Fatal(err)
	}
	v := regexp.MustCompile(`(?s)<MessageFrame>.*?<value>(.*)</value>\s*</MessageFrame>`).FindSubmatch(b)
	if v == nil {
		t.Fatalf("%s: no MessageFrame value in the payload", file)
	}
	// One LaneAttributes-Vehicle of the MAP sample reads
	// "00002024-12-10T17:32:22.099782646Z 0000": a timestamp pasted into
	// the fixture. Its 8 bits are all zero in the UPER (and in the other
	// 27 lanes); restore them so that the rest is compared.
	return frame, bytes.ReplaceAll(v[1], []byte("00002024-12-10T17:32:22.099782646Z 0000"), []byte("00000000"))
}

type message interface {
	DecodeUPER(*uper.Decoder)
	EncodeUPER(*uper.Encoder)
	WriteText(asn1text.Writer, string)
}

// TestSPATAndMAPSamples decodes the ODE SPaT and MAP samples into the
// generated types, compares every value with asn1c's XER and re-encodes
// byte for byte.
func TestSPATAndMAPSamples(t *testing.T) {
	for _, tc := range []struct {
		file, name string
		id         int
		msg        message
	}{
		{"decoder-output-spat.xml", "SPAT", IDSPaT, new(SPAT)},
		{"decoder-output-map.xml", "MapData", IDMap, new(MapData)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, ref := odeSample(t, tc.file)
			var f MessageFrame
			n, err := DecodeFrame(raw, &f)
			// The ODE's hex carries a zero octet of padding after the frame.
			if err != nil || len(bytes.Trim(raw[n:], "\x00")) != 0 || f.MessageID != tc.id {
				t.Fatalf("frame: id %d, %d of %d bytes, %v", f.MessageID, n, len(raw), err)
			}
			var d uper.Decoder
			d.Reset(f.Value)
			tc.msg.DecodeUPER(&d)
			if err := d.Err(); err != nil {
				t.Fatal(err)
			}
			if d.BytesUsed() != len(f.Value) {
				t.Errorf("%s used %d of %d bytes", tc.name, d.BytesUsed(), len(f.Value))
			}
			var x asn1text.XER
			x.Reset(nil)
			tc.msg.WriteText(&x, tc.name)
			if diff := xercmp.Diff(ref, x.Bytes()); diff != "" {
				t.Errorf("XER differs from asn1c's: %s", diff)
			}
			var e uper.Encoder
			tc.msg.EncodeUPER(&e)
			again, err := e.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, f.Value) {
				t.Errorf("re-encoding differs:\n got %x\nwant %x", again, f.Value)
			}
		})
	}
}

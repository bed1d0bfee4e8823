package j2735

import (
	"bytes"
	"os"
	"regexp"
	"testing"

	"github.com/v2x-edge/v2x-edge/internal/xercmp"
	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// TestBSMTextMatchesXER checks the XER of every sample BSM (core data and
// Part II, whose values are VehicleSafetyExtensions) against asn1c's.
func TestBSMTextMatchesXER(t *testing.T) {
	raw, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.uper")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.xer")
	if err != nil {
		t.Fatal(err)
	}
	core := regexp.MustCompile(`(?s)<BasicSafetyMessage>.*?</BasicSafetyMessage>`)
	want := core.FindAll(ref, -1)
	if len(want) != 128 {
		t.Fatalf("%d BasicSafetyMessages in the XER", len(want))
	}
	var f MessageFrame
	var m BSM
	for i, off := 0, 0; off < len(raw); i++ {
		n, err := DecodeFrame(raw[off:], &f)
		if err != nil {
			t.Fatal(err)
		}
		off += n
		if err := DecodeBSM(f.Value, &m); err != nil {
			t.Fatal(err)
		}
		for _, p := range m.PartII {
			var v VehicleSafetyExtensions
			if err := DecodeVehicleSafety(p.Value, &v); err != nil {
				t.Fatalf("BSM %d: %v", i, err)
			}
			var e uper.Encoder
			v.EncodeUPER(&e)
			if b, err := e.Bytes(); err != nil || !bytes.Equal(b, p.Value) {
				t.Fatalf("BSM %d: Part II re-encodes as %x (%v), want %x", i, b, err, p.Value)
			}
		}
		var x asn1text.XER
		x.Reset(nil)
		m.WriteText(&x, "BasicSafetyMessage")
		got := core.Find(x.Bytes())
		if d := xercmp.Diff(want[i], got); d != "" {
			t.Fatalf("BSM %d: %s", i, d)
		}
	}
}

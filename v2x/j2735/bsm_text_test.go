package j2735

import (
	"os"
	"regexp"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
)

// TestBSMTextMatchesXER checks the XER of every sample BSM's core data
// against asn1c's.
func TestBSMTextMatchesXER(t *testing.T) {
	raw, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.uper")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.xer")
	if err != nil {
		t.Fatal(err)
	}
	core := regexp.MustCompile(`(?s)<coreData>.*?</coreData>`)
	want := core.FindAll(ref, -1)
	if len(want) != 128 {
		t.Fatalf("%d coreData in the XER", len(want))
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
		var x asn1text.XER
		x.Reset(nil)
		m.WriteText(&x, "BasicSafetyMessage")
		got := core.Find(x.Bytes())
		if d := firstDiff(xerTokens(t, want[i]), xerTokens(t, got)); d != "" {
			t.Fatalf("BSM %d: %s", i, d)
		}
	}
}

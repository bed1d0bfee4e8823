package j2735

import (
	"bytes"
	"os"
	"testing"

	"github.com/v2x-edge/v2x-edge/internal/asn1gen"
	"github.com/v2x-edge/v2x-edge/internal/asn1spec"
)

// TestGeneratedUpToDate regenerates messages_gen.go in memory, as go
// generate does, and fails if the committed file differs.
func TestGeneratedUpToDate(t *testing.T) {
	var mods []*asn1spec.Module
	for _, f := range []string{"asn/spat-map.asn", "asn/bsm-partii.asn", "asn/sdsm.asn"} {
		m, err := asn1spec.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		mods = append(mods, m...)
	}
	spec, err := asn1spec.NewSpec(mods)
	if err != nil {
		t.Fatal(err)
	}
	got, err := asn1gen.Generate(spec, asn1gen.Options{Package: "j2735", Roots: []string{"SPAT", "MapData", "VehicleSafetyExtensions", "SensorDataSharingMessage"},
		Source: "asn/spat-map.asn asn/bsm-partii.asn asn/sdsm.asn", Command: "v2x-asn1gen -pkg j2735 -root SPAT,MapData,VehicleSafetyExtensions,SensorDataSharingMessage"})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("messages_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("messages_gen.go is stale: run go generate ./v2x/j2735")
	}
}

// TestOtherMessagesSkipSafely decodes the MessageFrames of the other ODE
// samples (TIM, SSM, SRM, PSM, SDSM): the frame decodes, its value is an
// opaque open type, and re-encoding gives the same bytes.
func TestOtherMessagesSkipSafely(t *testing.T) {
	for file, id := range map[string]int{"decoder-output-psm.xml": IDPSM, "decoder-output-srm.xml": IDSRM,
		"decoder-output-ssm.xml": IDSSM, "decoder-output-sdsm.xml": 41} {
		raw, _ := odeSample(t, file)
		var f MessageFrame
		n, err := DecodeFrame(raw, &f)
		if err != nil || f.MessageID != id || len(f.Value) == 0 {
			t.Errorf("%s: id %d (want %d), %d value bytes, %v", file, f.MessageID, id, len(f.Value), err)
			continue
		}
		again, err := AppendFrame(nil, &f)
		if err != nil || !bytes.Equal(again, raw[:n]) {
			t.Errorf("%s: re-encoding differs (%v)", file, err)
		}
	}
	tim, err := os.ReadFile("testdata/MessageFrame.TravelerInformation.uper")
	if err != nil {
		t.Fatal(err)
	}
	var f MessageFrame
	if n, err := DecodeFrame(tim, &f); err != nil || f.MessageID != IDTIM || n != len(tim) {
		t.Errorf("TIM: id %d, %d of %d bytes, %v", f.MessageID, n, len(tim), err)
	}
}

// FuzzDecodeFrame: any input either fails or decodes to a frame that
// re-encodes to the bytes it came from.
func FuzzDecodeFrame(f *testing.F) {
	for _, file := range []string{"decoder-output-spat.xml", "decoder-output-map.xml", "decoder-output-psm.xml",
		"decoder-output-srm.xml", "decoder-output-ssm.xml", "decoder-output-sdsm.xml"} {
		raw, _ := odeSample(f, file)
		f.Add(raw)
	}
	if tim, err := os.ReadFile("testdata/MessageFrame.TravelerInformation.uper"); err == nil {
		f.Add(tim)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr MessageFrame
		n, err := DecodeFrame(b, &fr)
		if err != nil {
			return
		}
		again, err := AppendFrame(nil, &fr)
		if err != nil {
			t.Fatalf("decoded frame does not encode: %v", err)
		}
		var fr2 MessageFrame
		if _, err := DecodeFrame(again, &fr2); err != nil || fr2.MessageID != fr.MessageID || !bytes.Equal(fr2.Value, fr.Value) {
			t.Fatalf("round trip changed the frame (%d bytes in): %v", n, err)
		}
	})
}

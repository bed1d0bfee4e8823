package j2735

import (
	"bytes"
	"os"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// fuzzMessage checks that input either fails with an error or decodes to
// a value that re-encodes and decodes to the same text.
func fuzzMessage(t *testing.T, b []byte, fresh func() message) {
	m := fresh()
	var d uper.Decoder
	d.Reset(b)
	m.DecodeUPER(&d)
	if d.Err() != nil {
		return
	}
	var e uper.Encoder
	m.EncodeUPER(&e)
	enc, err := e.Bytes()
	if err != nil {
		t.Fatalf("decoded value does not encode: %v", err)
	}
	again := fresh()
	d.Reset(enc)
	again.DecodeUPER(&d)
	if d.Err() != nil {
		t.Fatalf("re-encoded value does not decode: %v", d.Err())
	}
	var j1, j2 asn1text.JSON
	j1.Reset(nil)
	j2.Reset(nil)
	m.WriteText(&j1, "")
	again.WriteText(&j2, "")
	if !bytes.Equal(j1.Bytes(), j2.Bytes()) {
		t.Fatalf("round trip changed the value:\n%s\n%s", j1.Bytes(), j2.Bytes())
	}
}

func odeValue(f *testing.F, file string) []byte {
	raw, _ := odeSample(f, file)
	var fr MessageFrame
	if _, err := DecodeFrame(raw, &fr); err != nil {
		f.Fatal(err)
	}
	return fr.Value
}

func FuzzDecodeSPAT(f *testing.F) {
	f.Add(odeValue(f, "decoder-output-spat.xml"))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzMessage(t, b, func() message { return new(SPAT) }) })
}

func FuzzDecodeMapData(f *testing.F) {
	f.Add(odeValue(f, "decoder-output-map.xml"))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzMessage(t, b, func() message { return new(MapData) }) })
}

func FuzzDecodeVehicleSafety(f *testing.F) {
	raw, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.uper")
	if err != nil {
		f.Fatal(err)
	}
	var fr MessageFrame
	var m BSM
	for off := 0; off < len(raw); {
		n, err := DecodeFrame(raw[off:], &fr)
		if err != nil {
			f.Fatal(err)
		}
		off += n
		if err := DecodeBSM(fr.Value, &m); err != nil {
			f.Fatal(err)
		}
		for _, p := range m.PartII {
			f.Add(append([]byte(nil), p.Value...))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzMessage(t, b, func() message { return new(VehicleSafetyExtensions) })
	})
}

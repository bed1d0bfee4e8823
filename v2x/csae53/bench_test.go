package csae53

import (
	"os"
	"testing"
)

// samplesByType is one sample per message type.
var samplesByType = []struct{ name, file string }{
	{"BSM", "testdata/samples/BSM_1.uper"},
	{"MAP", "testdata/samples/MAP.uper"},
	{"SPAT", "testdata/samples/SPAT.uper"},
	{"RSI", "testdata/samples/RSI.uper"},
	{"RSM", "testdata/samples/RSM.uper"},
}

func TestDecodeAllocatesNothing(t *testing.T) {
	for _, s := range samplesByType {
		b, err := os.ReadFile(s.file)
		if err != nil {
			t.Fatal(err)
		}
		var d Decoder
		var f MessageFrame
		if _, err := d.Decode(b, &f); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { d.Decode(b, &f) }); n != 0 {
			t.Errorf("%s: %.1f allocations per decode into a reused frame", s.name, n)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, s := range samplesByType {
		raw, err := os.ReadFile(s.file)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(s.name, func(b *testing.B) {
			var d Decoder
			var f MessageFrame
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := d.Decode(raw, &f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, s := range samplesByType {
		raw, err := os.ReadFile(s.file)
		if err != nil {
			b.Fatal(err)
		}
		var f MessageFrame
		if _, err := DecodeFrame(raw, &f); err != nil {
			b.Fatal(err)
		}
		b.Run(s.name, func(b *testing.B) {
			buf := make([]byte, 0, 2*len(raw))
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				var err error
				if buf, err = AppendFrame(buf[:0], &f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

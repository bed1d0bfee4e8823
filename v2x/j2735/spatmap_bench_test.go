package j2735

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

func spatMapValues(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for name, file := range map[string]string{"SPAT": "decoder-output-spat.xml", "MAP": "decoder-output-map.xml"} {
		raw, _ := odeSample(t, file)
		var f MessageFrame
		if _, err := DecodeFrame(raw, &f); err != nil {
			t.Fatal(err)
		}
		out[name] = f.Value
	}
	return out
}

func TestSPATMAPDecodeAllocatesNothing(t *testing.T) {
	v := spatMapValues(t)
	var d uper.Decoder
	var s SPAT
	var m MapData
	for name, dec := range map[string]func(){
		"SPAT": func() { d.Reset(v["SPAT"]); s.DecodeUPER(&d) },
		"MAP":  func() { d.Reset(v["MAP"]); m.DecodeUPER(&d) },
	} {
		dec()
		if d.Err() != nil {
			t.Fatal(d.Err())
		}
		if n := testing.AllocsPerRun(50, dec); n != 0 {
			t.Errorf("%s: %.0f allocations per decode into a reused value", name, n)
		}
	}
}

func BenchmarkDecodeSPATMAP(b *testing.B) {
	v := spatMapValues(b)
	b.Run("SPAT", func(b *testing.B) {
		var d uper.Decoder
		var s SPAT
		b.ReportAllocs()
		b.SetBytes(int64(len(v["SPAT"])))
		for b.Loop() {
			d.Reset(v["SPAT"])
			s.DecodeUPER(&d)
		}
	})
	b.Run("MAP", func(b *testing.B) {
		var d uper.Decoder
		var m MapData
		b.ReportAllocs()
		b.SetBytes(int64(len(v["MAP"])))
		for b.Loop() {
			d.Reset(v["MAP"])
			m.DecodeUPER(&d)
		}
	})
}

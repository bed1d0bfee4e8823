package j2735

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// sdsmFrameValue is the SDSM of jpo-asn-pojos' sdsm.bin (four objects).
func sdsmFrameValue(t testing.TB) []byte {
	var f MessageFrame
	if _, err := DecodeFrame(readTestdata(t, "sdsm/sdsm.bin"), &f); err != nil {
		t.Fatal(err)
	}
	return f.Value
}

func TestSDSMDecodeAllocatesNothing(t *testing.T) {
	v := sdsmFrameValue(t)
	var d Decoder
	var m SensorDataSharingMessage
	if err := d.DecodeSDSM(v, &m); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(50, func() { _ = d.DecodeSDSM(v, &m) }); n != 0 {
		t.Errorf("%.0f allocations per decode into a reused value", n)
	}
}

// BenchmarkSDSM: decoding the four-object sample into a reused value, and
// filling and encoding an SDSM of 200 fused objects (the node's output).
func BenchmarkSDSM(b *testing.B) {
	b.Run("decode/sample", func(b *testing.B) {
		v := sdsmFrameValue(b)
		var d Decoder
		var m SensorDataSharingMessage
		b.ReportAllocs()
		b.SetBytes(int64(len(v)))
		for b.Loop() {
			if err := d.DecodeSDSM(v, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/objects=200", func(b *testing.B) {
		in := v2x.RSM{RSUID: 1, Participants: randomObjects(rand.New(rand.NewPCG(1, 1)), 22.5, 114, 200, 150)}
		var m SensorDataSharingMessage
		var buf []byte
		at := time.Unix(1_800_000_000, 0)
		b.ReportAllocs()
		for b.Loop() {
			if err := SDSMFromModel(&in, 22.5, 114, 1, at, &m); err != nil {
				b.Fatal(err)
			}
			var err error
			if buf, err = AppendSDSM(buf[:0], &m); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
}

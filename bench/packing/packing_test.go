package packing

import (
	"fmt"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// BenchmarkCompression compares the Update compressions on held-out
// states, by bytes (bytes/update, and ratio to the uncompressed full State
// frame a raw subscriber gets) and by CPU (ns/op compresses one body).
//
//	go test -run '^$' -bench Compression -benchmem ./bench/packing/
func BenchmarkCompression(b *testing.B) {
	cfg := evalConfig()
	states, err := States(cfg, 60e9, 10e9, 100e6)
	if err != nil {
		b.Fatal(err)
	}
	keys, deltas := Bodies(states, 10)
	var rawState int
	for i := range states {
		rawState += wire.HeaderLen + len(wire.AppendState(nil, &states[i]))
	}
	rawPer := float64(rawState) / float64(len(states))
	plain, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false), zstd.WithZeroFrames(true))
	if err != nil {
		b.Fatal(err)
	}
	codecs := []struct {
		name string
		fn   func(dst, src []byte) []byte
	}{
		{"none", func(d, s []byte) []byte { d, _ = wire.AppendCompressed(d, s, wire.CompressNone); return d }},
		{"s2", func(d, s []byte) []byte { d, _ = wire.AppendCompressed(d, s, wire.CompressS2); return d }},
		{"zstd-nodict", func(d, s []byte) []byte { return plain.EncodeAll(s, d) }},
		{"zstd-dict", func(d, s []byte) []byte { d, _ = wire.AppendCompressed(d, s, wire.CompressZstd); return d }},
	}
	for _, set := range []struct {
		name   string
		bodies [][]byte
	}{{"keyframe", keys}, {"delta", deltas}} {
		for _, c := range codecs {
			b.Run(fmt.Sprintf("body=%s/codec=%s", set.name, c.name), func(b *testing.B) {
				var total int
				for _, body := range set.bodies {
					total += len(c.fn(nil, body))
				}
				per := float64(total)/float64(len(set.bodies)) + wire.HeaderLen + wire.UpdateHeadLen
				b.ReportAllocs()
				dst := make([]byte, 0, 64<<10)
				for i := 0; b.Loop(); i++ {
					dst = c.fn(dst[:0], set.bodies[i%len(set.bodies)])
				}
				b.ReportMetric(per, "bytes/update")
				b.ReportMetric(rawPer/per, "x-smaller")
			})
		}
	}
}

// BenchmarkDecompression is the subscriber's side of BenchmarkCompression:
// decompress and apply one delta body.
//
//	go test -run '^$' -bench Decompression -benchmem ./bench/packing/
func BenchmarkDecompression(b *testing.B) {
	states, err := States(evalConfig(), 60e9, 10e9, 100e6)
	if err != nil {
		b.Fatal(err)
	}
	var prev, cur wire.PackedState
	Pack(&states[0], &prev)
	Pack(&states[1], &cur)
	body := wire.AppendDelta(nil, &prev, &cur)
	for _, c := range []wire.Compression{wire.CompressNone, wire.CompressS2, wire.CompressZstd} {
		z, err := wire.AppendCompressed(nil, body, c)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("codec="+c.String(), func(b *testing.B) {
			b.ReportAllocs()
			var raw []byte
			var out wire.PackedState
			var st wire.State
			for b.Loop() {
				if raw, err = wire.AppendDecompressed(raw[:0], z, c, len(body)); err != nil {
					b.Fatal(err)
				}
				if err := wire.ApplyDelta(raw, &prev, &out); err != nil {
					b.Fatal(err)
				}
				out.Unpack(&st)
			}
		})
	}
}

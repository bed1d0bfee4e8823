package uper

import (
	"math/rand/v2"
	"testing"
)

// refBits reads n bits at bit offset pos one bit at a time.
func refBits(b []byte, pos, n int) uint64 {
	var v uint64
	for k := 0; k < n; k++ {
		bit := b[(pos+k)/8] >> (7 - (pos+k)%8) & 1
		v = v<<1 | uint64(bit)
	}
	return v
}

// TestBitsAgainstReference checks the word-at-a-time reader against a
// bit-at-a-time one for every width and start offset, near the end of the
// buffer too (where the slow path runs).
func TestBitsAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{1, 7, 8, 9, 16, 17} {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		for pos := 0; pos <= size*8; pos++ {
			for n := 0; n <= 64; n++ {
				var d Decoder
				d.Reset(b)
				d.pos = pos
				got := d.Bits("x", n)
				if pos+n > size*8 {
					if d.Err() == nil {
						t.Fatalf("size %d pos %d n %d: read past the end", size, pos, n)
					}
					continue
				}
				if want := refBits(b, pos, n); got != want || d.Err() != nil || d.Pos() != pos+n {
					t.Fatalf("size %d pos %d n %d: %x (pos %d, %v), want %x", size, pos, n, got, d.Pos(), d.Err(), want)
				}
			}
		}
	}
}

func BenchmarkBits(b *testing.B) {
	buf := make([]byte, 1024)
	var d Decoder
	b.ReportAllocs()
	for b.Loop() {
		d.Reset(buf)
		for range 200 {
			d.Bits("x", 13)
		}
	}
}

package edge

import (
	"math/rand/v2"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestCompressGate: a delta that compresses by less than 1/16 sends the
// next 63 uncompressed, the 64th is a probe; one that compresses keeps
// compression on; a nil gate always compresses.
func TestCompressGate(t *testing.T) {
	for _, tc := range []struct {
		name            string
		raw, compressed int
		want            int // of the next 70 deltas, how many are compressed
	}{
		{"incompressible", 500, 511, 70 - compressSkip},
		{"just short of the gain", 1600, 1501, 70 - compressSkip},
		{"just enough gain", 1600, 1500, 70},
		{"compressible", 500, 260, 70},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g compressGate
			g.observe(tc.raw, tc.compressed)
			got := 0
			for range 70 {
				if g.try() {
					got++
				}
			}
			if got != tc.want {
				t.Errorf("%d of 70 deltas compressed, want %d", got, tc.want)
			}
		})
	}
	var none *compressGate
	none.observe(500, 600)
	if !none.try() {
		t.Error("nil gate: try says no")
	}
}

// TestEncodedSkipsIncompressibleDeltas: on snapshots whose objects move at
// random, the first delta is compressed (a probe) and comes out no smaller;
// the next goes as CompressNone and reassembles, applied to its base, into
// the snapshot's view, and is shared with the next subscriber that asks
// for the same base and compression. Keyframes stay compressed.
func TestEncodedSkipsIncompressibleDeltas(t *testing.T) {
	h := newHub(0, newMetrics().bc.hub)
	rng := rand.New(rand.NewPCG(7, 7))
	frame := geo.NewFrame(refLat, refLon, 0)
	snap := func(seq uint64) *snapshot {
		s := h.newSnapshot()
		s.Seq, s.TimeNS, s.IngestNS, s.Fresh = seq, int64(seq)*5e7, int64(seq)*5e7, true
		s.HasFrame, s.Frame = true, frame
		s.Objects = s.Objects[:0]
		for i := range 40 {
			e, n := rng.Float64()*200-100, rng.Float64()*200-100
			lat, lon, _ := frame.FromENU(e, n, 0)
			s.Objects = append(s.Objects, wire.StateObject{ID: uint32(i + 1), Class: v2x.ClassCar, Lat: lat, Lon: lon,
				E: float32(e), N: float32(n), Speed: float32(rng.Float64() * 20), Heading: float32(rng.Float64() * 360),
				Length: 4.5, Width: 1.8, CovEE: float32(rng.Float64()), CovNN: float32(rng.Float64())})
		}
		return s
	}
	f := &wire.Subscribe{Flags: wire.SubPacked}
	decode := func(p []byte) (wire.Update, []byte) {
		t.Helper()
		var u wire.Update
		body, err := wire.DecodeUpdate(p, &u)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := wire.AppendDecompressed(nil, body, u.Compression, int(u.RawLen))
		if err != nil {
			t.Fatal(err)
		}
		return u, raw
	}
	s1, s2, s3 := snap(1), snap(2), snap(3)
	key, _, _, err := s1.encoded(f, nil, wire.CompressZstd)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := decode(key); u.Compression != wire.CompressZstd {
		t.Errorf("keyframe sent with compression %d, want zstd", u.Compression)
	}
	probe, _, _, err := s2.encoded(f, s1, wire.CompressZstd)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := decode(probe); u.Compression != wire.CompressZstd {
		t.Errorf("first delta (the probe) sent with compression %d, want zstd", u.Compression)
	}
	if h.gate.skip.Load() != compressSkip {
		t.Fatalf("random motion compressed: gate skips %d deltas, want %d", h.gate.skip.Load(), compressSkip)
	}
	p, _, fresh, err := s3.encoded(f, s2, wire.CompressZstd)
	if err != nil || !fresh {
		t.Fatal(err, fresh)
	}
	u, raw := decode(p)
	if u.Compression != wire.CompressNone {
		t.Fatalf("delta after an incompressible probe sent with compression %d, want none", u.Compression)
	}
	var got wire.PackedState
	s2.cache.mu.Lock()
	base := &s2.viewLocked(f).packed
	s2.cache.mu.Unlock()
	if err := wire.ApplyDelta(raw, base, &got); err != nil {
		t.Fatal(err)
	}
	s3.cache.mu.Lock()
	want := s3.viewLocked(f).packed
	s3.cache.mu.Unlock()
	if len(got.Objects) != len(want.Objects) {
		t.Fatalf("reassembled %d objects, want %d", len(got.Objects), len(want.Objects))
	}
	for i := range want.Objects {
		if got.Objects[i] != want.Objects[i] {
			t.Fatalf("object %d: reassembled %+v, want %+v", i, got.Objects[i], want.Objects[i])
		}
	}
	if again, _, fresh, _ := s3.encoded(f, s2, wire.CompressZstd); fresh || &again[0] != &p[0] {
		t.Error("the uncompressed delta was not shared with the next subscriber asking for zstd")
	}
	if h.gate.skip.Load() != compressSkip-1 {
		t.Errorf("gate skips %d more deltas, want %d", h.gate.skip.Load(), compressSkip-1)
	}
	// One delta went uncompressed (the shared one is one encoding).
	if n := testutil.ToFloat64(h.m.uncompressed); n != 1 {
		t.Errorf("v2x_broadcast_uncompressed_deltas_total %v, want 1", n)
	}
}

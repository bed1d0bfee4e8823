package wire

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

func randomPacked(r *rand.Rand, n int, idStart uint32) PackedState {
	p := PackedState{IngestNS: r.Int64(), Intersection: r.Uint32(), Flags: 1}
	id := idStart
	for range n {
		id += 1 + uint32(r.IntN(3))
		var o StateObject
		o.ID = id
		o.Class = v2x.Class(r.IntN(8))
		o.Sources, o.Lane, o.Approach = uint8(r.IntN(6)), uint8(r.IntN(40)), uint8(r.IntN(5))
		o.Lat, o.Lon = 22.5+r.Float64()*0.01, 114.05+r.Float64()*0.01
		o.E, o.N = float32(r.Float64()*300-150), float32(r.Float64()*300-150)
		o.Speed, o.Heading = float32(r.Float64()*20), float32(r.Float64()*360)
		o.Length, o.Width, o.AgeMS = 4.5, 1.8, uint32(r.IntN(200))
		o.CovEE, o.CovEN, o.CovNN = float32(r.Float64()), float32(r.Float64()-0.5), float32(r.Float64())
		var q PackedObject
		q.Pack(&o)
		p.Objects = append(p.Objects, q)
	}
	for g := range r.IntN(8) {
		p.Signals = append(p.Signals, SignalState{Phase: uint8(g + 1), State: v2x.LightGreen, MinEndMS: 100, LikelyEndMS: 200, MaxEndMS: v2x.TimeUnknown})
	}
	return p
}

// moved is p a moment later: most objects moved a little, one left, two
// arrived.
func moved(r *rand.Rand, p PackedState) PackedState {
	q := PackedState{IngestNS: p.IngestNS + 1e8, Intersection: p.Intersection, Flags: p.Flags, Signals: p.Signals}
	for i, o := range p.Objects {
		if i == 3 {
			continue
		}
		if r.IntN(4) > 0 {
			o.F[PFLat] += int64(r.IntN(200) - 100)
			o.F[PFE] += int64(r.IntN(100) - 50)
			o.F[PFAge] = int64(r.IntN(100))
		}
		q.Objects = append(q.Objects, o)
	}
	last := q.Objects[len(q.Objects)-1].ID
	extra := randomPacked(r, 2, last)
	q.Objects = append(q.Objects, extra.Objects...)
	return q
}

func equalPacked(t *testing.T, got, want *PackedState) {
	t.Helper()
	if got.IngestNS != want.IngestNS || got.Intersection != want.Intersection || got.Flags != want.Flags ||
		len(got.Objects) != len(want.Objects) || len(got.Signals) != len(want.Signals) {
		t.Fatalf("head or counts differ: got %+v objects %d signals %d, want %+v objects %d signals %d",
			got.IngestNS, len(got.Objects), len(got.Signals), want.IngestNS, len(want.Objects), len(want.Signals))
	}
	for i := range want.Objects {
		if got.Objects[i] != want.Objects[i] {
			t.Fatalf("object %d: got %+v, want %+v", i, got.Objects[i], want.Objects[i])
		}
	}
	for i := range want.Signals {
		if got.Signals[i] != want.Signals[i] {
			t.Fatalf("signal %d: got %+v, want %+v", i, got.Signals[i], want.Signals[i])
		}
	}
}

func TestDeltaRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 10, 300} {
		base := randomPacked(r, n, 0)
		var got PackedState
		if err := ApplyDelta(AppendDelta(nil, nil, &base), nil, &got); err != nil {
			t.Fatalf("keyframe of %d: %v", n, err)
		}
		equalPacked(t, &got, &base)
		if n < 4 {
			continue
		}
		cur := moved(r, base)
		key, delta := AppendDelta(nil, nil, &cur), AppendDelta(nil, &base, &cur)
		if len(delta) >= len(key) {
			t.Errorf("%d objects: delta %d bytes is not smaller than the keyframe's %d", n, len(delta), len(key))
		}
		if err := ApplyDelta(delta, &base, &got); err != nil {
			t.Fatalf("delta of %d: %v", n, err)
		}
		equalPacked(t, &got, &cur)
	}
}

func TestPackPrecision(t *testing.T) {
	o := StateObject{ID: 7, Class: v2x.ClassPedestrian, Sources: 2, Lane: 31, Approach: 3, Lat: 22.54312345678, Lon: 114.0579876543,
		E: -12.3456, N: 45.6789, Speed: 1.234, Heading: 359.994, Length: 0.5, Width: 0.5, AgeMS: 42, CovEE: 0.01234, CovEN: -0.0021, CovNN: 0.5}
	var p PackedObject
	p.Pack(&o)
	var u StateObject
	p.Unpack(&u)
	if u.ID != o.ID || u.Class != o.Class || u.Sources != o.Sources || u.Lane != o.Lane || u.Approach != o.Approach || u.AgeMS != o.AgeMS {
		t.Fatalf("exact fields changed: %+v -> %+v", o, u)
	}
	for _, c := range []struct {
		name      string
		got, want float64
		res       float64
	}{
		{"lat", u.Lat, o.Lat, ResLatLon}, {"lon", u.Lon, o.Lon, ResLatLon}, {"e", float64(u.E), float64(o.E), ResMetre},
		{"n", float64(u.N), float64(o.N), ResMetre}, {"speed", float64(u.Speed), float64(o.Speed), ResSpeed},
		{"heading", float64(u.Heading), float64(o.Heading), ResHeading}, {"cov_ee", float64(u.CovEE), float64(o.CovEE), ResCov},
		{"cov_en", float64(u.CovEN), float64(o.CovEN), ResCov},
	} {
		if d := math.Abs(c.got - c.want); d > c.res/2*1.0001 {
			t.Errorf("%s: %v -> %v, off by %g (resolution %g)", c.name, c.want, c.got, d, c.res)
		}
	}
	// Packing what Unpack made gives the same integers: a subscriber's
	// state and a keyframe agree exactly.
	var p2 PackedObject
	p2.Pack(&u)
	if p2 != p {
		t.Fatalf("re-pack differs: %+v vs %+v", p2, p)
	}
}

func TestApplyDeltaRejects(t *testing.T) {
	base := randomPacked(rand.New(rand.NewPCG(3, 4)), 5, 0)
	good := AppendDelta(nil, nil, &base)
	var out PackedState
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"empty", nil},
		{"short head", good[:10]},
		{"truncated", good[:len(good)-3]},
		{"trailing", append(append([]byte{}, good...), 0)},
		{"too many objects", append(append([]byte{}, good[:16]...), 0xff, 0xff, 0x01, 0)},
		{"repeated id", func() []byte {
			b := append([]byte{}, good[:16]...)
			b = append(b, 2, 0)    // two objects, no signals
			b = append(b, 5, 0)    // id 5, nothing set
			return append(b, 0, 0) // step 0: id 5 again
		}()},
		{"bad mask", func() []byte {
			b := append([]byte{}, good[:16]...)
			b = append(b, 1, 0, 5)
			return append(b, 0x80, 0x80, 0x01) // mask 1<<14
		}()},
	} {
		if err := ApplyDelta(c.body, nil, &out); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func TestApplyDeltaAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	base := randomPacked(r, 200, 0)
	cur := moved(r, base)
	body := AppendDelta(nil, &base, &cur)
	var out PackedState
	buf := make([]byte, 0, 64<<10)
	if n := testing.AllocsPerRun(100, func() {
		buf = AppendDelta(buf[:0], &base, &cur)
		if err := ApplyDelta(body, &base, &out); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("AppendDelta+ApplyDelta allocate %v times per run", n)
	}
}

func FuzzApplyDelta(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 8))
	base := randomPacked(r, 6, 0)
	cur := moved(r, base)
	f.Add(AppendDelta(nil, nil, &base), false)
	f.Add(AppendDelta(nil, &base, &cur), true)
	f.Fuzz(func(t *testing.T, body []byte, withBase bool) {
		var out PackedState
		var b *PackedState
		if withBase {
			b = &base
		}
		if ApplyDelta(body, b, &out) != nil {
			return
		}
		// Whatever decodes re-encodes to a body that decodes the same.
		again := AppendDelta(nil, b, &out)
		var out2 PackedState
		if err := ApplyDelta(again, b, &out2); err != nil {
			t.Fatalf("re-encoded body does not decode: %v", err)
		}
		equalPacked(t, &out2, &out)
	})
}

func TestUpdateHead(t *testing.T) {
	for _, u := range []Update{
		{Flags: UpdateKeyframe, Compression: CompressZstd, RawLen: 1234},
		{Compression: CompressS2, BaseSeq: 99, RawLen: 7},
	} {
		b := append(AppendUpdate(nil, &u), 1, 2, 3)
		var got Update
		body, err := DecodeUpdate(b, &got)
		if err != nil || got != u || len(body) != 3 {
			t.Fatalf("%+v: got %+v body %d err %v", u, got, len(body), err)
		}
	}
	for _, c := range []struct {
		name string
		u    Update
	}{
		{"keyframe with base", Update{Flags: UpdateKeyframe, BaseSeq: 3}},
		{"delta without base", Update{}},
		{"unknown flag", Update{Flags: 0x80, BaseSeq: 1}},
		{"unknown compression", Update{Compression: 9, BaseSeq: 1}},
		{"huge raw", Update{BaseSeq: 1, RawLen: MaxUpdateRaw + 1}},
	} {
		var got Update
		if _, err := DecodeUpdate(AppendUpdate(nil, &c.u), &got); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func TestCompressionRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	base := randomPacked(r, 50, 0)
	body := AppendDelta(nil, nil, &base)
	for c := CompressNone; c < numCompressions; c++ {
		z, err := AppendCompressed([]byte("prefix"), body, c)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		out, err := AppendDecompressed([]byte("x"), z[6:], c, len(body))
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if string(out[1:]) != string(body) || out[0] != 'x' {
			t.Fatalf("%s: round trip differs", c)
		}
		if _, err := AppendDecompressed(nil, z[6:], c, len(body)+1); err == nil {
			t.Errorf("%s: wrong raw length accepted", c)
		}
		if name, err := ParseCompression(c.String()); err != nil || name != c {
			t.Errorf("%s: parse gives %v, %v", c, name, err)
		}
	}
}

func FuzzDecompress(f *testing.F) {
	body := AppendDelta(nil, nil, &PackedState{Signals: []SignalState{{Phase: 1}}})
	for c := CompressNone; c < numCompressions; c++ {
		z, _ := AppendCompressed(nil, body, c)
		f.Add(z, uint8(c), uint32(len(body)))
	}
	f.Fuzz(func(t *testing.T, z []byte, c uint8, raw uint32) {
		out, err := AppendDecompressed(nil, z, Compression(c), int(raw%(MaxUpdateRaw+100)))
		if err == nil && len(out) != int(raw%(MaxUpdateRaw+100)) {
			t.Fatalf("decompressed %d bytes, want %d", len(out), raw)
		}
	})
}

var updateCodec = payloadCodec{
	typ:    TypeUpdate,
	header: Header{Seq: 1001, Capture: 1_700_000_000_000_000_000, Source: 4},
	sample: func() []byte {
		cur := randomPacked(rand.New(rand.NewPCG(11, 12)), 3, 0)
		body := AppendDelta(nil, nil, &cur)
		z, _ := AppendCompressed(nil, body, CompressS2)
		return append(AppendUpdate(nil, &Update{Flags: UpdateKeyframe, Compression: CompressS2, RawLen: uint32(len(body))}), z...)
	},
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		var u Update
		body, err := DecodeUpdate(p, &u)
		if err != nil {
			return nil, err
		}
		return append(AppendUpdate(nil, &u), body...), nil
	},
	canon: func(p []byte) []byte {
		c := cloneBytes(p)
		c[2], c[3] = 0, 0
		return c
	},
}

var resyncCodec = payloadCodec{
	typ:    TypeResync,
	sample: func() []byte { return AppendResync(nil, 77) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		have, err := DecodeResync(p)
		if err != nil {
			return nil, err
		}
		return AppendResync(nil, have), nil
	},
	canon: cloneBytes,
}

// TestHeadingBelow360: the spec's heading range is [0, 360). A heading
// the fuser computed as 360 (or that rounds up to it as float32 or at
// ResHeading) leaves as 0, in State frames and in packed updates alike.
func TestHeadingBelow360(t *testing.T) {
	for _, c := range []struct{ in, state, packed float32 }{
		{360, 0, 0}, {float32(359.99999999), 0, 0}, {359.996, 359.996, 0}, {359.994, 359.994, 359.99},
		{0, 0, 0}, {-90, 270, 270}, {450, 90, 90}, {180, 180, 180},
	} {
		o := StateObject{ID: 1, Heading: c.in}
		var got State
		if err := DecodeState(AppendState(nil, &State{Objects: []StateObject{o}}), &got); err != nil {
			t.Fatal(err)
		}
		if h := got.Objects[0].Heading; h != c.state || h < 0 || h >= 360 {
			t.Errorf("State heading %v -> %v, want %v", c.in, h, c.state)
		}
		var p PackedObject
		p.Pack(&o)
		var u StateObject
		p.Unpack(&u)
		if math.Abs(float64(u.Heading-c.packed)) > ResHeading/2 || u.Heading < 0 || u.Heading >= 360 {
			t.Errorf("packed heading %v -> %v, want %v", c.in, u.Heading, c.packed)
		}
	}
}

package wire

import (
	"bytes"
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// stateNS is the node time of the sample state, 30 ms after the sample
// capture.
const stateNS = captureNS + 30_000_000

// sampleState is what a subscriber near the north stop line receives: the
// fused car, pedestrian and bus of the camera sample and four signal
// groups.
func sampleState() State {
	return State{IngestNS: stateNS - 2_300_000, Intersection: sampleIntersection, Flags: StateKeyframe,
		Objects: []StateObject{
			{ID: 17, Class: v2x.ClassCar, Sources: 2, Lane: 11, Approach: 1, Lat: 22.5433895, Lon: 114.0578548,
				E: -4.4, N: 32.1, Speed: 9.61, Heading: 182.4, Length: 4.6, Width: 1.8, AgeMS: 12},
			{ID: 18, Class: v2x.ClassPedestrian, Sources: 1, Lane: 51, Approach: 1, Lat: 22.5432105, Lon: 114.0580125,
				E: 11.8, N: 12.3, Speed: 1.2, Heading: 85, Length: 0.5, Width: 0.6, AgeMS: 28},
			{ID: 19, Class: v2x.ClassBus, Sources: 3, Lane: 0, Approach: 0, Lat: 22.542905, Lon: 114.05779,
				E: -11.2, N: -21.7, Speed: 0, Heading: 1.5, Length: 12, Width: 2.55, AgeMS: 4},
		},
		Signals: []SignalState{
			{Phase: 1, State: v2x.LightGreen, Confidence: 90, MinEndMS: 7970, LikelyEndMS: 13970, MaxEndMS: 25970},
			{Phase: 2, State: v2x.LightRed, Confidence: 80, MinEndMS: 16970, LikelyEndMS: 22970, MaxEndMS: 40970},
			{Phase: 5, State: v2x.LightGreenPermissive, MinEndMS: v2x.TimeUnknown, LikelyEndMS: v2x.TimeUnknown, MaxEndMS: v2x.TimeUnknown},
			{Phase: 6, State: v2x.LightGreen, Confidence: 95, MinEndMS: 1970, LikelyEndMS: 4970, MaxEndMS: 8970},
		}}
}

// genState returns a state with no objects and ns signals.
func genState(no, ns int) State {
	s := State{IngestNS: stateNS - 1_000_000, Intersection: sampleIntersection, Flags: StateKeyframe,
		Objects: make([]StateObject, no), Signals: make([]SignalState, ns)}
	for i, o := range genObjects(no) {
		s.Objects[i] = StateObject{ID: uint32(i + 1), Class: o.Class, Sources: uint8(1 + i%6), Lane: uint8(i % 12), Approach: uint8(i % 5),
			Lat: o.Lat, Lon: o.Lon, E: float32(i%100) - 50, N: float32(i%70) - 35, Speed: o.Speed(), Heading: o.Heading,
			Length: o.Length, Width: o.Width, AgeMS: uint32(i % 200)}
	}
	for i := range s.Signals {
		s.Signals[i] = SignalState{Phase: uint8(i + 1), State: v2x.LightState(i % 8), Confidence: uint8(i * 7 % 101),
			MinEndMS: int32(1000 * i), LikelyEndMS: int32(1500 * i), MaxEndMS: int32(3000 * i)}
	}
	return s
}

var stateCodec = payloadCodec{
	typ:    TypeState,
	header: Header{Seq: 98765, Capture: stateNS},
	sample: func() []byte { s := sampleState(); return AppendState(nil, &s) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		var s State
		if err := DecodeState(p, &s); err != nil {
			return nil, err
		}
		if len(s.Objects) > MaxStateObjects || len(s.Signals) > MaxSignals ||
			cap(s.Objects) > MaxStateObjects || cap(s.Signals) > MaxSignals ||
			StateHeadLen+len(s.Objects)*StateObjectLen+len(s.Signals)*SignalLen != len(p) {
			t.Fatalf("%d objects, %d signals from %d bytes", len(s.Objects), len(s.Signals), len(p))
		}
		dirty := genState(9, 5)
		if err := DecodeState(p, &dirty); err != nil {
			t.Fatalf("decoding into a used struct failed: %v", err)
		}
		q := AppendState(nil, &s)
		if !bytes.Equal(AppendState(nil, &dirty), q) {
			t.Fatal("decoding into a used struct gives a different message")
		}
		return q, nil
	},
	canon: func(p []byte) []byte {
		q := cloneBytes(p)
		no := int(q[16])<<8 | int(q[17])
		for off := StateHeadLen + no*StateObjectLen; off < len(q); off += SignalLen {
			q[off+3] = 0
		}
		return q
	},
}

func TestStateRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		s    State
	}{
		{"typical", sampleState()},
		{"empty", State{IngestNS: stateNS, Intersection: sampleIntersection, Flags: StateKeyframe}},
		{"signals only", genState(0, 8)},
		{"objects only", genState(5, 0)},
		{"200 objects, 16 signals", genState(200, 16)},
		{"maximum", genState(MaxStateObjects, MaxSignals)},
		{"odd values", State{IngestNS: math.MinInt64, Flags: math.MaxUint32, Objects: []StateObject{{ID: math.MaxUint32, Class: 99,
			Lat: math.NaN(), E: float32(math.Inf(-1)), AgeMS: math.MaxUint32}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := AppendState(nil, &c.s)
			if want := StateHeadLen + StateObjectLen*len(c.s.Objects) + SignalLen*len(c.s.Signals); len(p) != want {
				t.Fatalf("encoded %d bytes, want %d", len(p), want)
			}
			var got State
			if err := DecodeState(p, &got); err != nil {
				t.Fatal(err)
			}
			if !sameValue(got, c.s) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c.s)
			}
		})
	}
}

func TestStateLayout(t *testing.T) {
	s := sampleState()
	p := AppendState(nil, &s)
	if int64(be64(p, 0)) != s.IngestNS || be32(p, 8) != sampleIntersection || be32(p, 12) != StateKeyframe ||
		be32(p, 16) != 3<<16|4 {
		t.Errorf("header % x", p[:StateHeadLen])
	}
	o := &s.Objects[0]
	r := p[StateHeadLen:]
	if be32(r, 0) != o.ID || r[4] != byte(o.Class) || r[5] != o.Sources || r[6] != o.Lane || r[7] != o.Approach ||
		be64(r, 8) != math.Float64bits(o.Lat) || be64(r, 16) != math.Float64bits(o.Lon) {
		t.Errorf("object head % x", r[:24])
	}
	for i, f := range []float32{o.E, o.N, o.Speed, o.Heading, o.Length, o.Width} {
		if be32(r, 24+4*i) != math.Float32bits(f) {
			t.Errorf("object offset %d: %#x, want %v", 24+4*i, be32(r, 24+4*i), f)
		}
	}
	if be32(r, 48) != o.AgeMS {
		t.Errorf("object AgeMS at 48: %d", be32(r, 48))
	}
	g := &s.Signals[0]
	r = p[StateHeadLen+3*StateObjectLen:]
	if r[0] != g.Phase || r[1] != byte(g.State) || r[2] != g.Confidence || r[3] != 0 ||
		int32(be32(r, 4)) != g.MinEndMS || int32(be32(r, 8)) != g.LikelyEndMS || int32(be32(r, 12)) != g.MaxEndMS {
		t.Errorf("signal record % x", r[:SignalLen])
	}
}

// TestAppendStateObject checks that a State assembled record by record, as
// the broadcast hub does, equals AppendState's.
func TestAppendStateObject(t *testing.T) {
	s := sampleState()
	want := AppendState(nil, &s)
	b := AppendState(nil, &State{IngestNS: s.IngestNS, Intersection: s.Intersection, Flags: s.Flags})
	b[16], b[17] = 0, byte(len(s.Objects))
	b[18], b[19] = 0, byte(len(s.Signals))
	for i := range s.Objects {
		b = AppendStateObject(b, &s.Objects[i])
	}
	b = append(b, want[len(b):]...) // signals
	if !bytes.Equal(b, want) {
		t.Errorf("record-by-record state differs at %d", firstDiff(b, want))
	}
}

func stateWithCounts(no, ns uint16, body int) []byte {
	p := appendU64(nil, uint64(stateNS))
	p = appendU32(p, sampleIntersection)
	p = appendU32(p, StateKeyframe)
	p = appendU16(p, no)
	p = appendU16(p, ns)
	return append(p, make([]byte, body)...)
}

func TestDecodeStateErrors(t *testing.T) {
	decode := func(q []byte) error { var s State; return DecodeState(q, &s) }
	for _, s := range []State{sampleState(), {}, genState(0, 2)} {
		p := AppendState(nil, &s)
		checkPrefixes(t, p, decode)
		checkTrailing(t, p, decode)
	}
	checkDecodeErr(t, "4097 objects", decode(stateWithCounts(MaxStateObjects+1, 0, (MaxStateObjects+1)*StateObjectLen)), ErrInvalid)
	checkDecodeErr(t, "65 signals", decode(stateWithCounts(0, MaxSignals+1, (MaxSignals+1)*SignalLen)), ErrInvalid)
	checkDecodeErr(t, "65535 of each", decode(stateWithCounts(math.MaxUint16, math.MaxUint16, 0)), ErrInvalid)
	checkDecodeErr(t, "2 objects claimed, 1 present", decode(stateWithCounts(2, 0, StateObjectLen)), ErrTruncated)
	checkDecodeErr(t, "1 signal claimed, 2 present", decode(stateWithCounts(0, 1, 2*SignalLen)), ErrInvalid)
	if err := decode(stateWithCounts(MaxStateObjects, MaxSignals, MaxStateObjects*StateObjectLen+MaxSignals*SignalLen)); err != nil {
		t.Errorf("state at the limits: %v", err)
	}
}

func TestStateAllocs(t *testing.T) {
	s := genState(200, 16)
	h := stateCodec.header
	h.Type = TypeState
	buf := make([]byte, 0, 16<<10)
	if n := testing.AllocsPerRun(100, func() {
		buf = AppendHeader(buf[:0], &h)
		buf = AppendState(buf, &s)
		FinishFrame(buf, 0)
	}); n != 0 {
		t.Errorf("encoding a State frame (200 objects, 16 signals): %v allocs, want 0", n)
	}
	got := State{Objects: make([]StateObject, 0, 256), Signals: make([]SignalState, 0, 16)}
	if n := testing.AllocsPerRun(100, func() {
		hh, err := ParseHeader(buf, DefaultMaxFrame)
		if err != nil || DecodeState(buf[HeaderLen:HeaderLen+hh.Length], &got) != nil {
			t.Fatal("decode failed")
		}
	}); n != 0 {
		t.Errorf("decoding a State frame (200 objects, 16 signals): %v allocs, want 0", n)
	}
	if len(got.Objects) != 200 || len(got.Signals) != 16 {
		t.Fatalf("decoded %d objects, %d signals", len(got.Objects), len(got.Signals))
	}
}

func FuzzDecodeState(f *testing.F) {
	empty := State{Flags: StateKeyframe}
	mid := genState(2, 3)
	fuzzPayload(f, &stateCodec, AppendState(nil, &empty), AppendState(nil, &mid),
		stateWithCounts(MaxStateObjects+1, 0, 0), stateWithCounts(1, 1, StateObjectLen+SignalLen-1))
}

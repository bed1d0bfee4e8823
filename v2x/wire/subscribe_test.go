package wire

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// sampleSubscribe asks for road users within 150 m of a point just north
// of the stop line, at most 10 states a second.
func sampleSubscribe() Subscribe {
	return Subscribe{Flags: SubCenter, CenterLat: 22.54335, CenterLon: 114.0581, Radius: 150, MaxRate: 10,
		Classes: v2x.MaskOf(v2x.ClassCar, v2x.ClassTruck, v2x.ClassBus, v2x.ClassBicycle, v2x.ClassPedestrian)}
}

var subscribeCodec = payloadCodec{
	typ:    TypeSubscribe,
	header: Header{Seq: 1},
	sample: func() []byte { s := sampleSubscribe(); return AppendSubscribe(nil, &s) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		var s Subscribe
		if err := DecodeSubscribe(p, &s); err != nil {
			return nil, err
		}
		return AppendSubscribe(nil, &s), nil
	},
	canon: cloneBytes, // every bit is significant
}

func TestSubscribeRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		s    Subscribe
	}{
		{"typical", sampleSubscribe()},
		{"everything", Subscribe{}},
		{"centre ignored without the flag", Subscribe{CenterLat: math.NaN(), CenterLon: 1e9}},
		{"limits", Subscribe{Flags: SubCenter | 0xfffe, CenterLat: -90, CenterLon: 180, Radius: 1e6, MaxRate: 1000, Classes: math.MaxUint32}},
		{"pedestrians only", Subscribe{Flags: SubCenter, CenterLat: refLat, CenterLon: refLon, Radius: 30, Classes: v2x.MaskOf(v2x.ClassPedestrian)}},
		{"approaches", sampleSets(IDSet{0b110}, IDSet{})},
		{"lanes", sampleSets(IDSet{}, IDSet{1, 0, 0, 1 << 63})},
		{"both, every id", sampleSets(IDSet{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}, IDSet{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := AppendSubscribe(nil, &c.s)
			if want := map[bool]int{false: SubscribeLen, true: SubscribeSetsLen}[c.s.HasSets()]; len(p) != want {
				t.Fatalf("encoded %d bytes, want %d", len(p), want)
			}
			var got Subscribe
			if err := DecodeSubscribe(p, &got); err != nil {
				t.Fatal(err)
			}
			if !sameValue(got, c.s) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c.s)
			}
		})
	}
}

// sampleSets is sampleSubscribe with approach and lane sets.
func sampleSets(approaches, lanes IDSet) Subscribe {
	s := sampleSubscribe()
	s.Approaches, s.Lanes = approaches, lanes
	return s
}

func TestSubscribeSetsLayout(t *testing.T) {
	var a, l IDSet
	a.Add(2)
	l.Add(7)
	l.Add(64)
	s := sampleSets(a, l)
	p := AppendSubscribe(nil, &s)
	if len(p) != SubscribeSetsLen || be64(p, 32) != 1<<2 || be64(p, 40)|be64(p, 48)|be64(p, 56) != 0 ||
		be64(p, 64) != 1<<7 || be64(p, 72) != 1 || be64(p, 80)|be64(p, 88) != 0 {
		t.Errorf("subscribe with sets % x", p)
	}
	// The short form decodes to empty sets, even into a reused value.
	short := sampleSubscribe()
	q := AppendSubscribe(nil, &short)
	if err := DecodeSubscribe(q, &s); err != nil || s.HasSets() {
		t.Errorf("short form into a value with sets: %v, sets %v %v", err, s.Approaches, s.Lanes)
	}
}

func TestDecodeSubscribeSetsErrors(t *testing.T) {
	decode := func(q []byte) error { var s Subscribe; return DecodeSubscribe(q, &s) }
	var a IDSet
	a.Add(1)
	s := sampleSets(a, IDSet{})
	p := AppendSubscribe(nil, &s)
	for n := SubscribeLen + 1; n < len(p); n++ {
		checkDecodeErr(t, fmt.Sprintf("%d of %d bytes", n, len(p)), decode(p[:n]), ErrInvalid)
	}
	checkTrailing(t, p, decode)
	empty := append(AppendSubscribe(nil, &Subscribe{}), make([]byte, 2*IDSetLen)...)
	checkDecodeErr(t, "long form with empty sets", decode(empty), ErrInvalid)
}

func TestSubscribeLayout(t *testing.T) {
	s := sampleSubscribe()
	p := AppendSubscribe(nil, &s)
	if be32(p, 0) != SubCenter || be64(p, 4) != math.Float64bits(s.CenterLat) || be64(p, 12) != math.Float64bits(s.CenterLon) ||
		be32(p, 20) != math.Float32bits(150) || be32(p, 24) != math.Float32bits(10) || be32(p, 28) != 0b1101110 {
		t.Errorf("subscribe % x", p)
	}
}

func TestDecodeSubscribeErrors(t *testing.T) {
	decode := func(q []byte) error { var s Subscribe; return DecodeSubscribe(q, &s) }
	s := sampleSubscribe()
	p := AppendSubscribe(nil, &s)
	checkPrefixes(t, p, decode)
	checkTrailing(t, p, decode)

	nan, inf := math.NaN(), math.Inf(1)
	nan32, inf32 := float32(nan), float32(inf)
	bad := []struct {
		name string
		s    Subscribe
	}{
		{"NaN latitude", Subscribe{Flags: SubCenter, CenterLat: nan, CenterLon: refLon}},
		{"NaN longitude", Subscribe{Flags: SubCenter, CenterLat: refLat, CenterLon: nan}},
		{"infinite latitude", Subscribe{Flags: SubCenter, CenterLat: -inf, CenterLon: refLon}},
		{"latitude above 90", Subscribe{Flags: SubCenter, CenterLat: 90.000001, CenterLon: refLon}},
		{"latitude below -90", Subscribe{Flags: SubCenter, CenterLat: -91, CenterLon: refLon}},
		{"longitude above 180", Subscribe{Flags: SubCenter, CenterLat: refLat, CenterLon: 180.5}},
		{"longitude below -180", Subscribe{Flags: SubCenter, CenterLat: refLat, CenterLon: -181}},
		{"swapped lat/lon", Subscribe{Flags: SubCenter, CenterLat: refLon, CenterLon: refLat}},
		{"negative radius", Subscribe{Radius: -1}},
		{"NaN radius", Subscribe{Radius: nan32}},
		{"infinite radius", Subscribe{Radius: inf32}},
		{"radius above 1e6", Subscribe{Radius: 1.5e6}},
		{"negative rate", Subscribe{MaxRate: -0.5}},
		{"NaN rate", Subscribe{MaxRate: nan32}},
		{"infinite rate", Subscribe{MaxRate: inf32}},
		{"rate above 1000", Subscribe{MaxRate: 1001}},
	}
	for _, c := range bad {
		checkDecodeErr(t, c.name, decode(AppendSubscribe(nil, &c.s)), ErrInvalid)
	}
	good := []Subscribe{
		{Flags: SubCenter, CenterLat: 90, CenterLon: -180},
		{Flags: SubCenter, CenterLat: -90, CenterLon: 180},
		{Radius: 1e6, MaxRate: 1000},
		{Radius: float32(math.Copysign(0, -1))},
		{MaxRate: 0.1},
	}
	for _, s := range good {
		if err := decode(AppendSubscribe(nil, &s)); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
}

func FuzzDecodeSubscribe(f *testing.F) {
	all := Subscribe{}
	bad := Subscribe{Flags: SubCenter, CenterLat: math.NaN()}
	var l IDSet
	l.Add(3)
	sets := sampleSets(IDSet{1}, l)
	fuzzPayload(f, &subscribeCodec, AppendSubscribe(nil, &all), AppendSubscribe(nil, &bad), bytes.Repeat([]byte{0xff}, SubscribeLen),
		AppendSubscribe(nil, &sets), bytes.Repeat([]byte{0xff}, SubscribeSetsLen))
}

package wire

import (
	"bytes"
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

const sampleIntersection = 1101

// sampleSPAT is the intersection's signal state four seconds into the
// north-south green: through and pedestrian groups green, the rest red,
// the right-turn group permissive without timing, one dark head.
func sampleSPAT() v2x.SPAT {
	u := v2x.TimeUnknown
	return v2x.SPAT{IntersectionID: sampleIntersection, Phases: []v2x.Phase{
		{ID: 1, State: v2x.LightGreen, Confidence: 90, Start: -4000, MinEnd: 8000, LikelyEnd: 14000, MaxEnd: 26000},
		{ID: 2, State: v2x.LightRed, Confidence: 80, Start: -31000, MinEnd: 17000, LikelyEnd: 23000, MaxEnd: 41000},
		{ID: 3, State: v2x.LightRed, Confidence: 80, Start: -4000, MinEnd: 20000, LikelyEnd: 26000, MaxEnd: 44000},
		{ID: 4, State: v2x.LightRed, Confidence: 75, Start: -4000, MinEnd: 35000, LikelyEnd: 41000, MaxEnd: 62000},
		{ID: 5, State: v2x.LightGreenPermissive, Confidence: 0, Start: -64000, MinEnd: u, LikelyEnd: u, MaxEnd: u},
		{ID: 6, State: v2x.LightGreen, Confidence: 95, Start: -4000, MinEnd: 2000, LikelyEnd: 5000, MaxEnd: 9000},
		{ID: 7, State: v2x.LightYellow, Confidence: 100, Start: -1000, MinEnd: 2000, LikelyEnd: 2000, MaxEnd: 2000},
		{ID: 8, State: v2x.LightDark, Confidence: 0, Start: u, MinEnd: u, LikelyEnd: u, MaxEnd: u},
	}}
}

// genPhases returns n phases cycling through every light state.
func genPhases(n int) []v2x.Phase {
	ph := make([]v2x.Phase, n)
	for i := range ph {
		ph[i] = v2x.Phase{ID: uint8(i + 1), State: v2x.LightState(i % 8), Confidence: uint8(i * 3 % 101),
			Start: int32(-1000 * i), MinEnd: int32(500 * i), LikelyEnd: int32(700 * i), MaxEnd: int32(900 * i)}
	}
	return ph
}

var spatCodec = payloadCodec{
	typ:    TypeSPAT,
	header: Header{Source: 0x1001, Seq: 9001, Capture: captureNS},
	sample: func() []byte { m := sampleSPAT(); return AppendSPAT(nil, &m) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		var m v2x.SPAT
		if err := DecodeSPAT(p, &m); err != nil {
			return nil, err
		}
		if len(m.Phases) > v2x.MaxPhases || cap(m.Phases) > v2x.MaxPhases {
			t.Fatalf("%d phases (cap %d)", len(m.Phases), cap(m.Phases))
		}
		dirty := v2x.SPAT{IntersectionID: 7, Phases: genPhases(12)}
		if err := DecodeSPAT(p, &dirty); err != nil {
			t.Fatalf("decoding into a used struct failed: %v", err)
		}
		q := AppendSPAT(nil, &m)
		if !bytes.Equal(AppendSPAT(nil, &dirty), q) {
			t.Fatal("decoding into a used struct gives a different message")
		}
		return q, nil
	},
	canon: func(p []byte) []byte {
		q := cloneBytes(p)
		q[6], q[7] = 0, 0
		for off := 8; off < len(q); off += PhaseLen {
			q[off+3] = 0
		}
		return q
	},
}

func TestSPATRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		m    v2x.SPAT
	}{
		{"typical", sampleSPAT()},
		{"empty", v2x.SPAT{IntersectionID: sampleIntersection}},
		{"all unknown", v2x.SPAT{IntersectionID: math.MaxUint32, Phases: []v2x.Phase{{ID: 255, State: v2x.LightUnknown,
			Start: v2x.TimeUnknown, MinEnd: v2x.TimeUnknown, LikelyEnd: v2x.TimeUnknown, MaxEnd: v2x.TimeUnknown}}}},
		{"extreme times", v2x.SPAT{Phases: []v2x.Phase{{ID: 1, State: v2x.LightRedFlashing, Confidence: 100,
			Start: math.MinInt32 + 1, MinEnd: math.MaxInt32, LikelyEnd: 0, MaxEnd: -1}}}},
		{"maximum", v2x.SPAT{IntersectionID: 2, Phases: genPhases(v2x.MaxPhases)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := AppendSPAT(nil, &c.m)
			if want := 8 + PhaseLen*len(c.m.Phases); len(p) != want {
				t.Fatalf("encoded %d bytes, want %d", len(p), want)
			}
			var got v2x.SPAT
			if err := DecodeSPAT(p, &got); err != nil {
				t.Fatal(err)
			}
			if !sameValue(got, c.m) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c.m)
			}
		})
	}
}

func TestSPATLayout(t *testing.T) {
	m := sampleSPAT()
	p := AppendSPAT(nil, &m)
	if be32(p, 0) != sampleIntersection || be32(p, 4) != uint32(len(m.Phases))<<16 {
		t.Errorf("header % x", p[:8])
	}
	ph := m.Phases[4] // the one with unknown times
	rec := p[8+4*PhaseLen : 8+5*PhaseLen]
	if rec[0] != ph.ID || rec[1] != byte(ph.State) || rec[2] != ph.Confidence || rec[3] != 0 ||
		int32(be32(rec, 4)) != ph.Start || be32(rec, 8) != 0x80000000 || be32(rec, 12) != 0x80000000 || be32(rec, 16) != 0x80000000 {
		t.Errorf("phase record % x", rec)
	}
}

func spatWithCount(n uint16, body int) []byte {
	p := appendU32(nil, sampleIntersection)
	p = appendU16(p, n)
	p = appendU16(p, 0)
	return append(p, make([]byte, body)...)
}

func TestDecodeSPATErrors(t *testing.T) {
	decode := func(q []byte) error { var m v2x.SPAT; return DecodeSPAT(q, &m) }
	for _, m := range []v2x.SPAT{sampleSPAT(), {IntersectionID: 1}} {
		p := AppendSPAT(nil, &m)
		checkPrefixes(t, p, decode)
		checkTrailing(t, p, decode)
	}
	checkDecodeErr(t, "65 phases", decode(spatWithCount(v2x.MaxPhases+1, (v2x.MaxPhases+1)*PhaseLen)), ErrInvalid)
	checkDecodeErr(t, "65535 phases", decode(spatWithCount(math.MaxUint16, 0)), ErrInvalid)
	checkDecodeErr(t, "3 claimed, 2 present", decode(spatWithCount(3, 2*PhaseLen)), ErrTruncated)
	checkDecodeErr(t, "1 claimed, 2 present", decode(spatWithCount(1, 2*PhaseLen)), ErrInvalid)
	if err := decode(spatWithCount(v2x.MaxPhases, v2x.MaxPhases*PhaseLen)); err != nil {
		t.Errorf("64 phases: %v", err)
	}
}

func TestSPATAllocs(t *testing.T) {
	m := sampleSPAT()
	h := spatCodec.header
	h.Type = TypeSPAT
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() {
		buf = AppendHeader(buf[:0], &h)
		buf = AppendSPAT(buf, &m)
		FinishFrame(buf, 0)
	}); n != 0 {
		t.Errorf("encoding a SPAT frame: %v allocs, want 0", n)
	}
	got := v2x.SPAT{Phases: make([]v2x.Phase, 0, v2x.MaxPhases)}
	if n := testing.AllocsPerRun(100, func() {
		hh, err := ParseHeader(buf, DefaultMaxFrame)
		if err != nil || DecodeSPAT(buf[HeaderLen:HeaderLen+hh.Length], &got) != nil {
			t.Fatal("decode failed")
		}
	}); n != 0 {
		t.Errorf("decoding a SPAT frame: %v allocs, want 0", n)
	}
}

func FuzzDecodeSPAT(f *testing.F) {
	empty := v2x.SPAT{IntersectionID: 1}
	few := v2x.SPAT{IntersectionID: 2, Phases: genPhases(3)}
	fuzzPayload(f, &spatCodec, AppendSPAT(nil, &empty), AppendSPAT(nil, &few),
		spatWithCount(v2x.MaxPhases+1, 0), spatWithCount(1, PhaseLen+1))
}

package wire

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// sampleRSI is road works on the north leg with a closed right lane, valid
// for the working day, and the static speed-limit sign of the leg.
func sampleRSI() v2x.RSI {
	return v2x.RSI{RSUID: 0x1001, Events: []v2x.RoadEvent{
		{ID: 301, Kind: v2x.KindEvent, Type: 401, Priority: 5, Lat: 22.54362, Lon: 114.05735, Radius: 50,
			StartNS: captureNS - 3600e9, EndNS: captureNS + 8*3600e9, Text: "道路施工，右侧车道封闭"},
		{ID: 7, Kind: v2x.KindSign, Type: 85, Priority: 2, Lat: 22.5442, Lon: 114.0579, Radius: 150,
			Text: "限速 40 km/h"},
	}}
}

// maxRSI has MaxEvents events with MaxText-byte texts.
func maxRSI() v2x.RSI {
	m := v2x.RSI{RSUID: math.MaxUint32, Events: make([]v2x.RoadEvent, v2x.MaxEvents)}
	for i := range m.Events {
		m.Events[i] = v2x.RoadEvent{ID: uint16(i), Kind: v2x.EventKind(i % 2), Type: uint16(1000 + i), Priority: uint8(i % 8),
			Lat: refLat, Lon: refLon, Radius: float32(10 * i), StartNS: int64(i) * 1e9, EndNS: math.MaxInt64,
			Text: strings.Repeat(string(rune('a'+i%26)), v2x.MaxText)}
	}
	return m
}

const rsiHeadLen = 8

var rsiCodec = payloadCodec{
	typ:    TypeRSI,
	header: Header{Source: 0x1001, Seq: 3, Capture: captureNS},
	sample: func() []byte { m := sampleRSI(); return AppendRSI(nil, &m) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		var m v2x.RSI
		if err := DecodeRSI(p, &m); err != nil {
			return nil, err
		}
		if len(m.Events) > v2x.MaxEvents || len(m.Events)*rsiEventLen > len(p) {
			t.Fatalf("%d events from %d bytes", len(m.Events), len(p))
		}
		for _, e := range m.Events {
			if len(e.Text) > v2x.MaxText {
				t.Fatalf("event %d: %d-byte text", e.ID, len(e.Text))
			}
		}
		dirty := sampleRSI()
		if err := DecodeRSI(p, &dirty); err != nil {
			t.Fatalf("decoding into a used struct failed: %v", err)
		}
		q := AppendRSI(nil, &m)
		if !bytes.Equal(AppendRSI(nil, &dirty), q) {
			t.Fatal("decoding into a used struct gives a different message")
		}
		return q, nil
	},
	canon: func(p []byte) []byte {
		q := cloneBytes(p)
		q[6], q[7] = 0, 0
		return q
	},
}

func TestRSIRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		m    v2x.RSI
	}{
		{"typical", sampleRSI()},
		{"empty", v2x.RSI{RSUID: 0x1001}},
		{"empty text, negative times", v2x.RSI{Events: []v2x.RoadEvent{{ID: math.MaxUint16, Kind: v2x.KindSign, Priority: 7,
			StartNS: math.MinInt64, EndNS: -1}}}},
		{"non-UTF-8 text kept as bytes", v2x.RSI{Events: []v2x.RoadEvent{{Text: "\xff\x00\xfe"}}}},
		{"maximum", maxRSI()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := AppendRSI(nil, &c.m)
			want := rsiHeadLen
			for _, e := range c.m.Events {
				want += rsiEventLen + len(e.Text)
			}
			if len(p) != want {
				t.Fatalf("encoded %d bytes, want %d", len(p), want)
			}
			var got v2x.RSI
			if err := DecodeRSI(p, &got); err != nil {
				t.Fatal(err)
			}
			if !sameValue(got, c.m) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c.m)
			}
		})
	}
}

func TestRSILayout(t *testing.T) {
	m := sampleRSI()
	p := AppendRSI(nil, &m)
	if be32(p, 0) != 0x1001 || be32(p, 4) != 2<<16 {
		t.Errorf("header % x", p[:8])
	}
	e := m.Events[0]
	r := p[rsiHeadLen:]
	if uint16(be32(r, 0)>>16) != e.ID || r[2] != byte(e.Kind) || r[3] != e.Priority || uint16(be32(r, 4)>>16) != e.Type ||
		int(uint16(be32(r, 4))) != len(e.Text) || be64(r, 8) != math.Float64bits(e.Lat) || be64(r, 16) != math.Float64bits(e.Lon) ||
		be32(r, 24) != math.Float32bits(e.Radius) || int64(be64(r, 28)) != e.StartNS || int64(be64(r, 36)) != e.EndNS ||
		string(r[44:44+len(e.Text)]) != e.Text {
		t.Errorf("event record % x", r[:44+len(e.Text)])
	}
}

// TestAppendRSICutsText checks that a text over MaxText bytes is cut on
// encoding.
func TestAppendRSICutsText(t *testing.T) {
	long := strings.Repeat("施", 100) // 300 bytes
	m := v2x.RSI{Events: []v2x.RoadEvent{{Text: long}}}
	var got v2x.RSI
	if err := DecodeRSI(AppendRSI(nil, &m), &got); err != nil {
		t.Fatal(err)
	}
	// The cut is by bytes (here inside a character).
	if got.Events[0].Text != long[:v2x.MaxText] {
		t.Errorf("text of %d bytes, want the first %d", len(got.Events[0].Text), v2x.MaxText)
	}
}

func TestDecodeRSIErrors(t *testing.T) {
	decode := func(q []byte) error { var m v2x.RSI; return DecodeRSI(q, &m) }
	for _, m := range []v2x.RSI{sampleRSI(), {RSUID: 1}} {
		p := AppendRSI(nil, &m)
		checkPrefixes(t, p, decode)
		checkTrailing(t, p, decode)
	}
	head := func(n uint16) []byte {
		p := appendU32(nil, 0x1001)
		p = appendU16(p, n)
		return appendU16(p, 0)
	}
	checkDecodeErr(t, "65 events", decode(append(head(v2x.MaxEvents+1), make([]byte, (v2x.MaxEvents+1)*rsiEventLen)...)), ErrInvalid)
	checkDecodeErr(t, "65535 events", decode(head(math.MaxUint16)), ErrInvalid)
	checkDecodeErr(t, "64 events claimed, 1 present", decode(append(head(v2x.MaxEvents), make([]byte, rsiEventLen)...)), ErrTruncated)

	event := func(textLen uint16, have int) []byte {
		p := head(1)
		p = appendU16(p, 1)
		p = append(p, 0, 0)
		p = appendU16(p, 401)
		p = appendU16(p, textLen)
		p = append(p, make([]byte, 36)...)
		return append(p, bytes.Repeat([]byte{'x'}, have)...)
	}
	if err := decode(event(v2x.MaxText, v2x.MaxText)); err != nil {
		t.Errorf("text at the limit: %v", err)
	}
	checkDecodeErr(t, "257-byte text", decode(event(v2x.MaxText+1, v2x.MaxText+1)), ErrInvalid)
	checkDecodeErr(t, "text cut", decode(event(10, 9)), ErrTruncated)
}

func FuzzDecodeRSI(f *testing.F) {
	empty := v2x.RSI{RSUID: 1}
	one := v2x.RSI{Events: []v2x.RoadEvent{{ID: 1, Text: "事故"}}}
	fuzzPayload(f, &rsiCodec, AppendRSI(nil, &empty), AppendRSI(nil, &one))
}

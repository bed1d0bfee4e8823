package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

func TestHeaderRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		h    Header
		n    int // payload length
	}{
		{"bsm", Header{Type: TypeBSM, Source: 0x0101, Seq: 4242, Capture: captureNS}, BSMLen},
		{"empty payload", Header{Type: TypeClockRequest}, 0},
		{"all ones", Header{Type: 0xff, Encoding: 0xff, Flags: 0xff, Source: math.MaxUint32, Seq: math.MaxUint64, Capture: -1}, 3},
		{"negative capture", Header{Type: TypeObjectList, Encoding: EncodingCSAE53, Source: 3, Seq: 1, Capture: math.MinInt64}, 8},
		{"j2735", Header{Type: TypeSPAT, Encoding: EncodingJ2735, Flags: 0x80}, 100},
		{"largest", Header{Type: TypeState, Seq: 1}, DefaultMaxFrame - (HeaderLen - 4)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prefix := []byte("earlier frames")
			b := AppendHeader(prefix, &c.h)
			if len(b) != len(prefix)+HeaderLen {
				t.Fatalf("header is %d bytes", len(b)-len(prefix))
			}
			b = append(b, make([]byte, c.n)...)
			FinishFrame(b, len(prefix))
			if !bytes.Equal(b[:len(prefix)], []byte("earlier frames")) {
				t.Fatal("FinishFrame wrote before the frame")
			}
			f := b[len(prefix):]
			if got := be32(f, 0); got != uint32(HeaderLen-4+c.n) {
				t.Fatalf("length field %d, want %d", got, HeaderLen-4+c.n)
			}
			got, err := ParseHeader(f, DefaultMaxFrame)
			if err != nil {
				t.Fatal(err)
			}
			want := c.h
			want.Version, want.Length = Version, c.n
			if got != want {
				t.Fatalf("parsed %+v, want %+v", got, want)
			}
			// AppendHeader writes Version whatever h.Version says.
			h2 := c.h
			h2.Version = 9
			if b2 := AppendHeader(nil, &h2); b2[4] != Version {
				t.Errorf("version byte %d", b2[4])
			}
		})
	}
}

// TestHeaderLayout pins the header offsets independently of the golden
// files.
func TestHeaderLayout(t *testing.T) {
	h := Header{Type: TypeRSM, Encoding: EncodingJ2735, Flags: 0xa5, Source: 0x01020304, Seq: 0x05060708090a0b0c, Capture: 0x0d0e0f1011121314}
	b := AppendHeader(nil, &h)
	b = append(b, 0xaa, 0xbb)
	FinishFrame(b, 0)
	want := []byte{
		0x00, 0x00, 0x00, 0x1a, // length: 24 + 2
		0x01, 0x05, 0x02, 0xa5, // version, type, encoding, flags
		0x01, 0x02, 0x03, 0x04, // source
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, // seq
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, // capture
		0xaa, 0xbb,
	}
	if !bytes.Equal(b, want) {
		t.Errorf("frame\n% x\nwant\n% x", b, want)
	}
}

func TestParseHeaderErrors(t *testing.T) {
	good := buildFrame(nil, Header{Source: 1, Seq: 2, Capture: 3}, TypeBSM, make([]byte, BSMLen))
	for n := range HeaderLen {
		if _, err := ParseHeader(good[:n], DefaultMaxFrame); !errors.Is(err, ErrShort) {
			t.Errorf("%d-byte buffer: %v, want ErrShort", n, err)
		}
	}
	withLength := func(n uint32) []byte {
		b := cloneBytes(good)
		b[0], b[1], b[2], b[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
		return b
	}
	for _, n := range []uint32{0, 1, 4, HeaderLen - 5} {
		if _, err := ParseHeader(withLength(n), DefaultMaxFrame); !errors.Is(err, ErrLength) {
			t.Errorf("length %d: %v, want ErrLength", n, err)
		}
	}
	for _, c := range []struct {
		n   uint32
		max int
	}{{DefaultMaxFrame + 1, DefaultMaxFrame}, {math.MaxUint32, DefaultMaxFrame}, {1000, 999}, {HeaderLen - 4, 0}} {
		if _, err := ParseHeader(withLength(c.n), c.max); !errors.Is(err, ErrLength) {
			t.Errorf("length %d, max %d: %v, want ErrLength", c.n, c.max, err)
		}
	}
	// The limits themselves are allowed.
	for _, c := range []struct {
		n   uint32
		max int
	}{{HeaderLen - 4, DefaultMaxFrame}, {DefaultMaxFrame, DefaultMaxFrame}, {1000, 1000}, {HeaderLen - 4, HeaderLen - 4}} {
		h, err := ParseHeader(withLength(c.n), c.max)
		if err != nil || h.Length != int(c.n)-(HeaderLen-4) {
			t.Errorf("length %d, max %d: %+v, %v", c.n, c.max, h, err)
		}
	}
	for _, v := range []byte{0, 2, 255} {
		b := cloneBytes(good)
		b[4] = v
		h, err := ParseHeader(b, DefaultMaxFrame)
		if !errors.Is(err, ErrVersion) {
			t.Errorf("version %d: %v, want ErrVersion", v, err)
		}
		// The rest of the header is still decoded so the frame can be
		// skipped and answered.
		if h.Version != v || h.Type != TypeBSM || h.Seq != 2 || h.Length != BSMLen {
			t.Errorf("version %d: header %+v", v, h)
		}
	}
	// A length error takes precedence over a version error: the framing
	// is lost either way.
	b := withLength(3)
	b[4] = 7
	if _, err := ParseHeader(b, DefaultMaxFrame); !errors.Is(err, ErrLength) {
		t.Errorf("bad length and version: %v, want ErrLength", err)
	}
}

func TestTypes(t *testing.T) {
	names := map[Type]string{
		TypeBSM: "bsm", TypeSPAT: "spat", TypeMAP: "map", TypeRSI: "rsi", TypeRSM: "rsm", TypeObjectList: "objects", TypeSensorInfo: "sensor",
		TypeSubscribe: "subscribe", TypeState: "state", TypeError: "error",
		TypeClockRequest: "clock_request", TypeClockResponse: "clock_response", TypeUpdate: "update", TypeResync: "resync", TypeEvent: "event",
	}
	values := map[Type]uint8{
		TypeBSM: 0x01, TypeSPAT: 0x02, TypeMAP: 0x03, TypeRSI: 0x04, TypeRSM: 0x05, TypeObjectList: 0x06, TypeSensorInfo: 0x07,
		TypeSubscribe: 0x20, TypeState: 0x21, TypeError: 0x22, TypeClockRequest: 0x23, TypeClockResponse: 0x24,
		TypeUpdate: 0x25, TypeResync: 0x26, TypeEvent: 0x27,
	}
	for v := range 256 {
		typ := Type(v)
		name, known := names[typ]
		if typ.Known() != known {
			t.Errorf("%#02x: Known = %v", v, typ.Known())
		}
		if data := v >= 1 && v <= 7; typ.IsData() != data {
			t.Errorf("%#02x: IsData = %v", v, typ.IsData())
		}
		if !known {
			name = fmt.Sprintf("type(0x%02x)", v)
		}
		if typ.String() != name {
			t.Errorf("%#02x: String = %q, want %q", v, typ.String(), name)
		}
	}
	for typ, v := range values {
		if uint8(typ) != v {
			t.Errorf("%s = %#02x, want %#02x", typ, uint8(typ), v)
		}
	}
	if len(allCodecs()) != len(values) {
		t.Errorf("tests cover %d types of %d", len(allCodecs()), len(values))
	}
	if EncodingNative != 0 || EncodingCSAE53 != 1 || EncodingJ2735 != 2 {
		t.Error("encoding values changed")
	}
	if ALPN != "v2x-edge/1" || Version != 1 || HeaderLen != 28 || DefaultMaxFrame != 1<<20 {
		t.Error("protocol constants changed")
	}
}

// TestFrameRoundTrip writes one frame of every type into one stream and
// reads it back with ParseHeader and with Reader.
func TestFrameRoundTrip(t *testing.T) {
	var stream []byte
	var starts []int
	for _, c := range allCodecs() {
		starts = append(starts, len(stream))
		stream = buildFrame(stream, c.header, c.typ, c.sample())
	}
	for i, c := range allCodecs() {
		f := stream[starts[i]:]
		h, err := ParseHeader(f, DefaultMaxFrame)
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		want := c.header
		want.Type, want.Version, want.Length = c.typ, Version, len(c.sample())
		if h != want {
			t.Errorf("%s: header %+v, want %+v", c.typ, h, want)
		}
		if !bytes.Equal(f[HeaderLen:HeaderLen+h.Length], c.sample()) {
			t.Errorf("%s: payload differs", c.typ)
		}
	}
	r := NewReader(bytes.NewReader(stream), 0)
	for i, c := range allCodecs() {
		if off := r.Offset(); off != int64(starts[i]) {
			t.Errorf("%s: reader at offset %d, want %d", c.typ, off, starts[i])
		}
		h, p, err := r.Next()
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		if h.Type != c.typ || h.Seq != c.header.Seq || h.Source != c.header.Source || h.Capture != c.header.Capture {
			t.Errorf("%s: header %+v", c.typ, h)
		}
		if q, err := c.reencode(t, p); err != nil || !bytes.Equal(q, c.sample()) {
			t.Errorf("%s: payload does not decode back: %v", c.typ, err)
		}
	}
	if _, _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
}

// TestMaxFramesFit checks that a message at every limit of package v2x fits
// in a frame under the default limit.
func TestMaxFramesFit(t *testing.T) {
	objs := v2x.ObjectList{Objects: genObjects(v2x.MaxObjects)}
	rsm := v2x.RSM{Participants: genObjects(v2x.MaxObjects)}
	spat := v2x.SPAT{Phases: genPhases(v2x.MaxPhases)}
	m := maxMap()
	rsi := maxRSI()
	st := genState(MaxStateObjects, MaxSignals)
	sizes := map[string]int{
		"objects": len(AppendObjectList(nil, &objs)),
		"rsm":     len(AppendRSM(nil, &rsm)),
		"spat":    len(AppendSPAT(nil, &spat)),
		"map":     len(AppendMap(nil, &m)),
		"rsi":     len(AppendRSI(nil, &rsi)),
		"state":   len(AppendState(nil, &st)),
		"error":   errorHeadLen + MaxErrorMessage,
	}
	for name, n := range sizes {
		if n+HeaderLen-4 > DefaultMaxFrame {
			t.Errorf("largest %s payload is %d bytes, over the default frame limit", name, n)
		}
		t.Logf("largest %s payload: %d bytes", name, n)
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, c := range allCodecs() {
		f.Add(c.frame(), uint32(DefaultMaxFrame))
	}
	f.Add(make([]byte, HeaderLen), uint32(DefaultMaxFrame))
	f.Add(bytes.Repeat([]byte{0xff}, HeaderLen), uint32(math.MaxUint32))
	f.Add([]byte{0, 0, 0, 24, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint32(24))
	f.Fuzz(func(t *testing.T, b []byte, maxFrame uint32) {
		h, err := ParseHeader(b, int(maxFrame))
		switch {
		case err == nil:
		case errors.Is(err, ErrShort):
			if len(b) >= HeaderLen {
				t.Fatalf("ErrShort for %d bytes", len(b))
			}
			return
		case errors.Is(err, ErrLength):
			if n := be32(b, 0); n >= HeaderLen-4 && n <= maxFrame {
				t.Fatalf("ErrLength for length %d, max %d", n, maxFrame)
			}
			return
		case errors.Is(err, ErrVersion):
			if b[4] == Version {
				t.Fatal("ErrVersion for the current version")
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}
		if h.Length < 0 || h.Length+HeaderLen-4 > int(maxFrame) || uint32(h.Length+HeaderLen-4) != be32(b, 0) {
			t.Fatalf("length %d from field %d, max %d", h.Length, be32(b, 0), maxFrame)
		}
		if err != nil {
			return
		}
		// A valid header is canonical: re-encoding gives the same bytes.
		q := AppendHeader(nil, &h)
		binary.BigEndian.PutUint32(q, uint32(HeaderLen-4+h.Length))
		if !bytes.Equal(q, b[:HeaderLen]) {
			t.Fatalf("header re-encodes to % x, was % x", q[:HeaderLen], b[:HeaderLen])
		}
	})
}

// benchCases are the hot frames of the benchmarks.
func benchCases() []struct {
	name   string
	typ    Type
	encode func([]byte) []byte
	decode func([]byte) error
} {
	bsm := sampleBSM()
	objs := v2x.ObjectList{SensorID: 3, Objects: genObjects(50)}
	spat := sampleSPAT()
	st := genState(200, 16)
	var dbsm v2x.BSM
	var dobjs v2x.ObjectList
	var dspat v2x.SPAT
	var dst State
	return []struct {
		name   string
		typ    Type
		encode func([]byte) []byte
		decode func([]byte) error
	}{
		{"type=bsm", TypeBSM, func(b []byte) []byte { return AppendBSM(b, &bsm) }, func(p []byte) error { return DecodeBSM(p, &dbsm) }},
		{"type=objects-50", TypeObjectList, func(b []byte) []byte { return AppendObjectList(b, &objs) }, func(p []byte) error { return DecodeObjectList(p, &dobjs) }},
		{"type=spat", TypeSPAT, func(b []byte) []byte { return AppendSPAT(b, &spat) }, func(p []byte) error { return DecodeSPAT(p, &dspat) }},
		{"type=state-200", TypeState, func(b []byte) []byte { return AppendState(b, &st) }, func(p []byte) error { return DecodeState(p, &dst) }},
	}
}

// BenchmarkEncode measures appending a complete frame (header, payload,
// length) into a reused buffer.
func BenchmarkEncode(b *testing.B) {
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			h := Header{Type: c.typ, Source: 3, Seq: 1, Capture: captureNS}
			buf := make([]byte, 0, 64<<10)
			buf = c.encode(AppendHeader(buf, &h))
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendHeader(buf[:0], &h)
				buf = c.encode(buf)
				FinishFrame(buf, 0)
				h.Seq++
			}
		})
	}
}

// BenchmarkDecode measures parsing the header of a complete frame and
// decoding its payload into a reused struct.
func BenchmarkDecode(b *testing.B) {
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			frame := buildFrame(nil, Header{Source: 3, Seq: 1, Capture: captureNS}, c.typ, c.encode(nil))
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				h, err := ParseHeader(frame, DefaultMaxFrame)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.decode(frame[HeaderLen : HeaderLen+h.Length]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

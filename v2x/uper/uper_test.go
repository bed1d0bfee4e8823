package uper

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Encodings known from X.691 (clause 11 and its examples).
func TestKnownEncodings(t *testing.T) {
	cases := []struct {
		name string
		enc  func(e *Encoder)
		want string
	}{
		{"INTEGER (0..255) 5", func(e *Encoder) { e.Constrained("", 5, 0, 255) }, "05"},
		{"INTEGER (0..7) 5 then (0..1) 1", func(e *Encoder) { e.Constrained("", 5, 0, 7); e.Constrained("", 1, 0, 1) }, "b0"},
		{"INTEGER (3..3) has no bits", func(e *Encoder) { e.Constrained("", 3, 3, 3); e.Bits(0xff, 8) }, "ff"},
		{"length 5", func(e *Encoder) { e.Length("", 5) }, "05"},
		{"length 200", func(e *Encoder) { e.Length("", 200) }, "80c8"},
		{"unconstrained -1", func(e *Encoder) { e.Unconstrained(-1) }, "01ff"},
		{"unconstrained 128", func(e *Encoder) { e.Unconstrained(128) }, "020080"},
		{"semi-constrained (0..MAX) 256", func(e *Encoder) { e.SemiConstrained("", 256, 0) }, "020100"},
		{"small number 5 (7 bits)", func(e *Encoder) { e.SmallNumber("", 5); e.Bits(1, 1) }, "0b"},
		// 1, extension bit 1, extension index 0 as a 7-bit small number
		{"BOOLEAN true, extension enum value 0", func(e *Encoder) { e.Bool(true); e.Enum("", 3, 3, true) }, "c000"},
		// 'A' 1000001, 'B' 1000010, padded: 10000011 00001000
		{"IA5 'AB'", func(e *Encoder) { e.Chars([]byte("AB"), 7) }, "8308"},
	}
	for _, c := range cases {
		var e Encoder
		c.enc(&e)
		got, err := e.Bytes()
		if err != nil || hex.EncodeToString(got) != c.want {
			t.Errorf("%s: got %x (%v), want %s", c.name, got, err, c.want)
		}
	}
}

// TestRoundTrip encodes a sequence of every primitive at its edges and
// decodes it back.
func TestRoundTrip(t *testing.T) {
	var e Encoder
	ints := [][3]int64{{0, 0, 127}, {127, 0, 127}, {-900000000, -900000000, 900000001}, {900000001, -900000000, 900000001},
		{-1799999999, -1799999999, 1800000001}, {1800000001, -1799999999, 1800000001}, {61439, -4096, 61439}, {5, 5, 5}}
	for _, c := range ints {
		e.Constrained("", c[0], c[1], c[2])
	}
	for _, v := range []int64{0, -1, 127, 128, -129, 1 << 40, -(1 << 62)} {
		e.Unconstrained(v)
	}
	for _, v := range []int64{0, 255, 256, 1 << 50} {
		e.SemiConstrained("", v+3, 3)
	}
	for _, v := range []int{0, 63, 64, 1000} {
		e.SmallNumber("", v)
	}
	for _, n := range []int{0, 1, 127, 128, MaxLength} {
		e.Length("", n)
	}
	e.SizedLength("", 3, 1, 8, false)
	e.SizedLength("", 12, 1, 8, true)
	e.SizedLength("", 4, 4, 4, false)
	e.Enum("", 2, 5, false)
	e.Enum("", 7, 5, true)
	e.Choice("", 1, 2, false)
	e.Preamble(true, false, 3, 0b101)
	e.OpenType("", []byte{1, 2, 3})
	e.Chars([]byte("v2x"), 7)
	buf, err := e.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	var d Decoder
	d.Reset(buf)
	for i, c := range ints {
		if v := d.Constrained("int", c[1], c[2]); v != c[0] {
			t.Errorf("constrained %d: %d, want %d", i, v, c[0])
		}
	}
	for _, v := range []int64{0, -1, 127, 128, -129, 1 << 40, -(1 << 62)} {
		if got := d.Unconstrained("u"); got != v {
			t.Errorf("unconstrained: %d, want %d", got, v)
		}
	}
	for _, v := range []int64{0, 255, 256, 1 << 50} {
		if got := d.SemiConstrained("s", 3); got != v+3 {
			t.Errorf("semi-constrained: %d, want %d", got, v+3)
		}
	}
	for _, v := range []int{0, 63, 64, 1000} {
		if got := d.SmallNumber("n"); got != v {
			t.Errorf("small number: %d, want %d", got, v)
		}
	}
	for _, n := range []int{0, 1, 127, 128, MaxLength} {
		if got := d.Length("l"); got != n {
			t.Errorf("length: %d, want %d", got, n)
		}
	}
	if a, b, c := d.SizedLength("a", 1, 8, false), d.SizedLength("b", 1, 8, true), d.SizedLength("c", 4, 4, false); a != 3 || b != 12 || c != 4 {
		t.Errorf("sized lengths %d %d %d", a, b, c)
	}
	if v, ext := d.Enum("e", 5, false); v != 2 || ext {
		t.Errorf("enum %d %v", v, ext)
	}
	if v, ext := d.Enum("e", 5, true); v != 7 || !ext {
		t.Errorf("extended enum %d %v", v, ext)
	}
	if v, _ := d.Choice("c", 2, false); v != 1 {
		t.Errorf("choice %d", v)
	}
	if ext, p := d.Preamble("p", true, 3); ext || p != 0b101 {
		t.Errorf("preamble %v %b", ext, p)
	}
	if p := d.OpenType("o", nil); !bytes.Equal(p, []byte{1, 2, 3}) {
		t.Errorf("open type %x", p)
	}
	if s := d.Chars("s", 3, 7, nil); string(s) != "v2x" {
		t.Errorf("chars %q", s)
	}
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	if d.BytesUsed() != len(buf) {
		t.Errorf("used %d of %d bytes", d.BytesUsed(), len(buf))
	}
}

func TestErrors(t *testing.T) {
	var d Decoder
	d.Reset([]byte{0xff})
	d.Bits("first", 4)
	d.Constrained("coreData.lat", -900000000, 900000001) // needs 31 bits, 4 left
	d.Bits("later", 1)                                   // sticky: no second error
	var e *Error
	if !errors.As(d.Err(), &e) || e.Field != "coreData.lat" || e.Bit != 4 || !errors.Is(e, ErrTruncated) {
		t.Fatalf("got %v", d.Err())
	}
	if !strings.Contains(e.Error(), "coreData.lat at byte 0 (bit 4)") {
		t.Errorf("message %q", e.Error())
	}
	d.Reset([]byte{0xf0}) // 0..4 in 3 bits: 7 is out of range
	if d.Constrained("x", 0, 4); !errors.Is(d.Err(), ErrRange) {
		t.Errorf("out-of-range value: %v", d.Err())
	}
	d.Reset([]byte{0xc0, 0, 0})
	if d.Length("frag"); !errors.Is(d.Err(), ErrFragment) {
		t.Errorf("fragmented length: %v", d.Err())
	}
	// An open type of length 0 is not an encoding (it is what zero
	// padding reads as), wherever it stands.
	for name, read := range map[string]func(d *Decoder){
		"OpenType":     func(d *Decoder) { d.OpenType("o", nil) },
		"SkipOpenType": func(d *Decoder) { d.SkipOpenType("o") },
		"BeginOpen":    func(d *Decoder) { d.BeginOpen("o") },
	} {
		d.Reset([]byte{0, 0, 0})
		if read(&d); !errors.Is(d.Err(), ErrEmptyOpen) {
			t.Errorf("%s of length 0: %v", name, d.Err())
		}
	}
	var enc Encoder
	enc.Constrained("speed", 9000, 0, 8191)
	if _, err := enc.Bytes(); err == nil || !strings.Contains(err.Error(), "speed") {
		t.Errorf("encoder range error: %v", err)
	}
}

// bsmCore is the start of a J2735 BasicSafetyMessage: its preamble and the
// first fields of BSMcoreData.
type bsmCore struct {
	partII, regional bool
	msgCnt           int64
	id               []byte
	secMark          int64
	lat, long, elev  int64
}

func decodeBSMCore(d *Decoder, c *bsmCore) {
	_, opt := d.Preamble("BasicSafetyMessage", true, 2)
	c.partII, c.regional = opt&2 != 0, opt&1 != 0
	c.msgCnt = d.Constrained("coreData.msgCnt", 0, 127)
	c.id = d.Octets("coreData.id", 4, c.id[:0])
	c.secMark = d.Constrained("coreData.secMark", 0, 65535)
	c.lat = d.Constrained("coreData.lat", -900000000, 900000001)
	c.long = d.Constrained("coreData.long", -1799999999, 1800000001)
	c.elev = d.Constrained("coreData.elev", -4096, 61439)
}

// TestJ2735BSMFrames walks the 128 back-to-back MessageFrames of the
// usdot-jpo-ode sample: each is messageId 20 with an open-type value, they
// use the file exactly, the first core data fields of every BSM match the
// reference XER, and re-encoding the frame wrapper gives the same bytes.
func TestJ2735BSMFrames(t *testing.T) {
	data, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.uper")
	if err != nil {
		t.Fatal(err)
	}
	xer, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.xer")
	if err != nil {
		t.Fatal(err)
	}
	cores := regexp.MustCompile(`(?s)<coreData>.*?</coreData>`).FindAllString(string(xer), -1)
	field := func(name string) []string {
		var out []string
		re := regexp.MustCompile(`<` + name + `>([^<]*)</` + name + `>`)
		for _, c := range cores {
			if m := re.FindStringSubmatch(c); m != nil {
				out = append(out, strings.TrimSpace(m[1]))
			}
		}
		return out
	}
	want := map[string][]string{}
	for _, f := range []string{"msgCnt", "id", "secMark", "lat", "long", "elev"} {
		if want[f] = field(f); len(want[f]) != 128 {
			t.Fatalf("XER has %d <%s>, want 128", len(want[f]), f)
		}
	}
	num := func(f string, i int) int64 {
		v, err := strconv.ParseInt(want[f][i], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var d, inner Decoder
	var value []byte
	var c bsmCore
	off := 0
	for i := 0; i < 128; i++ {
		d.Reset(data[off:])
		d.Preamble("MessageFrame", true, 0)
		id := d.Constrained("MessageFrame.messageId", 0, 32767)
		value = d.OpenType("MessageFrame.value", value[:0])
		if err := d.Err(); err != nil {
			t.Fatalf("frame %d at byte %d: %v", i, off, err)
		}
		if id != 20 {
			t.Fatalf("frame %d: messageId %d, want 20 (BSM)", i, id)
		}
		var e Encoder
		e.Preamble(true, false, 0, 0)
		e.Constrained("messageId", id, 0, 32767)
		e.OpenType("value", value)
		re, _ := e.Bytes()
		if !bytes.Equal(re, data[off:off+d.BytesUsed()]) {
			t.Fatalf("frame %d: wrapper re-encodes differently", i)
		}
		inner.Reset(value)
		decodeBSMCore(&inner, &c)
		if err := inner.Err(); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		hexID := strings.ToUpper(hex.EncodeToString(c.id))
		if c.msgCnt != num("msgCnt", i) || hexID != strings.ReplaceAll(want["id"][i], " ", "") || c.secMark != num("secMark", i) ||
			c.lat != num("lat", i) || c.long != num("long", i) || c.elev != num("elev", i) {
			t.Fatalf("frame %d: decoded %+v (id %s), XER msgCnt %s id %s secMark %s lat %s long %s elev %s", i, c, hexID,
				want["msgCnt"][i], want["id"][i], want["secMark"][i], want["lat"][i], want["long"][i], want["elev"][i])
		}
		off += d.BytesUsed()
	}
	if off != len(data) {
		t.Fatalf("128 frames used %d of %d bytes", off, len(data))
	}
}

func TestDecodeAllocatesNothing(t *testing.T) {
	data, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.uper")
	if err != nil {
		t.Fatal(err)
	}
	var d, inner Decoder
	value := make([]byte, 0, 512)
	c := bsmCore{id: make([]byte, 0, 4)}
	if n := testing.AllocsPerRun(100, func() {
		d.Reset(data)
		d.Preamble("MessageFrame", true, 0)
		d.Constrained("messageId", 0, 32767)
		value = d.OpenType("value", value[:0])
		inner.Reset(value)
		decodeBSMCore(&inner, &c)
	}); n != 0 {
		t.Fatalf("%v allocations per frame", n)
	}
}

func BenchmarkFrameAndBSMCore(b *testing.B) {
	data, err := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.uper")
	if err != nil {
		b.Fatal(err)
	}
	var d, inner Decoder
	value := make([]byte, 0, 512)
	c := bsmCore{id: make([]byte, 0, 4)}
	b.ReportAllocs()
	for b.Loop() {
		d.Reset(data)
		d.Preamble("MessageFrame", true, 0)
		d.Constrained("messageId", 0, 32767)
		value = d.OpenType("value", value[:0])
		inner.Reset(value)
		decodeBSMCore(&inner, &c)
	}
}

// FuzzDecoder drives every primitive over arbitrary input: errors, never
// panics, and an error's bit offset lies within the input.
func FuzzDecoder(f *testing.F) {
	data, _ := os.ReadFile("testdata/j2735.MessageFrame.128.bsms.uper")
	f.Add(data[:200])
	f.Add([]byte{0xc0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Decoder
		d.Reset(b)
		d.Preamble("p", true, 3)
		d.Constrained("c", -900000000, 900000001)
		d.SemiConstrained("s", 0)
		d.Unconstrained("u")
		d.SmallNumber("n")
		d.SizedLength("l", 1, 32, true)
		d.Enum("e", 5, true)
		d.OpenType("o", nil)
		d.SkipOpenType("k")
		d.SkipExtensions("x")
		d.Chars("ch", 3, 7, nil)
		var e *Error
		if err := d.Err(); err != nil {
			if !errors.As(err, &e) || e.Bit < 0 || e.Bit > 8*len(b) {
				t.Fatalf("bad error %v", err)
			}
		} else if d.Pos() > 8*len(b) {
			t.Fatalf("read past the end without an error")
		}
	})
}

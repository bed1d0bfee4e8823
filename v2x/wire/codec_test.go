package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// update rewrites the golden frames in testdata/golden from the samples.
var update = flag.Bool("update", false, "rewrite testdata/golden/*.hex from the test samples")

// The sample intersection: Futian, Shenzhen.
const (
	refLat = 22.5431
	refLon = 114.0579
	// metres per degree at the reference latitude (for generated samples)
	mPerDegLat = 110_772.0
	mPerDegLon = 102_811.0
	// captureNS is 2025-05-12T08:30:00.123456789Z, the capture time of the
	// sample frames.
	captureNS int64 = 1_747_038_600_123_456_789
)

// payloadCodec drives the tests shared by every payload type: golden
// frames, frame round trips, fuzz seeds and properties.
type payloadCodec struct {
	typ    Type
	header Header        // header of the golden frame (Type is set from typ)
	sample func() []byte // payload of the golden frame
	// reencode decodes p, checks the decoder's limits and its reuse of a
	// dirty destination, and returns the encoding of what it decoded.
	reencode func(t testing.TB, p []byte) ([]byte, error)
	// canon returns a copy of a decodable payload with every reserved byte
	// and undefined flag bit cleared: what the encoder writes for it.
	canon func(p []byte) []byte
}

// allCodecs lists one entry per frame type, in type order.
func allCodecs() []*payloadCodec {
	return []*payloadCodec{&bsmCodec, &spatCodec, &mapCodec, &rsiCodec, &rsmCodec, &objectsCodec, &sensorCodec,
		&subscribeCodec, &stateCodec, &errorCodec, &clockRequestCodec, &clockResponseCodec, &updateCodec, &resyncCodec, &eventCodec}
}

func codecFor(t Type) *payloadCodec {
	for _, c := range allCodecs() {
		if c.typ == t {
			return c
		}
	}
	return nil
}

// frame returns the complete golden frame of c.
func (c *payloadCodec) frame() []byte {
	return buildFrame(nil, c.header, c.typ, c.sample())
}

// buildFrame appends a complete frame of type typ with header h and the
// given payload.
func buildFrame(b []byte, h Header, typ Type, payload []byte) []byte {
	h.Type = typ
	start := len(b)
	b = AppendHeader(b, &h)
	b = append(b, payload...)
	FinishFrame(b, start)
	return b
}

// be32 and be64 read big-endian integers at off, for layout tests.
func be32(p []byte, off int) uint32 { return binary.BigEndian.Uint32(p[off:]) }
func be64(p []byte, off int) uint64 { return binary.BigEndian.Uint64(p[off:]) }

// cloneBytes returns a copy of p that never aliases it.
func cloneBytes(p []byte) []byte { return append([]byte{}, p...) }

// checkPrefixes asserts that decode rejects every proper prefix of a valid
// payload with an error wrapping ErrTruncated, without panicking.
func checkPrefixes(t *testing.T, p []byte, decode func([]byte) error) {
	t.Helper()
	if err := decode(p); err != nil {
		t.Fatalf("full payload: %v", err)
	}
	for n := range len(p) {
		// a fresh copy so that a decoder reading past the prefix would be
		// caught by the race detector or a bounds check, not by luck
		q := cloneBytes(p[:n])
		err := decode(q)
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("prefix of %d/%d bytes: got %v, want ErrTruncated", n, len(p), err)
		}
	}
}

// checkTrailing asserts that decode rejects a valid payload followed by
// extra bytes with an error wrapping ErrInvalid.
func checkTrailing(t *testing.T, p []byte, decode func([]byte) error) {
	t.Helper()
	for _, extra := range [][]byte{{0}, {0xff, 0xff, 0xff, 0xff}, make([]byte, 60)} {
		q := append(cloneBytes(p), extra...)
		if err := decode(q); !errors.Is(err, ErrInvalid) {
			t.Errorf("%d trailing bytes: got %v, want ErrInvalid", len(extra), err)
		}
	}
}

// checkDecodeErr asserts that err wraps want.
func checkDecodeErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got %v, want an error wrapping %v", what, err, want)
	}
}

// checkDecodeError is the fuzz property for a failed decode: only the two
// payload errors may come out.
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrInvalid) {
		t.Fatalf("decode error %v wraps neither ErrTruncated nor ErrInvalid", err)
	}
}

// fuzzPayload runs the common payload fuzz property for c: no panic; a
// failed decode reports ErrTruncated or ErrInvalid; a successful decode
// re-encodes to the input with its reserved bytes cleared.
//
// Seeds are kept to a few hundred bytes: the fuzzer minimizes every new
// input with a pass that is quadratic in its length, and inputs grown from
// kilobyte seeds stall it for tens of seconds. Lists at their limits are
// covered by the unit tests.
func fuzzPayload(f *testing.F, c *payloadCodec, seeds ...[]byte) {
	f.Add(c.sample())
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		q, err := c.reencode(t, p)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if want := c.canon(p); !bytes.Equal(q, want) {
			t.Fatalf("re-encoding differs at byte %d\n in: %x\nout: %x", firstDiff(q, want), want, q)
		}
	})
}

// firstDiff returns the first offset where a and b differ.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// sameValue reports whether a and b hold the same message: floats are
// compared by their bits (so NaN payloads count) and a nil slice equals an
// empty one.
func sameValue(a, b any) bool { return sameV(reflect.ValueOf(a), reflect.ValueOf(b)) }

func sameV(a, b reflect.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32:
		return math.Float32bits(a.Interface().(float32)) == math.Float32bits(b.Interface().(float32))
	case reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameV(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameV(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameV(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	default:
		return a.Interface() == b.Interface()
	}
}

func TestSameValue(t *testing.T) {
	nan1 := math.Float32frombits(0x7fc00001)
	nan2 := math.Float32frombits(0x7fc00002)
	type s struct {
		F float32
		L []int
	}
	cases := []struct {
		a, b any
		want bool
	}{
		{s{F: 1}, s{F: 1, L: []int{}}, true},
		{s{F: nan1}, s{F: nan1}, true},
		{s{F: nan1}, s{F: nan2}, false},
		{s{L: []int{1}}, s{L: []int{2}}, false},
		{math.Copysign(0, -1), 0.0, false},
	}
	for i, c := range cases {
		if got := sameValue(c.a, c.b); got != c.want {
			t.Errorf("case %d: sameValue = %v, want %v", i, got, c.want)
		}
	}
}

func TestDecCursor(t *testing.T) {
	d := dec{b: []byte{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}}
	if v := d.u8(); v != 0x01 {
		t.Fatalf("u8 = %#x", v)
	}
	if v := d.u16(); v != 0x0203 {
		t.Fatalf("u16 = %#x", v)
	}
	if v := d.u32(); v != 0x04050607 {
		t.Fatalf("u32 = %#x", v)
	}
	if !d.need(8) || d.bad {
		t.Fatal("need(8) with 8 bytes left failed")
	}
	if v := d.u64(); v != 0x08090a0b0c0d0e0f {
		t.Fatalf("u64 = %#x", v)
	}
	if d.bad || len(d.b) != 0 {
		t.Fatalf("after exact reads: bad=%v, %d left", d.bad, len(d.b))
	}
	if v := d.u8(); v != 0 || !d.bad {
		t.Fatalf("read past the end: %d, bad=%v", v, d.bad)
	}

	// A short read poisons the cursor even if later reads would fit.
	d = dec{b: []byte{1, 2, 3}}
	if v := d.u32(); v != 0 || !d.bad {
		t.Fatalf("short u32: %d, bad=%v", v, d.bad)
	}
	if v := d.u8(); v != 0 {
		t.Fatalf("u8 after a short read = %d, want 0", v)
	}
	d = dec{b: []byte{1, 2, 3}}
	if d.need(4) || !d.bad {
		t.Fatal("need(4) with 3 bytes succeeded")
	}

	// Signed and float views of the same bits.
	var b []byte
	b = appendU32(b, math.Float32bits(-1.5))
	b = appendF64(b, 22.5431)
	b = appendU32(b, 0xfffffffe)
	b = appendU64(b, 0xffffffffffffff00)
	d = dec{b: b}
	if v := d.f32(); v != -1.5 {
		t.Errorf("f32 = %v", v)
	}
	if v := d.f64(); v != 22.5431 {
		t.Errorf("f64 = %v", v)
	}
	if v := d.i32(); v != -2 {
		t.Errorf("i32 = %v", v)
	}
	if v := d.i64(); v != -256 {
		t.Errorf("i64 = %v", v)
	}
}

func TestCheckLen(t *testing.T) {
	if err := checkLen("x", 8, 8); err != nil {
		t.Errorf("exact: %v", err)
	}
	checkDecodeErr(t, "short", checkLen("x", 7, 8), ErrTruncated)
	checkDecodeErr(t, "long", checkLen("x", 9, 8), ErrInvalid)
}

func TestGrow(t *testing.T) {
	s := make([]int, 3, 10)
	g := grow(s, 7)
	if len(g) != 7 || &g[0] != &s[0] {
		t.Errorf("grow within capacity: len %d, reused %v", len(g), &g[0] == &s[0])
	}
	g = grow(s, 11)
	if len(g) != 11 || cap(g) != 11 {
		t.Errorf("grow beyond capacity: len %d cap %d", len(g), cap(g))
	}
	if g := grow[int](nil, 0); len(g) != 0 {
		t.Errorf("grow(nil, 0) = %#v", g)
	}
}

// goldenPath is the file holding the golden frame of type typ.
func goldenPath(typ Type) string {
	return filepath.Join("testdata", "golden", typ.String()+".hex")
}

// formatGolden renders a frame as the golden file's text: comment lines
// starting with '#', then the bytes in hex, 16 a line.
func formatGolden(typ Type, frame []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# v2x-edge native frame, type %s (0x%02x), %d bytes: %d header + %d payload.\n",
		typ, uint8(typ), len(frame), HeaderLen, len(frame)-HeaderLen)
	b.WriteString("# Generated from the test samples by `go test ./v2x/wire -update`; docs/protocol.md describes the layout.\n")
	for i := 0; i < len(frame); i += 16 {
		line := frame[i:min(i+16, len(frame))]
		for j, c := range line {
			if j > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%02x", c)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// parseGolden reads the bytes of a golden file.
func parseGolden(text []byte) ([]byte, error) {
	var h strings.Builder
	for line := range strings.SplitSeq(string(text), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		h.WriteString(strings.Join(strings.Fields(line), ""))
	}
	return hex.DecodeString(h.String())
}

// readGolden returns the golden frame of typ.
func readGolden(t testing.TB, typ Type) []byte {
	t.Helper()
	text, err := os.ReadFile(goldenPath(typ))
	if err != nil {
		t.Fatalf("%v (run go test ./v2x/wire -update to create it)", err)
	}
	b, err := parseGolden(text)
	if err != nil {
		t.Fatalf("%s: %v", goldenPath(typ), err)
	}
	return b
}

// TestGolden pins the wire format: one complete frame of each type must
// match testdata/golden/<type>.hex byte for byte.
func TestGolden(t *testing.T) {
	want := map[string]bool{}
	for _, c := range allCodecs() {
		path := goldenPath(c.typ)
		want[filepath.Base(path)] = true
		frame := c.frame()
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, formatGolden(c.typ, frame), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got := readGolden(t, c.typ)
		if !bytes.Equal(got, frame) {
			t.Errorf("%s: the encoder's frame (%d bytes) differs from the golden file (%d bytes) at byte %d;\n"+
				"if the wire format changed on purpose, update docs/protocol.md and run go test ./v2x/wire -update",
				path, len(frame), len(got), firstDiff(got, frame))
		}
		// The golden frame decodes back to the sample.
		h, err := ParseHeader(got, DefaultMaxFrame)
		if err != nil || h.Type != c.typ || HeaderLen+h.Length != len(got) {
			t.Errorf("%s: header %+v, %v", path, h, err)
			continue
		}
		if q, err := c.reencode(t, got[HeaderLen:]); err != nil || !bytes.Equal(q, got[HeaderLen:]) {
			t.Errorf("%s: payload does not round-trip: %v", path, err)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.hex"))
	var stray []string
	for _, f := range files {
		if !want[filepath.Base(f)] {
			stray = append(stray, f)
		}
	}
	sort.Strings(stray)
	if len(stray) > 0 {
		t.Errorf("golden files without a frame type: %v", stray)
	}
}

func TestGoldenFormat(t *testing.T) {
	frame := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0xab}
	text := formatGolden(TypeBSM, frame)
	got, err := parseGolden(text)
	if err != nil || !bytes.Equal(got, frame) {
		t.Fatalf("parseGolden(formatGolden(x)) = %x, %v\n%s", got, err, text)
	}
	if !bytes.Contains(text, []byte("\n10 ab\n")) {
		t.Errorf("unexpected layout:\n%s", text)
	}
}

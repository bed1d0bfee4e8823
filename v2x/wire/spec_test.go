package wire

// The spec tests read docs/protocol.md and check what its tables say
// against this package: constants, enumerations, flag bits, layouts
// (every field's offset and type, read back from an encoding), payload
// sizes, limits and struct formats. A change to either side that the other
// does not follow fails here.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// packageConsts returns the names of the constants this package declares
// (outside tests).
func packageConsts(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					names = append(names, n.Name)
				}
			}
		}
	}
	return names
}

// constsLike returns the package's constants whose names match re.
func constsLike(t *testing.T, re string) []string {
	t.Helper()
	r := regexp.MustCompile(re)
	var out []string
	for _, n := range packageConsts(t) {
		if r.MatchString(n) {
			out = append(out, n)
		}
	}
	return out
}

// checkNamed checks a table whose rows name constants: each row's value
// column must equal the constant named in its name column, and every
// constant of the family (family, from the package source) must have a
// row.
func checkNamed(t *testing.T, tb *specTable, valueCol, nameCol string, consts map[string]int64, family []string) {
	t.Helper()
	cv, cn := tb.col(t, valueCol), tb.col(t, nameCol)
	seen := map[string]bool{}
	for i, r := range tb.rows {
		name := unquote(r[cn])
		v, ok := specInt(r[cv])
		if !ok || name == "—" {
			continue // a range of undefined values
		}
		want, ok := consts[name]
		if !ok {
			t.Errorf("%s: %s is not a constant the spec test knows", tb.where(i), name)
			continue
		}
		seen[name] = true
		if v != want {
			t.Errorf("%s: %s is %#x in the spec, %#x in v2x/wire", tb.where(i), name, v, want)
		}
	}
	for _, n := range family {
		if !seen[n] {
			t.Errorf("%s:%d (§%s): v2x/wire constant %s has no row", specPath, tb.line, tb.section, n)
		}
	}
}

func TestSpecTransport(t *testing.T) {
	d := readSpec(t)
	tb := d.table(t, "1. Transport", "item", "value")
	found := false
	for _, r := range tb.rows {
		if r[0] == "ALPN" {
			found = true
			if !strings.HasPrefix(r[1], "`"+ALPN+"`") {
				t.Errorf("spec ALPN %s, v2x/wire says %q", r[1], ALPN)
			}
		}
	}
	if !found {
		t.Error("§1 does not give the ALPN")
	}
	checkNamed(t, d.table(t, "1. Transport", "scope", "code", "constant"), "code", "constant",
		map[string]int64{"ConnErrNone": ConnErrNone, "ConnErrShutdown": ConnErrShutdown, "ConnErrRevoked": ConnErrRevoked, "ConnErrOverloaded": ConnErrOverloaded,
			"StreamErrFraming": StreamErrFraming, "StreamErrOverloaded": StreamErrOverloaded},
		constsLike(t, `^(ConnErr|StreamErr)`))
}

func TestSpecHeader(t *testing.T) {
	d := readSpec(t)
	h := Header{Type: 0x5a, Encoding: 0x6b, Flags: 0x7c, Source: 0x01020304, Seq: 0x1112131415161718, Capture: -0x2122232425262728}
	b := append(AppendHeader(nil, &h), 1, 2, 3)
	FinishFrame(b, 0)
	end := checkLayout(t, d.table(t, "3. Frames", "offset"), b, map[string]any{
		"Length": uint64(HeaderLen - 4 + 3), "Version": uint64(Version), "Type": uint64(h.Type), "Encoding": uint64(h.Encoding),
		"Flags": uint64(h.Flags), "Source": uint64(h.Source), "Seq": h.Seq, "Capture": h.Capture})
	if end != HeaderLen {
		t.Errorf("§3: the header ends at %d, HeaderLen is %d", end, HeaderLen)
	}
	if f := pythonFormats(d.section(t, "3. Frames")); len(f) != 1 || calcsize(t, f[0]) != HeaderLen {
		t.Errorf("§3: Python formats %q, want one of %d bytes", f, HeaderLen)
	}
	text := d.section(t, "3.1 The length field").text
	m := regexp.MustCompile(`\*\*1 MiB \(([0-9 ]+)\) by default\*\*`).FindStringSubmatch(text)
	if v, ok := specInt(m[1]); !ok || v != DefaultMaxFrame {
		t.Errorf("§3.1: default frame limit %q, DefaultMaxFrame %d", m, DefaultMaxFrame)
	}
}

func TestSpecEncodings(t *testing.T) {
	d := readSpec(t)
	checkNamed(t, d.table(t, "3.2 Encodings", "value", "constant"), "value", "constant",
		map[string]int64{"EncodingNative": int64(EncodingNative), "EncodingCSAE53": int64(EncodingCSAE53), "EncodingJ2735": int64(EncodingJ2735)},
		constsLike(t, `^Encoding[A-Z]`))
	// The type values the standard encodings take are the frame types.
	text := d.section(t, "3.2 Encodings").text
	for _, typ := range []Type{TypeBSM, TypeSPAT, TypeMAP, TypeRSI, TypeRSM} {
		want := strings.ToUpper(typ.String()) + " " + hex02(uint8(typ))
		if !strings.Contains(text, want) {
			t.Errorf("§3.2 does not say %q", want)
		}
	}
	if !strings.Contains(text, "receives frames of type "+hex02(uint8(TypeRSM))+" (RSM) with encoding 1") {
		t.Errorf("§3.2 does not give the CSAE RSM output as type %s", hex02(uint8(TypeRSM)))
	}
}

func hex02(v uint8) string { return "0x" + hex.EncodeToString([]byte{v}) }

func TestSpecFrameTypes(t *testing.T) {
	d := readSpec(t)
	tb := d.table(t, "4. Frame types", "value", "name")
	cv, cn := tb.col(t, "value"), tb.col(t, "name")
	var doc []Type
	for i, r := range tb.rows {
		v, ok := specInt(r[cv])
		if !ok {
			t.Fatalf("%s: value %q", tb.where(i), r[cv])
		}
		typ := Type(v)
		doc = append(doc, typ)
		if name := strings.Fields(r[cn])[0]; unquote(name) != typ.String() {
			t.Errorf("%s: type %#x is %s in the spec, %s in v2x/wire", tb.where(i), v, name, typ)
		}
		if !typ.Known() {
			t.Errorf("%s: type %#x is not Known to v2x/wire", tb.where(i), v)
		}
	}
	for v := 0; v < 256; v++ {
		if Type(v).Known() && !slices.Contains(doc, Type(v)) {
			t.Errorf("§4: v2x/wire knows type %#x, the spec's table does not", v)
		}
		if Type(v).IsData() != (v >= 0x01 && v <= 0x07) {
			t.Errorf("§4: the spec's data types are 0x01–0x07, IsData(%#x) is %v", v, Type(v).IsData())
		}
	}
	if !strings.Contains(d.section(t, "4. Frame types").text, "Types 0x01–0x07 are the **data** types") {
		t.Error("§4 does not say the data types are 0x01–0x07")
	}
	if n := len(constsLike(t, `^Type[A-Z]`)); n != len(doc) {
		t.Errorf("§4 lists %d types, v2x/wire declares %d Type constants", len(doc), n)
	}
}

func TestSpecErrorCodes(t *testing.T) {
	d := readSpec(t)
	tb := d.table(t, "9. Errors", "code", "name")
	var doc []Code
	for i, r := range tb.rows {
		v, ok := specInt(r[0])
		if !ok {
			t.Fatalf("%s: code %q", tb.where(i), r[0])
		}
		doc = append(doc, Code(v))
		if Code(v).String() != unquote(r[1]) {
			t.Errorf("%s: code %d is %s in the spec, %s in v2x/wire", tb.where(i), v, r[1], Code(v))
		}
	}
	if !slices.Equal(doc, AllCodes()) {
		t.Errorf("§9 lists codes %v, v2x/wire AllCodes %v", doc, AllCodes())
	}
	if n := len(constsLike(t, `^Code[A-Z]`)); n != len(doc) {
		t.Errorf("§9 lists %d codes, v2x/wire declares %d Code constants", len(doc), n)
	}
}

func TestSpecCompressions(t *testing.T) {
	d := readSpec(t)
	tb := d.table(t, "5.12 Update", "value", "name")
	var n int
	for i, r := range tb.rows {
		v, ok := specInt(r[0])
		if !ok {
			t.Fatalf("%s: value %q", tb.where(i), r[0])
		}
		n++
		if c := Compression(v); !c.Valid() || c.String() != unquote(r[1]) {
			t.Errorf("%s: compression %d is %s in the spec, %s in v2x/wire", tb.where(i), v, r[1], c)
		}
	}
	for v := 0; v < 256; v++ {
		if Compression(v).Valid() != (v < n) {
			t.Errorf("§5.12 defines compressions 0–%d, Valid(%d) is %v", n-1, v, Compression(v).Valid())
		}
	}
	text := d.section(t, "5.12 Update").text
	m := regexp.MustCompile("dictionary id `(0x[0-9a-f]+)`").FindStringSubmatch(text)
	if id, ok := specInt(m[1]); !ok || uint32(id) != binary.LittleEndian.Uint32(StateDict[4:8]) {
		t.Errorf("§5.12 gives dictionary id %s, statedict.bin has %#x", m[1], binary.LittleEndian.Uint32(StateDict[4:8]))
	}
	m = regexp.MustCompile(`at most (\d+) \+ (\d+)·(\d+) \+ (\d+)·(\d+)`).FindStringSubmatch(d.section(t, "5.12 Update").tables[0].rows[4][4])
	if m == nil {
		t.Fatal("§5.12: RawLen bound not found")
	}
	var v [5]int64
	for i := range v {
		v[i], _ = specInt(m[i+1])
	}
	if got := v[0] + v[1]*v[2] + v[3]*v[4]; got != MaxUpdateRaw || v[1] != MaxStateObjects || v[3] != MaxSignals {
		t.Errorf("§5.12: RawLen %s = %d, MaxUpdateRaw is %d", m[0], got, MaxUpdateRaw)
	}
}

// TestSpecPackedFields checks the resolution table of Update bodies.
func TestSpecPackedFields(t *testing.T) {
	d := readSpec(t)
	tb := d.table(t, "5.12 Update", "bit", "field", "resolution")
	seen := 0
	for i, r := range tb.rows {
		var bits []int64
		for _, f := range strings.FieldsFunc(r[0], func(c rune) bool { return c == ',' || c == '–' || c == ' ' }) {
			b, ok := specInt(f)
			if !ok {
				t.Fatalf("%s: bit %q", tb.where(i), r[0])
			}
			bits = append(bits, b)
		}
		if strings.Contains(r[0], "–") {
			bits = nil
			lo, _ := specInt(strings.Split(r[0], "–")[0])
			hi, _ := specInt(strings.Split(r[0], "–")[1])
			for b := lo; b <= hi; b++ {
				bits = append(bits, b)
			}
		}
		res := 1.0
		if r[2] != "exact" {
			var ok bool
			if res, ok = specFloat(strings.Fields(r[2])[0]); !ok {
				t.Fatalf("%s: resolution %q", tb.where(i), r[2])
			}
		}
		for _, b := range bits {
			if b != int64(seen) {
				t.Errorf("%s: bit %d out of order (want %d)", tb.where(i), b, seen)
			}
			seen++
			if b >= NumPackedFields || packedRes[b] != res {
				t.Errorf("%s: bit %d has resolution %v in the spec, %v in v2x/wire", tb.where(i), b, res, packedRes[min(b, NumPackedFields-1)])
			}
		}
	}
	if seen != NumPackedFields {
		t.Errorf("§5.12 lists %d packed fields, v2x/wire %d", seen, NumPackedFields)
	}
}

// TestSpecFlags checks §6.7 and that every Subscribe flag of the code is
// in it.
func TestSpecFlags(t *testing.T) {
	d := readSpec(t)
	tb := d.table(t, "6.7 Flags", "field", "bit", "name")
	flags := map[string]int64{"HasCov": objHasCov, "Ingress": laneIngress, "SubCenter": SubCenter, "SubPacked": SubPacked,
		"SubNoDatagram": SubNoDatagram, "SubCSAERSM": SubCSAERSM, "SubUncompressed": SubUncompressed, "SubEvents": SubEvents,
		"SubJ2735SDSM": SubJ2735SDSM, "SubRSI": SubRSI, "SubCSAERSI": SubCSAERSI,
		"Keyframe": StateKeyframe, "UpdateKeyframe": UpdateKeyframe, "More": int64(FlagMore)}
	seen := map[string]bool{}
	for i, r := range tb.rows {
		bit, ok := specInt(r[1])
		if !ok {
			continue // "—": none defined
		}
		name := unquote(r[2])
		v, ok := flags[name]
		switch {
		case !ok:
			t.Errorf("%s: flag %s is not known to the spec test", tb.where(i), name)
		case v != 1<<bit:
			t.Errorf("%s: %s is bit %d in the spec, %#x in v2x/wire", tb.where(i), name, bit, v)
		}
		seen[name] = true
	}
	for name := range flags {
		if !seen[name] {
			t.Errorf("§6.7: flag %s of v2x/wire is not in the table", name)
		}
	}
	for _, n := range constsLike(t, `^Sub[A-Z][A-Za-z0-9]*$`) {
		if _, ok := flags[n]; !ok && !strings.HasPrefix(n, "Subscribe") {
			t.Errorf("v2x/wire declares Subscribe flag %s; add it to §5.8, §6.7 and this test", n)
		}
	}
	// §5.8 describes each Subscribe flag with its bit.
	sub := d.table(t, "5.8 Subscribe", "offset").rows[0][5]
	for name, v := range flags {
		if strings.HasPrefix(name, "Sub") {
			want := "Bit " + string(rune('0'+bitOf(v))) + " `" + name + "`"
			if bitOf(v) == 0 {
				want = "bit 0 `" + name + "`"
			}
			if !strings.Contains(sub, want) {
				t.Errorf("§5.8 Flags does not say %q", want)
			}
		}
	}
}

func bitOf(v int64) int {
	for b := 0; b < 63; b++ {
		if v == 1<<b {
			return b
		}
	}
	return -1
}

// TestSpecEnumerations checks the tables of §6.1–§6.6.
func TestSpecEnumerations(t *testing.T) {
	d := readSpec(t)
	tb := d.table(t, "6.1 Participant class", "value", "name", "mask bit")
	for i, r := range tb.rows {
		v, _ := specInt(r[0])
		mask, _ := specInt(r[2])
		c := v2x.Class(v)
		if !c.Valid() || c.String() != r[1] || int64(v2x.MaskOf(c)) != mask {
			t.Errorf("%s: class %d %s mask %#x; v2x says %s mask %#x", tb.where(i), v, r[1], mask, c, v2x.MaskOf(c))
		}
	}
	if len(tb.rows) != v2x.NumClasses {
		t.Errorf("§6.1 lists %d classes, v2x %d", len(tb.rows), v2x.NumClasses)
	}
	tb = d.table(t, "6.2 Light state", "value", "name")
	for i, r := range tb.rows {
		v, _ := specInt(r[0])
		if s := v2x.LightState(v); !s.Valid() || s.String() != r[1] {
			t.Errorf("%s: light state %d is %s in the spec, %s in v2x", tb.where(i), v, r[1], s)
		}
	}
	if v2x.LightState(len(tb.rows)).Valid() {
		t.Errorf("§6.2 lists %d light states, v2x has more", len(tb.rows))
	}
	byName := func(prefix string, consts map[string]int64, valid func(int64) bool) {
		t.Helper()
		tb := d.table(t, prefix, "value", "name")
		for i, r := range tb.rows {
			v, _ := specInt(r[0])
			name := strings.Fields(r[1])[0]
			if want, ok := consts[name]; !ok || want != v {
				t.Errorf("%s: %s is %d in the spec, %d (known %v) in v2x", tb.where(i), name, v, want, ok)
			}
		}
		if len(tb.rows) != len(consts) {
			t.Errorf("§%s lists %d values, v2x %d", prefix, len(tb.rows), len(consts))
		}
		if valid != nil && valid(int64(len(tb.rows))) {
			t.Errorf("§%s: value %d is valid in v2x but not in the spec", prefix, len(tb.rows))
		}
	}
	byName("6.3 Lane kind", map[string]int64{"vehicle": int64(v2x.LaneVehicle), "crosswalk": int64(v2x.LaneCrosswalk),
		"bike": int64(v2x.LaneBike), "sidewalk": int64(v2x.LaneSidewalk)}, func(v int64) bool { return v2x.LaneKind(v).Valid() })
	byName("6.5 Source type", map[string]int64{"unknown": int64(v2x.SourceUnknown), "self": int64(v2x.SourceSelf), "v2x": int64(v2x.SourceV2X),
		"video": int64(v2x.SourceVideo), "radar": int64(v2x.SourceRadar), "loop": int64(v2x.SourceLoop), "lidar": int64(v2x.SourceLidar),
		"integrated": int64(v2x.SourceIntegrated)}, nil)
	byName("6.6 Event kind", map[string]int64{"event": int64(v2x.KindEvent), "sign": int64(v2x.KindSign)}, nil)

	tb = d.table(t, "6.4 Maneuvers", "bit", "value", "movement")
	moves := map[string]v2x.Maneuver{"straight": v2x.ManeuverStraight, "left turn": v2x.ManeuverLeft,
		"right turn": v2x.ManeuverRight, "U-turn": v2x.ManeuverUTurn}
	for i, r := range tb.rows {
		bit, _ := specInt(r[0])
		v, _ := specInt(r[1])
		if m, ok := moves[r[2]]; !ok || int64(m) != v || v != 1<<bit {
			t.Errorf("%s: %s is bit %d (%#x) in the spec, %#x in v2x", tb.where(i), r[2], bit, v, m)
		}
	}
	if len(tb.rows) != len(moves) {
		t.Errorf("§6.4 lists %d maneuvers, v2x %d", len(tb.rows), len(moves))
	}
}

// TestSpecWorkedExample: the frame of §10 is the golden BSM frame.
func TestSpecWorkedExample(t *testing.T) {
	d := readSpec(t)
	src, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	i := strings.Index(s, "## 10. Worked example")
	block := s[i:]
	block = block[strings.Index(block, "```\n")+4:]
	block = block[:strings.Index(block, "```")]
	doc, err := hex.DecodeString(strings.Join(strings.Fields(block), ""))
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("testdata/golden/bsm.hex")
	if err != nil {
		t.Fatal(err)
	}
	var hx strings.Builder
	for _, l := range strings.Split(string(golden), "\n") {
		if !strings.HasPrefix(l, "#") {
			hx.WriteString(strings.ReplaceAll(l, " ", ""))
		}
	}
	want, err := hex.DecodeString(hx.String())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, want) {
		t.Errorf("§10's frame differs from testdata/golden/bsm.hex:\n% x\n% x", doc, want)
	}
	tb := d.table(t, "10. Worked example", "frame offset", "bytes")
	for i, r := range tb.rows {
		off, _ := specInt(r[0])
		b, err := hex.DecodeString(strings.ReplaceAll(unquote(r[1]), " ", ""))
		if err != nil || !bytes.Equal(want[off:int(off)+len(b)], b) {
			t.Errorf("%s: bytes %s at %d, the frame has % x", tb.where(i), r[1], off, want[off:int(off)+len(b)])
		}
	}
}

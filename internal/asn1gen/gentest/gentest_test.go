package gentest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"testing"

	"github.com/v2x-edge/v2x-edge/internal/asn1gen"
	"github.com/v2x-edge/v2x-edge/internal/asn1spec"
	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

type codec interface {
	DecodeUPER(*uper.Decoder)
	EncodeUPER(*uper.Encoder)
	WriteText(asn1text.Writer, string)
}

func encode(t *testing.T, v codec) []byte {
	t.Helper()
	var e uper.Encoder
	v.EncodeUPER(&e)
	b, err := e.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonOf(v codec) string {
	var j asn1text.JSON
	j.Reset(nil)
	v.WriteText(&j, "")
	return string(j.Bytes())
}

// TestKnownEncodings checks encodings worked out by hand from X.691.
func TestKnownEncodings(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    codec
		hex  string
		json string
	}{
		// ext 0, b absent, c absent (the default), a=101, d=1.
		{"defaults", &Rec{A: 5, C: ColorGreen, D: true}, "16", `{"a":5,"c":"green","d":true}`},
		// ext 0, b and c present, a=001, b: root, index 0 of 11 in 4 bits, c: root index 0 in 2 bits, d=0.
		{"optional", &Rec{A: 1, HasB: true, B: -5, C: ColorRed}, "6400", `{"a":1,"b":-5,"c":"red","d":false}`},
		// ext 1, a=000, d=0; 2 additions: n-1=1 as a small number, bitmap 10, e=200 as a 1-octet open type.
		{"addition", &Rec{C: ColorGreen, HasE: true, E: 200}, "800601c8", `{"a":0,"c":"green","d":false,"e":200}`},
		// root alternative 0 of 2: ext 0, index 0.
		{"choice-null", &Pick{Choice: PickChoiceN}, "00", `{"n":null}`},
		// ext 0, index 1, i-1=1 in 1 bit.
		{"choice-int", &Pick{Choice: PickChoiceI, I: 2}, "60", `{"i":2}`},
		// ext 1, extension index 0 as a small number, open type of 2 octets.
		{"choice-ext", &Pick{Choice: PickChoiceS, S: [2]byte{0xab, 0xcd}}, "8002abcd", `{"s":"abcd"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := encode(t, tc.v)
			if hex.EncodeToString(got) != tc.hex {
				t.Errorf("encoded %x, want %s", got, tc.hex)
			}
			if j := jsonOf(tc.v); j != tc.json {
				t.Errorf("JSON %s, want %s", j, tc.json)
			}
			var d uper.Decoder
			d.Reset(got)
			switch tc.v.(type) {
			case *Rec:
				var r Rec
				r.DecodeUPER(&d)
				if j := jsonOf(&r); d.Err() != nil || j != tc.json {
					t.Errorf("decoded %s (%v), want %s", j, d.Err(), tc.json)
				}
			case *Pick:
				var p Pick
				p.DecodeUPER(&d)
				if j := jsonOf(&p); d.Err() != nil || j != tc.json {
					t.Errorf("decoded %s (%v), want %s", j, d.Err(), tc.json)
				}
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	vals := []All{
		{Rec: Rec{A: 7, HasB: true, B: 1000, C: ColorCyan, D: true, HasF: true, F: []byte("abcd")},
			Bag: Bag{{Choice: PickChoiceN}, {Choice: PickChoiceI, I: 1}, {Choice: PickChoiceS, S: [2]byte{1, 2}}, {Choice: PickChoiceN}},
			Big: -1 << 40, Semi: 10, Flags: Flags{Bits: 0b101, Len: 3}, Open: Open{Id: 3, Value: []byte{9, 8, 7}}},
		{Rec: Rec{C: ColorBlue}, Big: 0, Semi: 1 << 50, Flags: Flags{Bits: 0b01, Len: 2}, Open: Open{Value: []byte{0}}},
	}
	for i := range vals {
		b := encode(t, &vals[i])
		var got All
		var d uper.Decoder
		d.Reset(b)
		got.DecodeUPER(&d)
		if d.Err() != nil {
			t.Fatalf("value %d: %v", i, d.Err())
		}
		if a, b := jsonOf(&vals[i]), jsonOf(&got); a != b {
			t.Errorf("value %d: round trip\n got %s\nwant %s", i, b, a)
		}
		if again := encode(t, &got); !bytes.Equal(again, b) {
			t.Errorf("value %d: re-encoding differs", i)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	// Rec with a=0 then the input ends: the error names the component.
	var r Rec
	var d uper.Decoder
	d.Reset([]byte{})
	r.DecodeUPER(&d)
	var ue *uper.Error
	if !errors.As(d.Err(), &ue) || !errors.Is(ue, uper.ErrTruncated) {
		t.Fatalf("empty input: %v", d.Err())
	}
	// A Bag item with an unknown extension alternative is kept and re-encoded.
	var bag Bag
	// size: ext 0, count 1 in 2 bits; Pick: ext 1, extension index 1 as a
	// small number, open type of 1 octet 0x7f.
	in := []byte{0x30, 0x20, 0x2f, 0xe0}
	d.Reset(in)
	bag.DecodeUPER(&d)
	if d.Err() != nil || len(bag) != 1 || bag[0].Choice != PickChoiceS+1 || !bytes.Equal(bag[0].Unknown, []byte{0x7f}) {
		t.Fatalf("unknown alternative: %+v, %v", bag, d.Err())
	}
	if got := encode(t, &bag); !bytes.Equal(got, in) {
		t.Errorf("unknown alternative re-encoded as %x, want %x", got, in)
	}
	// Encoding a value outside its constraint fails.
	var e uper.Encoder
	(&Rec{A: 8}).EncodeUPER(&e)
	if _, err := e.Bytes(); err == nil {
		t.Error("a=8 outside 0..7 encoded")
	}
	e.Reset(nil)
	(&Pick{}).EncodeUPER(&e)
	if _, err := e.Bytes(); err == nil {
		t.Error("a CHOICE with no alternative encoded")
	}
}

// TestGeneratedUpToDate regenerates test_gen.go and compares.
func TestGeneratedUpToDate(t *testing.T) {
	mods, err := asn1spec.ParseFile("test.asn")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := asn1spec.NewSpec(mods)
	if err != nil {
		t.Fatal(err)
	}
	got, err := asn1gen.Generate(spec, asn1gen.Options{Package: "gentest", Roots: []string{"All"}, Source: "test.asn",
		Command: "v2x-asn1gen -pkg gentest -root All"})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("test_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("test_gen.go is stale: go generate ./internal/asn1gen/gentest")
	}
}

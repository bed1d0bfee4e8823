package asn1spec

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := `M DEFINITIONS AUTOMATIC TAGS ::= BEGIN
	EXPORTS A; IMPORTS B FROM X;
	-- a comment -- A ::= SEQUENCE { x INTEGER (-5..5, ...), y E OPTIONAL, z L, ... } /* block */
	E ::= ENUMERATED { a, b(5), c, ..., d }
	L ::= SEQUENCE (SIZE(1..4)) OF BIT STRING { p(0), q(1) } (SIZE(8))
	S ::= INTEGER (0..MAX)
	v E ::= 5
	END`
	mods, err := Parse("m.asn", src)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSpec(mods)
	if err != nil {
		t.Fatal(err)
	}
	a := s.Types["A"].Type
	if a.Kind != KindSequence || !a.Extensible || len(a.Components) != 3 {
		t.Fatalf("A: %+v", a)
	}
	if x := a.Components[0].Type.Value; x.Lb != -5 || x.Ub != 5 || !x.Ext {
		t.Errorf("x constraint %+v", x)
	}
	if !a.Components[1].Optional || s.Resolve(a.Components[1].Type).Kind != KindEnumerated {
		t.Errorf("y: %+v", a.Components[1])
	}
	e := s.Types["E"].Type
	got := []int64{e.Items[0].Value, e.Items[1].Value, e.Items[2].Value, e.Additions[0].Value}
	if got[0] != 0 || got[1] != 5 || got[2] != 1 || got[3] != 2 {
		t.Errorf("enumeration values %v, want [0 5 1 2] (X.680 20.3)", got)
	}
	l := s.Types["L"].Type
	if l.Kind != KindSequenceOf || l.Size.Ub != 4 || l.Elem.Kind != KindBitString || len(l.Elem.NamedBits) != 2 || l.Elem.Size.Ub != 8 {
		t.Errorf("L: %+v", l)
	}
	if sc := s.Types["S"].Type.Value; !sc.HasLb || sc.HasUb {
		t.Errorf("S: %+v", sc)
	}
	if len(s.Values) != 1 || s.Values[0].Value != 5 {
		t.Errorf("values %+v", s.Values)
	}
	if r, _ := s.Reachable("A"); strings.Join(r, ",") != "A,E,L" {
		t.Errorf("reachable from A: %v", r)
	}
}

func TestParseErrors(t *testing.T) {
	head := "M DEFINITIONS AUTOMATIC TAGS ::= BEGIN\n"
	for _, tc := range []struct{ src, want string }{
		{head + "A ::= REAL\nEND", `m.asn:2: unsupported type "REAL"`},
		{head + "A ::= SEQUENCE { x B }\nEND", "undefined type B"},
		{head + "A ::= SEQUENCE { x A }\nEND", "recursive types are not supported"},
		{head + "A ::= INTEGER (5..1)\nEND", "empty range"},
		{head + "A ::= SEQUENCE { x INTEGER, [[ y INTEGER ]] }\nEND", "extension addition groups"},
		{head + "A ::= INTEGER\nA ::= BOOLEAN\nEND", "A already assigned"},
		{head + "A ::= INTEGER (1..2 | 4)\nEND", "unions"},
		{"M DEFINITIONS EXPLICIT TAGS ::= BEGIN END", "only AUTOMATIC TAGS"},
		{head + "A ::= ENUMERATED { a(1), b(1) }\nEND", "used twice"},
		{head + "/* open", "unterminated comment"},
	} {
		mods, err := Parse("m.asn", tc.src)
		if err == nil {
			_, err = NewSpec(mods)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.src, err, tc.want)
		}
	}
}

package wire

import (
	"testing"
)

func TestIDSet(t *testing.T) {
	var s IDSet
	if !s.IsEmpty() || s.Has(0) || s.String() != "" {
		t.Fatalf("zero set: %v", s)
	}
	for _, id := range []uint8{0, 1, 63, 64, 200, 255} {
		s.Add(id)
	}
	for id := 0; id < 256; id++ {
		want := id == 0 || id == 1 || id == 63 || id == 64 || id == 200 || id == 255
		if s.Has(uint8(id)) != want {
			t.Errorf("Has(%d) = %v", id, !want)
		}
	}
	if got := s.String(); got != "0,1,63,64,200,255" {
		t.Errorf("String %q", got)
	}
	b := s.Append(nil)
	if len(b) != IDSetLen || b[7] != 0b11 || b[0] != 0x80 || b[15] != 1 || b[24] != 0x80 {
		t.Errorf("encoding % x", b)
	}
	var back IDSet
	back.decode(&dec{b: b})
	if back != s {
		t.Errorf("decoded %v, want %v", back, s)
	}
}

func TestParseIDSet(t *testing.T) {
	cases := []struct {
		in   string
		want string
		err  bool
	}{
		{"", "", false},
		{" ", "", false},
		{"3", "3", false},
		{"5, 1,255,1", "1,5,255", false},
		{"256", "", true},
		{"-1", "", true},
		{"a", "", true},
		{"1,,2", "", true},
	}
	for _, c := range cases {
		s, err := ParseIDSet(c.in)
		if (err != nil) != c.err || err == nil && s.String() != c.want {
			t.Errorf("ParseIDSet(%q) = %v, %v; want %q, error %v", c.in, s, err, c.want, c.err)
		}
	}
}

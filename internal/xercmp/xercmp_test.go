package xercmp

import (
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	a := []byte("<a>\n  <b>0101\n   1100</b>\n  <c><x/></c>\n</a>")
	b := []byte("<a><b>0101 1100</b><c><x/></c></a>")
	if d := Diff(a, b); d != "" {
		t.Errorf("same values, layout apart: %s", d)
	}
	if d := Diff(a, []byte("<a><b>0101 1101</b><c><x/></c></a>")); !strings.Contains(d, "want 0101 1100, got 0101 1101") {
		t.Errorf("differing value: %q", d)
	}
	if d := Diff(a, []byte("<a><b>0101 1100</b></a>")); d == "" {
		t.Error("a missing element went unnoticed")
	}
	if d := Diff(a, []byte("<a>")); d == "" {
		t.Error("broken XML went unnoticed")
	}
}

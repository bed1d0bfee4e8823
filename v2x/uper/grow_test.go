package uper

import "testing"

func TestGrowReusesStorage(t *testing.T) {
	type item struct{ list []int }
	var s []item
	s, e := Grow(s)
	e.list = append(e.list, 1, 2, 3)
	if len(s) != 1 || len(s[0].list) != 3 {
		t.Fatalf("grown %v", s)
	}
	inner := &s[0].list[0]
	s = s[:0] // a later use starts over
	s, e = Grow(s)
	if len(s) != 1 || cap(e.list) < 3 || &e.list[:1][0] != inner {
		t.Fatal("the element's slice from the earlier use was not kept")
	}
	if n := testing.AllocsPerRun(100, func() {
		s = s[:0]
		s, e = Grow(s)
		e.list = append(e.list[:0], 4)
	}); n != 0 {
		t.Errorf("%v allocations reusing storage, want 0", n)
	}
}

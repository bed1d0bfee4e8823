package trust

import "testing"

func TestSlots(t *testing.T) {
	s := newSlots[uint64, msgState](2)
	if _, ok := s.get(1); ok {
		t.Fatal("empty slots hold a key")
	}
	s.put(1).t = 10
	s.put(2).t = 20
	s.put(3).t = 30 // grows past the initial size
	if v, ok := s.get(1); !ok || v.t != 10 || s.len() != 3 {
		t.Fatalf("get 1: %v %v, len %d; want t 10 and 3 keys", v, ok, s.len())
	}
	s.put(2).t++ // in place
	if v, _ := s.get(2); v.t != 21 {
		t.Errorf("updated in place to %d, want 21", v.t)
	}
	s.del(1)
	if _, ok := s.get(1); ok || s.len() != 2 {
		t.Fatal("deleted key still there")
	}
	if v := s.put(4); v.t != 0 {
		t.Errorf("a reused slot holds %d, want the zero value", v.t)
	}
	if len(s.vals) != 3 {
		t.Errorf("%d slots after a delete and a put, want the freed one reused (3)", len(s.vals))
	}
	allocs := testing.AllocsPerRun(100, func() {
		s.del(4)
		s.put(4).t = 1
		if v, ok := s.get(3); ok {
			v.t++
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocs per delete, put and get of a steady population, want 0", allocs)
	}
	s.clear()
	if s.len() != 0 {
		t.Error("clear left keys")
	}
}

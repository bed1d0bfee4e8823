package edge

import "testing"

func TestStreamNames(t *testing.T) {
	var s streamNames
	if got := s.label(7); got != "stream-7" {
		t.Errorf("unknown stream labelled %q", got)
	}
	s.add(7, "veh-1")
	if got, id := s.label(7), s.identity(7); got != "veh-1/stream-7" || id != "veh-1" {
		t.Errorf("label %q identity %q", got, id)
	}
	s.remove(7)
	if id := s.identity(7); id != "" {
		t.Errorf("removed stream still named %q", id)
	}
	if got := s.label(uperSourceID); got != "uper" {
		t.Errorf("raw listener labelled %q", got)
	}
	var none *streamNames
	if none.identity(1) != "" {
		t.Error("nil streamNames names a stream")
	}
}

package edge

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Events go to every registered queue without blocking; a full queue
// drops (and the caller counts) rather than waits; a removed queue gets
// nothing.
func TestEventSubsNeverBlock(t *testing.T) {
	var s eventSubs
	if sent, dropped := s.publish(&wire.Event{}); sent != 0 || dropped != 0 {
		t.Fatalf("no subscribers: sent %d dropped %d", sent, dropped)
	}
	a, b := newEventQueue(), newEventQueue()
	s.add(a)
	s.add(b)
	for i := 0; i < eventQueueLen; i++ {
		if sent, dropped := s.publish(&wire.Event{LocalID: uint64(i)}); sent != 2 || dropped != 0 {
			t.Fatalf("event %d: sent %d dropped %d", i, sent, dropped)
		}
	}
	<-b.c // b reads one; a reads none
	if sent, dropped := s.publish(&wire.Event{}); sent != 1 || dropped != 1 {
		t.Fatalf("one full queue: sent %d dropped %d", sent, dropped)
	}
	s.remove(a)
	<-b.c
	if sent, dropped := s.publish(&wire.Event{}); sent != 1 || dropped != 0 {
		t.Fatalf("after remove: sent %d dropped %d", sent, dropped)
	}
}

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

// Only a subscriber whose identity has the operator role may ask for
// events: anyone else's Subscribe with SubEvents is forbidden.
func TestSubEventsNeedsOperator(t *testing.T) {
	s, fs, h, _ := testSubscriber(t)
	sub := wire.AppendSubscribe(nil, &wire.Subscribe{Flags: wire.SubEvents})
	if s.handle(frameOf(wire.TypeSubscribe, sub)) {
		t.Fatal("a non-operator subscription with SubEvents started")
	}
	if len(fs.rejected) != 1 || fs.rejected[0] != wire.CodeForbidden {
		t.Fatalf("rejected %v, want forbidden", fs.rejected)
	}
	if p := h.events.qs.Load(); p != nil && len(*p) != 0 {
		t.Fatal("event queue registered for a non-operator")
	}
	s.operator = true
	if !s.handle(frameOf(wire.TypeSubscribe, sub)) {
		t.Fatal("an operator's subscription with SubEvents did not start")
	}
	if p := h.events.qs.Load(); p == nil || len(*p) != 1 {
		t.Fatal("no event queue for the operator")
	}
}

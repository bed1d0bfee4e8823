package edge

import (
	"sync"
	"sync/atomic"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// eventQueue is one event subscriber's bounded queue of Event frames: the
// fusion loop never blocks on it; an event that does not fit is dropped
// and counted.
type eventQueue struct{ c chan wire.Event }

// eventQueueLen is how many events wait for a slow event subscriber.
const eventQueueLen = 256

func newEventQueue() *eventQueue { return &eventQueue{c: make(chan wire.Event, eventQueueLen)} }

// eventSubs is the hub's set of event queues, copied on write so the
// fusion loop iterates it without locking.
type eventSubs struct {
	mu sync.Mutex
	qs atomic.Pointer[[]*eventQueue]
}

func (s *eventSubs) add(q *eventQueue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var old []*eventQueue
	if p := s.qs.Load(); p != nil {
		old = *p
	}
	n := append(append(make([]*eventQueue, 0, len(old)+1), old...), q)
	s.qs.Store(&n)
}

func (s *eventSubs) remove(q *eventQueue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.qs.Load()
	if p == nil {
		return
	}
	n := make([]*eventQueue, 0, len(*p))
	for _, x := range *p {
		if x != q {
			n = append(n, x)
		}
	}
	s.qs.Store(&n)
}

// publish queues e to every event subscriber without blocking; it
// returns how many queues took it and how many were full.
func (s *eventSubs) publish(e *wire.Event) (sent, dropped int) {
	p := s.qs.Load()
	if p == nil {
		return 0, 0
	}
	for _, q := range *p {
		select {
		case q.c <- *e:
			sent++
		default:
			dropped++
		}
	}
	return sent, dropped
}

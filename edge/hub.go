package edge

import (
	"github.com/prometheus/client_golang/prometheus"

	"sync"
	"sync/atomic"
)

// Hub hands the fusion loop's snapshots to subscribers. It keeps the
// current snapshot and a free list: a snapshot goes back to the free list
// when it is neither current nor held by a reader, so publishing allocates
// nothing in steady state.
type Hub struct {
	mu   sync.Mutex
	cur  *Snapshot
	free []*Snapshot

	// subs is copied on write: publish iterates it without locking.
	subsMu sync.Mutex
	subs   atomic.Pointer[[]*mailbox]

	superseded prometheus.Counter   // states a subscriber never got (latest-wins)
	wakeups    prometheus.Histogram // subscribers woken per fresh publication
}

// mailbox is a subscriber's latest-wins wakeup: a publish while one is
// pending coalesces into it; the subscriber then reads the newest snapshot.
// A subscriber whose rate cap makes the next states uninteresting sets
// due: publish does not wake it for a state older than that.
type mailbox struct {
	c   chan struct{}
	due atomic.Int64 // node time (ns) of the first state worth a wakeup
}

func newMailbox() *mailbox { return &mailbox{c: make(chan struct{}, 1)} }

// signal wakes the subscriber; it reports false when a wakeup was already
// pending, which means the state announced by that wakeup is superseded.
func (m *mailbox) signal() bool {
	select {
	case m.c <- struct{}{}:
		return true
	default:
		return false
	}
}

func newHub(superseded prometheus.Counter, wakeups prometheus.Histogram) *Hub {
	h := &Hub{superseded: superseded, wakeups: wakeups}
	h.subs.Store(&[]*mailbox{})
	return h
}

// newSnapshot returns a snapshot for the fusion loop to fill.
func (h *Hub) newSnapshot() *Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.free); n > 0 {
		s := h.free[n-1]
		h.free = h.free[:n-1]
		s.cache.reset()
		return s
	}
	return &Snapshot{}
}

// publish makes s current and wakes every subscriber.
func (h *Hub) publish(s *Snapshot) {
	s.refs.Store(1) // the hub's own reference, as current
	h.mu.Lock()
	old := h.cur
	h.cur = s
	h.mu.Unlock()
	if old != nil {
		h.Release(old)
	}
	var woken, missed int
	for _, m := range *h.subs.Load() {
		if s.TimeNS < m.due.Load() {
			continue
		}
		woken++
		if !m.signal() {
			missed++
		}
	}
	if s.Fresh {
		h.wakeups.Observe(float64(woken))
	}
	if missed > 0 {
		h.superseded.Add(float64(missed))
	}
}

// Acquire returns the current snapshot with a reference held, or nil
// before the first publish. Callers must Release it.
func (h *Hub) Acquire() *Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur != nil {
		h.cur.refs.Add(1)
	}
	return h.cur
}

// Release drops a reference; the last one returns the snapshot for reuse.
func (h *Hub) Release(s *Snapshot) {
	if s.refs.Add(-1) != 0 {
		return
	}
	h.mu.Lock()
	h.free = append(h.free, s)
	h.mu.Unlock()
}

func (h *Hub) addMailbox(m *mailbox) {
	h.subsMu.Lock()
	defer h.subsMu.Unlock()
	old := *h.subs.Load()
	n := make([]*mailbox, len(old), len(old)+1)
	copy(n, old)
	n = append(n, m)
	h.subs.Store(&n)
}

func (h *Hub) removeMailbox(m *mailbox) {
	h.subsMu.Lock()
	defer h.subsMu.Unlock()
	old := *h.subs.Load()
	n := make([]*mailbox, 0, len(old))
	for _, x := range old {
		if x != m {
			n = append(n, x)
		}
	}
	h.subs.Store(&n)
}

package edge

import (
	"sync"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// inbox is the bounded queue between the ingest goroutines and the fusion
// loop. Producers append under a mutex and send a coalescing wakeup; the
// fusion loop swaps the whole batch out at once. Two batches alternate, so
// steady state allocates nothing.
type inbox struct {
	mu    sync.Mutex
	cur   batch
	limit int
	wake  chan struct{} // capacity 1: many puts, one wakeup
}

// batch is what the fusion loop takes from the inbox in one swap.
type batch struct {
	meas   []measurement
	spats  []spatUpdate
	maps   []*v2x.Map
	mapSrc []uint64 // per MAP: the stream that sent it
	rsis   []*v2x.RSI
}

func (b *batch) reset() {
	b.meas, b.spats = b.meas[:0], b.spats[:0]
	clear(b.maps)
	clear(b.rsis)
	b.maps, b.rsis, b.mapSrc = b.maps[:0], b.rsis[:0], b.mapSrc[:0]
}

func newInbox(limit int) *inbox {
	return &inbox{limit: limit, wake: make(chan struct{}, 1)}
}

func (in *inbox) notify() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// putMeas queues measurements and returns how many were shed because the
// inbox is full.
func (in *inbox) putMeas(ms []measurement) (shed int) {
	in.mu.Lock()
	room := max(in.limit-len(in.cur.meas), 0)
	n := min(room, len(ms))
	in.cur.meas = append(in.cur.meas, ms[:n]...)
	in.mu.Unlock()
	if n > 0 {
		in.notify()
	}
	return len(ms) - n
}

// putSPAT queues a SPAT; it reports false (shed) when the inbox is full.
func (in *inbox) putSPAT(s *spatUpdate) bool {
	in.mu.Lock()
	ok := len(in.cur.spats) < in.limit/16+1
	if ok {
		in.cur.spats = append(in.cur.spats, *s)
	}
	in.mu.Unlock()
	in.notify()
	return ok
}

// putMap queues a MAP or RSI (cold messages, a few per second at most).
func (in *inbox) putMap(m *v2x.Map, r *v2x.RSI, stream uint64) bool {
	in.mu.Lock()
	ok := len(in.cur.maps)+len(in.cur.rsis) < 64
	if ok && m != nil {
		in.cur.maps = append(in.cur.maps, m)
		in.cur.mapSrc = append(in.cur.mapSrc, stream)
	}
	if ok && r != nil {
		in.cur.rsis = append(in.cur.rsis, r)
	}
	in.mu.Unlock()
	in.notify()
	return ok
}

// swap hands the queued batch to the caller in exchange for a drained one.
// empty reports whether nothing waits in the inbox.
func (in *inbox) empty() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	b := &in.cur
	return len(b.meas) == 0 && len(b.spats) == 0 && len(b.maps) == 0 && len(b.rsis) == 0
}

func (in *inbox) swap(drained *batch) {
	drained.reset()
	in.mu.Lock()
	in.cur, *drained = *drained, in.cur
	in.mu.Unlock()
}

// grow returns s with length n, reusing its capacity when it can.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

package edge

import (
	"sync"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// inbox is the bounded queue between the ingest goroutines and the fusion
// loop. Producers append under a mutex and send a coalescing wakeup; the
// fusion loop swaps the whole batch out at once. Two batches alternate, so
// steady state allocates nothing.
//
// The measurement queue is shared fairly between producers (by identity):
// each active producer may hold at most max(limit/active, minShare)
// pending measurements, so a producer's flood sheds its own data and not
// the others'. A producer is active from its first measurement until
// shareWindow swaps pass without one. A producer alone may fill the
// inbox; one that joins while it is full still gets its share, up to
// half the limit again (the inbox never holds more than 1.5 × limit), and
// from the next batch on the flooder is held to its share.
type inbox struct {
	mu     sync.Mutex
	cur    batch
	limit  int
	wake   chan struct{} // capacity 1: many puts, one wakeup
	shares map[string]*inboxShare
	gen    uint64 // swaps so far
}

// inboxShare is one producer's use of the inbox.
type inboxShare struct {
	pending int    // measurements in the current batch
	seen    uint64 // gen of its last put
}

// minShare is the least a producer may hold in the inbox however many
// producers are active (bounded by the inbox size).
const minShare = 256

// shareWindow is how many swaps a producer stays active without a put.
const shareWindow = 8

// batch is what the fusion loop takes from the inbox in one swap.
type batch struct {
	meas    []measurement
	spats   []spatUpdate
	maps    []*v2x.Map
	mapSrc  []uint64 // per MAP: the stream that sent it
	mapOwn  []uint64 // ... and its sender's identity key (0: none)
	rsis    []*v2x.RSI
	sensors []sensorDecl
}

// sensorDecl is a camera's declared detection area (a SensorInfo frame,
// or the operator's configuration for it) as queued for the fusion loop.
type sensorDecl struct {
	Stream   uint64 // the stream whose object lists of Source it covers
	Source   uint32
	IngestNS int64
	Info     v2x.SensorInfo
}

func (b *batch) reset() {
	b.meas, b.spats = b.meas[:0], b.spats[:0]
	clear(b.maps)
	clear(b.rsis)
	b.maps, b.rsis, b.mapSrc, b.mapOwn, b.sensors = b.maps[:0], b.rsis[:0], b.mapSrc[:0], b.mapOwn[:0], b.sensors[:0]
}

func newInbox(limit int) *inbox {
	return &inbox{limit: limit, wake: make(chan struct{}, 1), shares: make(map[string]*inboxShare)}
}

func (in *inbox) notify() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// putMeas queues measurements of an anonymous producer (putMeasFrom "").
func (in *inbox) putMeas(ms []measurement) (shed int) {
	shed, _ = in.putMeasFrom("", ms)
	return shed
}

// putMeasFrom queues measurements of producer owner and returns how many
// were shed, because the inbox is full or because owner holds its share
// of it (overShare).
func (in *inbox) putMeasFrom(owner string, ms []measurement) (shed int, overShare bool) {
	in.mu.Lock()
	sh := in.shares[owner]
	if sh == nil {
		sh = new(inboxShare)
		in.shares[owner] = sh
	}
	sh.seen = in.gen
	share := max(in.limit/len(in.shares), min(minShare, in.limit))
	room := max(in.limit+in.limit/2-len(in.cur.meas), 0)
	mine := max(share-sh.pending, 0)
	n := min(room, mine, len(ms))
	in.cur.meas = append(in.cur.meas, ms[:n]...)
	sh.pending += n
	in.mu.Unlock()
	if n > 0 {
		in.notify()
	}
	return len(ms) - n, n < len(ms) && mine < room
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

// putMap queues a MAP or RSI of an anonymous sender (putMapFrom, owner 0).
func (in *inbox) putMap(m *v2x.Map, r *v2x.RSI, stream uint64) bool {
	return in.putMapFrom(m, r, stream, 0)
}

// putMapFrom queues a MAP or RSI (cold messages, a few per second at
// most) from stream, whose sender's identity key is owner.
func (in *inbox) putMapFrom(m *v2x.Map, r *v2x.RSI, stream, owner uint64) bool {
	in.mu.Lock()
	ok := len(in.cur.maps)+len(in.cur.rsis) < 64
	if ok && m != nil {
		in.cur.maps = append(in.cur.maps, m)
		in.cur.mapSrc = append(in.cur.mapSrc, stream)
		in.cur.mapOwn = append(in.cur.mapOwn, owner)
	}
	if ok && r != nil {
		in.cur.rsis = append(in.cur.rsis, r)
	}
	in.mu.Unlock()
	in.notify()
	return ok
}

// putSensor queues a sensor declaration (a cold message: a camera sends
// one when it starts and when it changes, perhaps every second).
func (in *inbox) putSensor(d *sensorDecl) bool {
	in.mu.Lock()
	ok := len(in.cur.sensors) < 64
	if ok {
		in.cur.sensors = append(in.cur.sensors, *d)
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
	return len(b.meas) == 0 && len(b.spats) == 0 && len(b.maps) == 0 && len(b.rsis) == 0 && len(b.sensors) == 0
}

func (in *inbox) swap(drained *batch) {
	drained.reset()
	in.mu.Lock()
	in.cur, *drained = *drained, in.cur
	in.gen++
	for k, sh := range in.shares {
		if in.gen-sh.seen > shareWindow {
			delete(in.shares, k)
			continue
		}
		sh.pending = 0
	}
	in.mu.Unlock()
}

// grow returns s with length n, reusing its capacity when it can.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

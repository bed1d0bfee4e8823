package edge

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// hub hands the fusion loop's snapshots to subscribers. It keeps the
// current snapshot and a free list: a snapshot goes back to the free list
// when it is neither current nor held by a reader, so publishing allocates
// nothing in steady state.
//
// Publishing wakes the subscribers whose rate slot has begun. Those wait
// for new data, so one publication with new data after a gap wakes every
// subscriber that became due during the gap: a burst of sends, and its
// last update waits for all the others. A burst limit bounds that: the
// subscribers due longest go first and the rest wait for the next
// publication, whose data is newer still, so deferring costs them nothing
// in the age of what they get.
type hub struct {
	mu   sync.Mutex
	cur  *snapshot
	free []*snapshot

	// subs is copied on write: publish iterates it without locking.
	subsMu sync.Mutex
	subs   atomic.Pointer[[]*mailbox]
	events eventSubs // event subscribers (wire.SubEvents)
	rsi    rsiBoard  // active roadside events (wire.SubRSI, wire.SubCSAERSI)

	// Owned by the publishing goroutine (the fusion loop).
	burst BurstCap
	pend  []pendingSub // scratch: due subscribers of one publication

	gate compressGate // whether deltas are worth compressing (all snapshots')

	m hubMetrics
}

// pendingSub is a due subscriber in publish's scratch list.
type pendingSub struct {
	due int64
	m   *mailbox
}

// Automatic burst limit: burstHeadroom times the updates the subscribers'
// rate caps ask for per publication with new data, and at least minBurst.
const (
	minBurst      = 16
	burstHeadroom = 2
)

// BurstCap is the node's burst limit: how many rate-capped subscribers one
// publication may wake. The hub keeps one; v2x-bench's fresh transport
// floor keeps another, so that the floor sends as the node does.
type BurstCap struct {
	MaxBurst  int     // as Config.MaxBurst: 0 automatic; < 0 none; > 0 fixed
	lastFresh int64   // time (ns) of the last publication with new data
	freshGap  float64 // mean ns between publications with new data (EWMA)
}

// Fresh records a publication with new data at node time t (ns).
func (b *BurstCap) Fresh(t int64) {
	if b.lastFresh != 0 {
		gap := float64(min(t-b.lastFresh, int64(1e9)))
		if b.freshGap == 0 {
			b.freshGap = gap
		} else {
			b.freshGap += (gap - b.freshGap) / 16
		}
	}
	b.lastFresh = t
}

// Limit returns how many rate-capped subscribers one publication may
// wake, for rate caps asking for demand updates a second.
func (b *BurstCap) Limit(demand float64) int {
	switch {
	case b.MaxBurst < 0:
		return math.MaxInt
	case b.MaxBurst > 0:
		return b.MaxBurst
	case b.freshGap == 0:
		return math.MaxInt // no rate of new data known yet
	}
	perPublication := demand * b.freshGap / 1e9
	return max(minBurst, int(math.Ceil(burstHeadroom*perPublication)))
}

// mailbox is a subscriber's latest-wins wakeup: a publish while one is
// pending coalesces into it; the subscriber then reads the newest snapshot.
// A subscriber whose rate cap makes the next states uninteresting sets
// due: publish does not wake it for a state older than that.
type mailbox struct {
	c    chan struct{}
	due  atomic.Int64  // node time (ns) of the first state worth a wakeup
	rate atomic.Uint32 // the subscription's rate cap (float32 bits, Hz); 0: none
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

func newHub(maxBurst int, m hubMetrics) *hub {
	h := &hub{burst: BurstCap{MaxBurst: maxBurst}, m: m}
	h.gate.skipped = m.uncompressed
	h.subs.Store(&[]*mailbox{})
	return h
}

// newSnapshot returns a snapshot for the fusion loop to fill.
func (h *hub) newSnapshot() *snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.free); n > 0 {
		s := h.free[n-1]
		h.free = h.free[:n-1]
		s.cache.reset()
		return s
	}
	s := &snapshot{}
	s.cache.cut, s.cache.gate = h.m.cut, &h.gate
	return s
}

// publish makes s current and wakes the subscribers due for it, up to the
// burst limit.
func (h *hub) publish(s *snapshot) {
	s.refs.Store(1) // the hub's own reference, as current
	h.mu.Lock()
	old := h.cur
	h.cur = s
	h.mu.Unlock()
	if old != nil {
		h.Release(old)
	}
	if s.Fresh {
		h.burst.Fresh(s.TimeNS)
	}
	var woken, missed int
	var demand float64 // updates per second the rate caps ask for
	pend := h.pend[:0]
	for _, m := range *h.subs.Load() {
		rate := math.Float32frombits(m.rate.Load())
		demand += float64(rate)
		due := m.due.Load()
		if s.TimeNS < due {
			continue
		}
		switch {
		case len(m.c) > 0: // woken already and not yet run: it will read s
			woken++
			missed++
		case rate == 0 || h.burst.MaxBurst < 0: // uncapped subscribers take every state
			woken++
			if !m.signal() {
				missed++
			}
		default:
			pend = append(pend, pendingSub{due, m})
		}
	}
	if limit := h.burst.Limit(demand); len(pend) > limit {
		slices.SortFunc(pend, func(a, b pendingSub) int { return cmp.Compare(a.due, b.due) })
		h.m.deferred.Add(float64(len(pend) - limit))
		clear(pend[limit:])
		pend = pend[:limit]
	}
	for _, p := range pend {
		woken++
		if !p.m.signal() {
			missed++
		}
	}
	clear(pend)
	h.pend = pend[:0]
	if missed > 0 {
		h.m.superseded.Add(float64(missed))
	}
	if s.Fresh {
		h.m.wakeups.Observe(float64(woken))
	}
}

// Acquire returns the current snapshot with a reference held, or nil
// before the first publish. Callers must Release it.
func (h *hub) Acquire() *snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur != nil {
		h.cur.refs.Add(1)
	}
	return h.cur
}

// Release drops a reference; the last one returns the snapshot for reuse.
func (h *hub) Release(s *snapshot) {
	if s.refs.Add(-1) != 0 {
		return
	}
	h.mu.Lock()
	h.free = append(h.free, s)
	h.mu.Unlock()
}

func (h *hub) addMailbox(m *mailbox) {
	h.subsMu.Lock()
	defer h.subsMu.Unlock()
	old := *h.subs.Load()
	n := make([]*mailbox, len(old), len(old)+1)
	copy(n, old)
	n = append(n, m)
	h.subs.Store(&n)
}

func (h *hub) removeMailbox(m *mailbox) {
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

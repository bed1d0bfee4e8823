package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Subscription is a subscriber stream. Next must be called from one
// goroutine; Update, Stats and Close may be called from any.
//
// With wire.SubPacked the node sends Update frames (keyframes and deltas,
// compressed; small deltas as QUIC datagrams) and the subscription
// reassembles them into whole states: what Next returns looks the same
// either way. A delta whose base it does not hold (a datagram was lost)
// makes it ask the node for a keyframe with a Resync frame.
//
// On a Conn with Options.Reconnect, a subscription survives the loss of
// its connection: it subscribes again on the new one (Stats.Resumed
// counts it), and what Next returns goes on from the new node's state.
type Subscription struct {
	c *Conn

	mu     sync.Mutex // guards the stream in use and the Subscribe sent on it
	qc     *quic.Conn
	st     *quic.Stream
	fw     *wire.Writer
	sid    uint32
	sub    wire.Subscribe // the latest, sent again on a new stream
	subSeq uint64         // header Seq of Subscribe frames, echoed in Error frames
	closed bool

	clkMu sync.Mutex
	clk   wire.ClockFilter

	in   chan item
	stop chan struct{}
	once sync.Once

	// While Next reads datagrams itself (Conn.direct), it waits in
	// quic-go's ReceiveDatagram with wctx; a frame queued by the stream
	// reader, or Close, closes wake to end that wait.
	wakeMu sync.Mutex
	wake   chan struct{} // nil, or open until closed by kick
	armed  bool          // Next waits on wake
	wctx   wakeCtx       // owned by Next

	// owned by Next
	up            Update
	cur, next     wire.PackedState
	curSeq        uint64
	have          bool
	stash         *item // a delta waiting for its base
	raw           []byte
	resyncPending bool
	accepted      bool  // a state came since the stream was opened
	failed        error // the node rejected the subscription

	stats struct {
		updates, keyframes, deltas, datagrams, resyncs, dropped, resumed, events, rsis atomic.Uint64
	}
}

// item is one frame handed to Next by the stream reader or the datagram
// router. Its payload is owned by the item.
type item struct {
	h     wire.Header
	p     []byte
	recv  int64
	bytes int
	dgram bool
	err   error
	// reset says that the stream was lost with its connection and is
	// being opened again: what Next held belongs to the old node.
	reset bool
}

// inQueue bounds the frames waiting for Next. The stream reader waits when
// it is full (flow control then slows the node's writer for this stream
// only); datagrams beyond it are dropped and counted.
const inQueue = 256

// Update is one state as received. It is reused by the next call to Next:
// copy what you keep.
type Update struct {
	Seq      uint64
	TimeNS   int64 // node time of the state
	IngestNS int64 // node time the newest measurement in it arrived
	RecvNS   int64 // local receive time
	// OffsetNS is the node's clock minus ours; Synced says whether any
	// clock exchange has completed (if not, OffsetNS is 0).
	OffsetNS int64
	RTTNS    int64
	Synced   bool
	// AgeNS is the state's age on receipt in node time, and IngestAgeNS the
	// age of its newest measurement since it reached the node; both are
	// corrected for the clock offset and never negative.
	AgeNS       int64
	IngestAgeNS int64
	// Packed says the state came as an Update frame; then Keyframe says
	// whether it was rebuilt from a keyframe (a delta that overtook its
	// keyframe is applied with it, and the state counts as a keyframe) and
	// Datagram whether the last frame came in a QUIC datagram. Bytes is
	// the size of the frame that brought it.
	Packed, Keyframe, Datagram bool
	Bytes                      int
	State                      wire.State
	// Encoding is not native for a subscription with wire.SubCSAERSM:
	// then Encoded holds one standard MessageFrame (valid until the next
	// call of Next) and State is empty.
	Encoding wire.Encoding
	Encoded  []byte
	// IsEvent says that this is not a state but an Event frame (a
	// subscription with wire.SubEvents receives them between states):
	// Event holds it, RecvNS says when it came, and the other fields keep
	// the last state.
	IsEvent bool
	Event   wire.Event
	// IsRSI says that this is not a state but an RSI frame (a
	// subscription with wire.SubRSI or wire.SubCSAERSI receives the
	// active roadside events of its region whenever they change): RSISeq
	// is the node's RSI generation, RecvNS says when it came; a native
	// frame (Encoding native) is decoded into RSI, whose Events replace
	// what the subscriber held (none: all withdrawn); a CSAE 53 one is in
	// Encoded (frames with the same RSISeq form one set). The other
	// fields keep the last state.
	IsRSI  bool
	RSISeq uint64
	RSI    v2x.RSI
}

// Stats counts what a subscription received.
type Stats struct {
	Updates   uint64 // states returned by Next
	Keyframes uint64 // Update keyframes applied
	Deltas    uint64 // Update deltas applied
	Datagrams uint64 // Updates that came as datagrams
	Resyncs   uint64 // Resync requests sent (a delta's base was missing)
	Dropped   uint64 // datagrams dropped because Next fell behind
	Resumed   uint64 // times the subscription resumed on a new connection
	Events    uint64 // Event frames returned by Next (wire.SubEvents)
	RSIs      uint64 // RSI frames returned by Next (wire.SubRSI, wire.SubCSAERSI)
}

// ErrRejected is matched (errors.Is) by what Next returns when the node
// rejected the subscription (its first Subscribe on the stream): the
// subscription has ended. The error also matches a *wire.ErrorFrame
// (errors.As) with the node's reason.
var ErrRejected = errors.New("node rejected the subscription")

// clockSamples is how many exchanges Subscribe makes before subscribing.
const clockSamples = 4

// Subscribe opens a subscriber stream: it first measures the clock offset
// to the node with a few exchanges, then sends sub. It keeps measuring
// every second while the subscription lives. If the node rejects sub,
// Next returns an error matching ErrRejected.
func (c *Conn) Subscribe(ctx context.Context, sub wire.Subscribe) (*Subscription, error) {
	s := &Subscription{c: c, sub: sub, in: make(chan item, inQueue), stop: make(chan struct{})}
	qc := c.current()
	r, err := s.open(ctx, qc)
	if err != nil {
		return nil, c.explainLost(qc, err)
	}
	go s.readLoop(qc, r)
	go s.clockLoop()
	return s, nil
}

// open opens a subscriber stream on qc, measures the clock offset afresh
// and sends the latest Subscribe.
func (s *Subscription) open(ctx context.Context, qc *quic.Conn) (*wire.Reader, error) {
	st, err := qc.OpenStreamSync(ctx)
	if err != nil {
		return nil, fmt.Errorf("open subscriber stream: %w", err)
	}
	fail := func(err error) (*wire.Reader, error) {
		st.CancelRead(0)
		st.Close()
		return nil, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fail(errClosed)
	}
	oldQC, oldSID := s.qc, s.sid
	s.qc, s.st, s.fw, s.sid = qc, st, wire.NewWriter(st), uint32(st.StreamID())
	s.mu.Unlock()
	if oldQC != nil {
		s.c.unroute(oldQC, oldSID, s)
	}
	s.clkMu.Lock()
	s.clk = wire.ClockFilter{}
	s.clkMu.Unlock()
	r := wire.NewReader(st, 0)
	if dl, ok := ctx.Deadline(); ok {
		st.SetReadDeadline(dl)
	}
	for i := 0; i < clockSamples; i++ {
		if err := s.sendClockRequest(); err != nil {
			return fail(err)
		}
		h, p, err := r.Next()
		if err != nil {
			return fail(fmt.Errorf("clock exchange: %w", err))
		}
		if h.Type != wire.TypeClockResponse {
			return fail(fmt.Errorf("clock exchange: node answered with a %s frame", h.Type))
		}
		s.clockResponse(p, clock.Now())
	}
	st.SetReadDeadline(time.Time{})
	s.c.route(qc, uint32(st.StreamID()), s)
	if err := s.sendSubscribe(); err != nil {
		s.c.unroute(qc, uint32(st.StreamID()), s)
		return fail(err)
	}
	return r, nil
}

func (s *Subscription) write(h *wire.Header, fill func([]byte) []byte) error {
	s.mu.Lock()
	fw := s.fw
	s.mu.Unlock()
	return fw.WriteFrame(h, 0, fill)
}

func (s *Subscription) sendClockRequest() error {
	h := wire.Header{Type: wire.TypeClockRequest}
	if err := s.write(&h, func(b []byte) []byte { return wire.AppendClockRequest(b, clock.Now()) }); err != nil {
		return fmt.Errorf("clock request: %w", err)
	}
	return nil
}

func (s *Subscription) clockLoop() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			// While a reconnecting Conn is down the request fails; the
			// loop goes on with the next stream.
			if s.sendClockRequest() != nil && s.c.rc == nil {
				return
			}
		}
	}
}

func (s *Subscription) clockResponse(p []byte, t4 int64) {
	t1, t2, t3, err := wire.DecodeClockResponse(p)
	if err == nil {
		s.clkMu.Lock()
		s.clk.Add(wire.ClockSample{T1: t1, T2: t2, T3: t3, T4: t4})
		s.clkMu.Unlock()
	}
}

// readLoop reads the stream and hands frames to Next. Clock responses it
// handles itself. When the stream is lost with its connection and the
// Conn reconnects, it subscribes again on the new connection.
func (s *Subscription) readLoop(qc *quic.Conn, r *wire.Reader) {
	for {
		err := s.read(r)
		if s.isClosed() {
			return
		}
		if !s.c.lost(qc, err) {
			s.push(item{err: err})
			return
		}
		if !s.push(item{reset: true}) {
			return
		}
		for {
			nqc, err := s.c.await(qc, s.stop)
			if err != nil {
				s.push(item{err: fmt.Errorf("subscription lost with its connection: %w", err)})
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			go func() {
				select {
				case <-s.stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			nr, err := s.open(ctx, nqc)
			cancel()
			if err == nil {
				qc, r = nqc, nr
				s.stats.resumed.Add(1)
				break
			}
			if s.isClosed() {
				return
			}
			if !s.c.lost(nqc, err) {
				s.push(item{err: fmt.Errorf("resume subscription: %w", err)})
				return
			}
			qc = nqc // lost again: wait for the next one
		}
	}
}

// read hands the stream's frames to Next until the stream ends.
func (s *Subscription) read(r *wire.Reader) error {
	for {
		h, p, err := r.Next()
		now := clock.Now()
		if err != nil {
			return err
		}
		if h.Type == wire.TypeClockResponse {
			s.clockResponse(p, now)
			continue
		}
		if !s.push(item{h: h, p: append([]byte(nil), p...), recv: now, bytes: wire.HeaderLen + len(p)}) {
			return errClosed
		}
	}
}

func (s *Subscription) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// push queues it for Next, waiting for room; it reports false once the
// subscription is closed.
func (s *Subscription) push(it item) bool {
	select {
	case s.in <- it:
		s.kick()
		return true
	case <-s.stop:
		return false
	}
}

// offer queues a datagram for Next without waiting.
func (s *Subscription) offer(it item) {
	select {
	case s.in <- it:
		s.kick()
	default:
		s.stats.dropped.Add(1)
	}
}

// kick ends Next's wait in ReceiveDatagram, if it waits there.
func (s *Subscription) kick() {
	s.wakeMu.Lock()
	if s.armed {
		close(s.wake)
		s.wake, s.armed = nil, false
	}
	s.wakeMu.Unlock()
}

// arm readies the wake channel for a wait in ReceiveDatagram. A channel
// is made only after one was closed (a stream frame, about once a
// second), so waiting allocates nothing otherwise.
func (s *Subscription) arm() chan struct{} {
	s.wakeMu.Lock()
	defer s.wakeMu.Unlock()
	if s.wake == nil {
		s.wake = make(chan struct{})
	}
	s.armed = true
	return s.wake
}

func (s *Subscription) disarm() {
	s.wakeMu.Lock()
	s.armed = false
	s.wakeMu.Unlock()
}

// wakeCtx is the context of Next's wait in ReceiveDatagram: done when
// kick closes its channel.
type wakeCtx struct{ done chan struct{} }

func (w *wakeCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (w *wakeCtx) Done() <-chan struct{}       { return w.done }
func (w *wakeCtx) Value(any) any               { return nil }
func (w *wakeCtx) Err() error {
	select {
	case <-w.done:
		return context.Canceled
	default:
		return nil
	}
}

// wait returns the next item for Next, false once the subscription is
// closed. While s is its connection's only subscription it reads the
// connection's datagrams itself, in Next's goroutine, and takes the stream
// reader's frames from the queue in between; otherwise everything comes
// through the queue.
func (s *Subscription) wait() (item, bool) {
	for {
		var qc *quic.Conn
		if s.c != nil {
			s.mu.Lock()
			cur := s.qc
			s.mu.Unlock()
			qc = s.c.directConn(s, cur)
		}
		if qc == nil {
			select {
			case it := <-s.in:
				return it, true
			case <-s.stop:
				return item{}, false
			}
		}
		s.wctx.done = s.arm()
		select { // armed first: a frame queued from now on ends the wait
		case it := <-s.in:
			s.disarm()
			return it, true
		case <-s.stop:
			s.disarm()
			return item{}, false
		default:
		}
		b, err := qc.ReceiveDatagram(&s.wctx)
		now := clock.Now()
		s.disarm()
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				// The connection failed: the stream reader reports it, or
				// resumes on the next one, through the queue.
				s.c.undirect(qc, s)
			}
			continue
		}
		if to, it, ok := s.c.dispatch(qc, b, now); ok {
			if to == s {
				return it, true
			}
			to.offer(it)
		}
	}
}

// Update replaces the subscription (region, classes, rate, flags). A
// reconnecting subscription sends the latest one on its next stream.
func (s *Subscription) Update(sub wire.Subscribe) error {
	s.mu.Lock()
	s.sub = sub
	s.mu.Unlock()
	return s.sendSubscribe()
}

// sendSubscribe sends the latest Subscribe on the stream in use.
func (s *Subscription) sendSubscribe() error {
	s.mu.Lock()
	sub, fw := s.sub, s.fw
	s.subSeq++
	h := wire.Header{Type: wire.TypeSubscribe, Seq: s.subSeq}
	s.mu.Unlock()
	if err := fw.WriteFrame(&h, 0, func(b []byte) []byte { return wire.AppendSubscribe(b, &sub) }); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// errClosed is what Next returns after Close.
var errClosed = fmt.Errorf("subscription closed: %w", net.ErrClosed)

// Next blocks for the next state. An Error frame from the node (for
// example, an invalid Update) is returned as a *wire.ErrorFrame; the
// subscription goes on after it, except when it answers the Subscribe
// that opened the stream: then the error matches ErrRejected and the
// subscription has ended. Other errors end the subscription too.
func (s *Subscription) Next() (*Update, error) {
	if s.failed != nil {
		return nil, s.failed
	}
	for {
		it, ok := s.wait()
		if !ok {
			return nil, errClosed
		}
		if it.err != nil {
			return nil, it.err
		}
		if it.reset {
			// The old node's state is gone: a packed subscription starts
			// again from the new node's keyframe.
			s.have, s.stash, s.resyncPending, s.accepted = false, nil, false, false
			continue
		}
		switch it.h.Type {
		case wire.TypeError:
			e := new(wire.ErrorFrame)
			if err := wire.DecodeError(it.p, e); err != nil {
				return nil, fmt.Errorf("undecodable error frame: %w", err)
			}
			if e.Type == wire.TypeSubscribe && !s.accepted {
				s.failed = fmt.Errorf("%w: %w", ErrRejected, e)
				return nil, s.failed
			}
			return nil, e
		case wire.TypeEvent:
			u := &s.up
			if err := wire.DecodeEvent(it.p, &u.Event); err != nil {
				return nil, fmt.Errorf("event %d: %w", it.h.Seq, err)
			}
			u.IsEvent, u.IsRSI, u.RecvNS = true, false, it.recv
			s.stats.events.Add(1)
			return u, nil
		case wire.TypeRSI:
			u := &s.up
			u.IsRSI, u.IsEvent, u.RecvNS, u.RSISeq = true, false, it.recv, it.h.Seq
			u.Encoding, u.Encoded = it.h.Encoding, u.Encoded[:0]
			u.RSI.Events = u.RSI.Events[:0]
			if it.h.Encoding == wire.EncodingNative {
				if err := wire.DecodeRSI(it.p, &u.RSI); err != nil {
					return nil, fmt.Errorf("rsi %d: %w", it.h.Seq, err)
				}
			} else {
				u.Encoded = append(u.Encoded, it.p...)
			}
			s.stats.rsis.Add(1)
			return u, nil
		case wire.TypeRSM:
			u := &s.up
			if it.h.Encoding == wire.EncodingNative {
				continue // not sent to subscribers
			}
			u.State = wire.State{Objects: u.State.Objects[:0], Signals: u.State.Signals[:0]}
			u.Encoding, u.Encoded = it.h.Encoding, append(u.Encoded[:0], it.p...)
			u.Packed, u.Keyframe, u.Datagram = false, false, false
			s.accepted = true
			return s.finish(&it), nil
		case wire.TypeState:
			u := &s.up
			u.Encoding, u.Encoded = wire.EncodingNative, u.Encoded[:0]
			if err := wire.DecodeState(it.p, &u.State); err != nil {
				return nil, fmt.Errorf("state %d: %w", it.h.Seq, err)
			}
			u.Packed, u.Keyframe, u.Datagram = false, true, false
			s.accepted = true
			return s.finish(&it), nil
		case wire.TypeUpdate:
			s.accepted = true
			ok, err := s.apply(&it)
			if err != nil {
				return nil, err
			}
			if ok {
				// A stashed delta whose base just arrived is newer still.
				// The state then counts as rebuilt from a keyframe if its
				// base was one.
				if st := s.stash; st != nil && st.h.Seq > s.curSeq {
					var u wire.Update
					if _, err := wire.DecodeUpdate(st.p, &u); err == nil && u.BaseSeq == s.curSeq {
						s.stash = nil
						key := s.up.Keyframe
						if ok2, err := s.apply(st); err == nil && ok2 {
							it = *st
							s.up.Keyframe = s.up.Keyframe || key
						}
					}
				}
				s.cur.Unpack(&s.up.State)
				s.up.Encoding, s.up.Encoded = wire.EncodingNative, s.up.Encoded[:0]
				return s.finish(&it), nil
			}
		}
	}
}

// apply folds an Update into the reassembled state. It reports false
// when the update is old or waits for its base.
func (s *Subscription) apply(it *item) (bool, error) {
	var u wire.Update
	body, err := wire.DecodeUpdate(it.p, &u)
	if err != nil {
		return false, fmt.Errorf("update %d: %w", it.h.Seq, err)
	}
	if s.have && it.h.Seq <= s.curSeq {
		return false, nil // older than what we hold
	}
	keyframe := u.Flags&wire.UpdateKeyframe != 0
	var base *wire.PackedState
	if !keyframe {
		if !s.have || u.BaseSeq != s.curSeq {
			// The base is still on its way (a keyframe on the stream is
			// overtaken by a datagram) or was lost. Keep the newest such
			// delta; a second one means the base is not coming.
			if s.stash != nil || (s.have && u.BaseSeq < s.curSeq) {
				s.resync()
			}
			cp := *it
			s.stash = &cp
			return false, nil
		}
		base = &s.cur
	}
	if s.raw, err = wire.AppendDecompressed(s.raw[:0], body, u.Compression, int(u.RawLen)); err != nil {
		return false, fmt.Errorf("update %d: %w", it.h.Seq, err)
	}
	if err := wire.ApplyDelta(s.raw, base, &s.next); err != nil {
		return false, fmt.Errorf("update %d: %w", it.h.Seq, err)
	}
	s.cur, s.next = s.next, s.cur
	s.curSeq, s.have = it.h.Seq, true
	if keyframe {
		s.resyncPending = false
		s.stats.keyframes.Add(1)
		if s.stash != nil && s.stash.h.Seq <= s.curSeq {
			s.stash = nil
		}
	} else {
		s.stats.deltas.Add(1)
	}
	if it.dgram {
		s.stats.datagrams.Add(1)
	}
	s.up.Packed, s.up.Keyframe, s.up.Datagram = true, keyframe, it.dgram
	return true, nil
}

// resync asks the node for a keyframe, once until one arrives.
func (s *Subscription) resync() {
	if s.resyncPending {
		return
	}
	s.resyncPending = true
	s.stats.resyncs.Add(1)
	have := uint64(0)
	if s.have {
		have = s.curSeq
	}
	h := wire.Header{Type: wire.TypeResync}
	s.write(&h, func(b []byte) []byte { return wire.AppendResync(b, have) })
}

// finish fills the timing fields of the update for frame it.
func (s *Subscription) finish(it *item) *Update {
	u := &s.up
	u.IsEvent, u.IsRSI = false, false
	u.Seq, u.TimeNS, u.IngestNS, u.RecvNS, u.Bytes = it.h.Seq, it.h.Capture, u.State.IngestNS, it.recv, it.bytes
	s.clkMu.Lock()
	u.OffsetNS, u.RTTNS, u.Synced = s.clk.Offset()
	s.clkMu.Unlock()
	nodeNow := it.recv + u.OffsetNS
	u.AgeNS = max(nodeNow-u.TimeNS, 0)
	u.IngestAgeNS = 0
	if u.IngestNS > 0 {
		u.IngestAgeNS = max(nodeNow-u.IngestNS, 0)
	}
	s.stats.updates.Add(1)
	return u
}

// Stats returns the subscription's counters.
func (s *Subscription) Stats() Stats {
	return Stats{Updates: s.stats.updates.Load(), Keyframes: s.stats.keyframes.Load(), Deltas: s.stats.deltas.Load(),
		Datagrams: s.stats.datagrams.Load(), Resyncs: s.stats.resyncs.Load(), Dropped: s.stats.dropped.Load(),
		Resumed: s.stats.resumed.Load(), Events: s.stats.events.Load(), RSIs: s.stats.rsis.Load()}
}

// IsNodeError reports whether err is an Error frame from the node after
// which the subscription goes on (not a rejection of the subscription).
func IsNodeError(err error) bool {
	var e *wire.ErrorFrame
	return errors.As(err, &e) && !errors.Is(err, ErrRejected)
}

// Close ends the subscription.
func (s *Subscription) Close() error {
	s.once.Do(func() { close(s.stop) })
	s.kick()
	s.mu.Lock()
	s.closed = true
	qc, st, sid := s.qc, s.st, s.sid
	s.mu.Unlock()
	if st == nil {
		return nil
	}
	s.c.unroute(qc, sid, s)
	st.CancelRead(0)
	return st.Close()
}

// WaitContext closes the subscription when ctx ends, so a blocked Next
// returns. It returns a function that stops the watch.
func (s *Subscription) WaitContext(ctx context.Context) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-ctx.Done():
			s.Close()
		case <-done:
		}
	}()
	return func() { close(done); <-exited }
}

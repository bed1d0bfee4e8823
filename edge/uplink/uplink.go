// Package uplink publishes a node's fused state and its events to a NATS
// cluster, for city platforms that follow many intersections at once
// (docs/protocol.md §12).
//
//   - States go on core NATS, subject v2x.REGION.NODE.state: Update
//     frames (keyframes and deltas, the same bytes a packed QUIC
//     subscriber gets), rate-capped. At most once: a state the bus cannot
//     take now is dropped and counted, and the next one is a keyframe.
//   - Events go into a JetStream stream, subject v2x.REGION.NODE.events:
//     one Event frame a message, with a message id (Nats-Msg-Id) unique
//     per node run and event, so a retried publish whose first copy was
//     stored is dropped by the stream as a duplicate. The node keeps
//     events in a bounded buffer until the stream acknowledges them, and
//     publishes them in order; events beyond the bound are dropped and
//     counted.
//
// The node's side never waits for NATS: State and Event copy what they
// are given and return; the Uplink's own goroutines do the publishing.
package uplink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Subjects of node NODE in region REGION.
const (
	StateSuffix  = "state"
	EventsSuffix = "events"
	// EventsWildcard is the subjects of the events stream the node
	// creates: every node's events.
	EventsWildcard = "v2x.*.*." + EventsSuffix
)

// Subject returns v2x.REGION.NODE.SUFFIX.
func Subject(region, node, suffix string) string { return "v2x." + region + "." + node + "." + suffix }

// ParseSubject splits a subject made by Subject.
func ParseSubject(s string) (region, node, suffix string, ok bool) {
	p := strings.Split(s, ".")
	if len(p) != 4 || p[0] != "v2x" {
		return "", "", "", false
	}
	return p[1], p[2], p[3], true
}

// Message header fields besides Nats-Msg-Id.
const (
	// HeaderSeq is an event's sequence number in its node run (decimal),
	// the same as its Event frame's Seq: a gap means dropped events.
	HeaderSeq = "V2x-Seq"
	// HeaderRun names the node run (the Nats-Msg-Id prefix after the
	// node id); sequence numbers start again with a new run.
	HeaderRun = "V2x-Run"
)

// Publishing windows.
const (
	ackTimeout    = 3 * time.Second        // for one event's acknowledgement
	retryWait     = 200 * time.Millisecond // before publishing again after a failure
	reconnectWait = 250 * time.Millisecond
)

// Uplink publishes one node's states and events. Its methods are safe
// for concurrent use.
type Uplink struct {
	cfg       Config
	log       *slog.Logger
	m         metrics
	stateSubj string
	eventSubj string
	run       string // this run's id, in every event's message id

	nc *nats.Conn
	js jetstream.JetStream

	// The state slot: latest wins.
	stMu    sync.Mutex
	st      stateMsg
	stFull  bool
	stReady chan struct{}
	needKey atomic.Bool

	// The event buffer: a FIFO of encoded Event frames, each with its
	// sequence number; the head stays until the stream acknowledged it.
	evMu    sync.Mutex
	evq     []eventMsg // ring
	evHead  int
	evLen   int
	evSeq   uint64 // last sequence number given out
	evReady chan struct{}
	closing atomic.Bool

	stats struct {
		states, stateBytes, statesDropped, events, eventsDropped  atomic.Uint64
		handoversOut, handoversDropped, handoversIn, handoversBad atomic.Uint64
	}

	// Handovers (handover.go).
	hoSubj  string
	hoSink  func(Handover)
	hoMu    sync.Mutex
	hoq     []pendingHandover
	hoReady chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// flushed is closed when the event loop has published everything
	// (after Close asked it to finish) or given up.
	flushed chan struct{}
}

type stateMsg struct {
	frame     []byte
	seq, base uint64
	key       bool
}

type eventMsg struct {
	seq   uint64
	frame []byte
}

// New checks cfg (with defaults set) and returns an uplink that is not
// connected yet; its metrics are registered on reg.
func New(cfg Config, log *slog.Logger, reg prometheus.Registerer) (*Uplink, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return nil, errors.New("nats: no urls")
	}
	u := &Uplink{cfg: cfg, log: log.With("nats", cfg.NodeID), m: newMetrics(),
		stateSubj: Subject(cfg.Region, cfg.NodeID, StateSuffix), eventSubj: Subject(cfg.Region, cfg.NodeID, EventsSuffix),
		run:    strconv.FormatInt(time.Now().UnixNano(), 36),
		hoSubj: Subject(cfg.Region, cfg.NodeID, HandoverSuffix), hoReady: make(chan struct{}, 1),
		stReady: make(chan struct{}, 1), evReady: make(chan struct{}, 1), evq: make([]eventMsg, cfg.Buffer),
		flushed: make(chan struct{})}
	if reg != nil {
		if err := u.m.register(reg); err != nil {
			return nil, fmt.Errorf("nats: metrics: %w", err)
		}
	}
	u.needKey.Store(true)
	return u, nil
}

// StateSubject and EventSubject are the node's subjects.
func (u *Uplink) StateSubject() string { return u.stateSubj }
func (u *Uplink) EventSubject() string { return u.eventSubj }

// Start connects in the background and starts publishing: an unreachable
// bus is not an error (the uplink retries for as long as it runs); a
// credentials file that cannot be used is.
func (u *Uplink) Start() error {
	opts := []nats.Option{
		nats.Name("v2x-edge " + u.cfg.Region + "." + u.cfg.NodeID),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.ReconnectJitter(100*time.Millisecond, 100*time.Millisecond),
		// Nothing is buffered in the client while disconnected: a
		// publish then fails at once, and the uplink's own buffer (events)
		// or a later keyframe (states) takes over.
		nats.ReconnectBufSize(-1),
		nats.ConnectHandler(func(c *nats.Conn) {
			u.m.connected.Set(1)
			u.log.Info("nats connected", "server", c.ConnectedUrlRedacted())
			u.wake()
		}),
		nats.DisconnectErrHandler(func(c *nats.Conn, err error) {
			u.m.connected.Set(0)
			u.needKey.Store(true)
			u.log.Warn("nats disconnected; buffering events", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			u.m.connected.Set(1)
			u.m.reconnects.Inc()
			u.needKey.Store(true)
			u.log.Info("nats reconnected", "server", c.ConnectedUrlRedacted())
			u.wake()
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			u.m.errors.Inc()
			if errors.Is(err, nats.ErrAuthorization) || strings.Contains(strings.ToLower(err.Error()), "authorization") {
				u.log.Error("nats refused the node's credentials (check -nats-creds and the account's permissions)", "err", err)
				return
			}
			u.log.Warn("nats error", "err", err)
		}),
	}
	if u.cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(u.cfg.CredsFile))
	}
	nc, err := nats.Connect(strings.Join(u.cfg.URLs, ","), opts...)
	if err != nil {
		return fmt.Errorf("nats: connect %s: %w", strings.Join(u.cfg.URLs, ","), err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(u.cfg.Window), jetstream.WithPublishAsyncTimeout(ackTimeout))
	if err != nil {
		nc.Close()
		return fmt.Errorf("nats: jetstream: %w", err)
	}
	u.nc, u.js = nc, js
	if err := u.subscribeHandovers(); err != nil {
		nc.Close()
		return err
	}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	u.wg.Add(3)
	go func() { defer u.wg.Done(); u.handoverLoop() }()
	go func() { defer u.wg.Done(); u.stateLoop() }()
	go func() { defer u.wg.Done(); defer close(u.flushed); u.eventLoop() }()
	return nil
}

func (u *Uplink) wake() {
	select {
	case u.evReady <- struct{}{}:
	default:
	}
}

// Stats counts what the uplink did (its metrics say the same).
type Stats struct {
	States, StateBytes, StatesDropped uint64 // states published, their bytes, states dropped
	Events, EventsDropped             uint64 // events acknowledged by the stream, events dropped
	Buffered                          int    // events awaiting acknowledgement
	// Handovers published (both copies out, or the first before the
	// second timed out), dropped unpublished, received from neighbours
	// (repeats included), and received undecodable.
	HandoversOut, HandoversDropped, HandoversIn, HandoversBad uint64
}

// Stats returns the uplink's counters.
func (u *Uplink) Stats() Stats {
	return Stats{States: u.stats.states.Load(), StateBytes: u.stats.stateBytes.Load(), StatesDropped: u.stats.statesDropped.Load(),
		Events: u.stats.events.Load(), EventsDropped: u.stats.eventsDropped.Load(), Buffered: u.buffered(),
		HandoversOut: u.stats.handoversOut.Load(), HandoversDropped: u.stats.handoversDropped.Load(),
		HandoversIn: u.stats.handoversIn.Load(), HandoversBad: u.stats.handoversBad.Load()}
}

// NeedKeyframe reports whether the next state handed to State should be a
// keyframe (the first, after a disconnection, or after a delta whose base
// was not published), and clears the request.
func (u *Uplink) NeedKeyframe() bool { return u.needKey.Swap(false) }

// State hands the uplink an Update payload (wire.AppendUpdate and its
// body) of the state with sequence number seq at node time capture: a
// keyframe, or a delta against state base. It copies the payload and
// returns at once; a state not yet published is replaced.
func (u *Uplink) State(payload []byte, seq, base uint64, capture int64, key bool) {
	h := wire.Header{Type: wire.TypeUpdate, Seq: seq, Capture: capture}
	u.stMu.Lock()
	if u.stFull {
		u.m.stateDropped.Inc() // superseded before it went out
		u.stats.statesDropped.Add(1)
		if u.st.key && !key {
			// The delta's base is the keyframe replaced: keep it a keyframe.
			u.needKey.Store(true)
		}
	}
	b := wire.AppendHeader(u.st.frame[:0], &h)
	b = append(b, payload...)
	wire.FinishFrame(b, 0)
	u.st = stateMsg{frame: b, seq: seq, base: base, key: key}
	u.stFull = true
	u.stMu.Unlock()
	select {
	case u.stReady <- struct{}{}:
	default:
	}
}

// stateLoop publishes the state slot. A delta whose base did not go out
// is dropped: subscribers could not apply it.
func (u *Uplink) stateLoop() {
	var out []byte
	var last uint64 // the state published last; 0: none (a keyframe must come)
	for {
		select {
		case <-u.ctx.Done():
			return
		case <-u.stReady:
		}
		u.stMu.Lock()
		if !u.stFull {
			u.stMu.Unlock()
			continue
		}
		st := u.st
		out = append(out[:0], st.frame...)
		u.stFull = false
		u.stMu.Unlock()
		if !st.key && st.base != last {
			u.m.stateDropped.Inc()
			u.stats.statesDropped.Add(1)
			u.needKey.Store(true)
			continue
		}
		if err := u.nc.Publish(u.stateSubj, out); err != nil {
			u.m.stateDropped.Inc()
			u.stats.statesDropped.Add(1)
			u.needKey.Store(true)
			last = 0
			continue
		}
		last = st.seq
		u.stats.states.Add(1)
		u.stats.stateBytes.Add(uint64(len(out)))
		u.m.statePublished.Inc()
		u.m.stateBytes.Add(float64(len(out)))
		if st.key {
			u.m.keyframes.Inc()
		}
	}
}

// Event hands the uplink an Event payload (wire.AppendEvent) of an event
// at node time capture. It gives the event the next sequence number,
// copies it into the buffer and returns at once; when the buffer is full
// the event is dropped and counted (its sequence number is not reused, so
// consumers see the gap).
func (u *Uplink) Event(payload []byte, capture int64) {
	u.evMu.Lock()
	u.evSeq++
	seq := u.evSeq
	if u.evLen == len(u.evq) || u.closing.Load() {
		u.evMu.Unlock()
		u.m.eventDropped.Inc()
		u.stats.eventsDropped.Add(1)
		return
	}
	e := &u.evq[(u.evHead+u.evLen)%len(u.evq)]
	h := wire.Header{Type: wire.TypeEvent, Seq: seq, Capture: capture}
	b := wire.AppendHeader(e.frame[:0], &h)
	b = append(b, payload...)
	wire.FinishFrame(b, 0)
	e.seq, e.frame = seq, b
	u.evLen++
	u.m.buffered.Set(float64(u.evLen))
	u.evMu.Unlock()
	u.wake()
}

// peek copies up to n buffered events from the head into dst.
func (u *Uplink) peek(dst []eventMsg, n int) []eventMsg {
	u.evMu.Lock()
	defer u.evMu.Unlock()
	dst = dst[:0]
	for i := range min(n, u.evLen) {
		e := &u.evq[(u.evHead+i)%len(u.evq)]
		dst = append(dst, eventMsg{seq: e.seq, frame: append([]byte(nil), e.frame...)})
	}
	return dst
}

// pop removes n acknowledged events from the head.
func (u *Uplink) pop(n int) {
	u.evMu.Lock()
	u.evHead = (u.evHead + n) % len(u.evq)
	u.evLen -= n
	u.m.buffered.Set(float64(u.evLen))
	u.evMu.Unlock()
}

func (u *Uplink) buffered() int {
	u.evMu.Lock()
	defer u.evMu.Unlock()
	return u.evLen
}

// msgID is an event's Nats-Msg-Id: unique per node, run and event.
func (u *Uplink) msgID(seq uint64) string {
	return u.cfg.NodeID + "." + u.run + "." + strconv.FormatUint(seq, 10)
}

// eventLoop ensures the stream, then publishes buffered events in order,
// a window (Config.Window) at a time: each window's acknowledgements are
// awaited in order, and from the first that fails on, the events are
// published again after a pause (the stream drops those it already has,
// by message id). It ends
// when the uplink closes, once the buffer is empty or the flush deadline
// passes.
func (u *Uplink) eventLoop() {
	var win []eventMsg
	futs := make([]jetstream.PubAckFuture, 0, u.cfg.Window)
	ensured := false
	for {
		if u.closing.Load() && (u.buffered() == 0 || u.ctx.Err() != nil) {
			return
		}
		if !ensured {
			if err := u.ensureStream(); err != nil {
				u.m.errors.Inc()
				u.log.Warn("nats: events stream not ready; buffering events", "stream", u.cfg.Stream, "err", err)
				if !u.pause(time.Second) {
					return
				}
				continue
			}
			ensured = true
		}
		win = u.peek(win, u.cfg.Window)
		if len(win) == 0 {
			select {
			case <-u.ctx.Done():
				return
			case <-u.evReady:
			}
			continue
		}
		if !u.nc.IsConnected() {
			if !u.pause(retryWait) {
				return
			}
			continue
		}
		futs = futs[:0]
		for _, e := range win {
			m := nats.NewMsg(u.eventSubj)
			m.Data = e.frame
			m.Header.Set(HeaderSeq, strconv.FormatUint(e.seq, 10))
			m.Header.Set(HeaderRun, u.run)
			f, err := u.js.PublishMsgAsync(m, jetstream.WithMsgID(u.msgID(e.seq)), jetstream.WithExpectStream(u.cfg.Stream))
			if err != nil {
				break
			}
			futs = append(futs, f)
		}
		acked, dups, size := 0, 0, 0
	acks:
		for _, f := range futs {
			select {
			case ack := <-f.Ok():
				size += len(win[acked].frame)
				acked++
				if ack.Duplicate {
					dups++
				}
			case err := <-f.Err():
				u.log.Debug("nats: event publish failed; will retry", "seq", win[acked].seq, "err", err)
				break acks
			case <-u.ctx.Done():
				return
			}
		}
		// Drain the rest of the window's futures (they settle by the ack
		// timeout) so the next window starts clean.
		if acked < len(futs) {
			u.drainAsync()
		}
		if acked > 0 {
			u.pop(acked)
			u.m.eventPublished.Add(float64(acked)) // a duplicate's first copy is in the stream
			u.stats.events.Add(uint64(acked))
			u.m.eventDuplicates.Add(float64(dups))
			u.m.eventBytes.Add(float64(size))
		}
		if acked < len(win) {
			u.m.eventRetries.Add(float64(len(win) - acked))
			if !u.pause(retryWait) {
				return
			}
		}
	}
}

// drainAsync waits until no publish is awaiting acknowledgement, at most
// the ack timeout.
func (u *Uplink) drainAsync() {
	select {
	case <-u.js.PublishAsyncComplete():
	case <-time.After(ackTimeout + time.Second):
	case <-u.ctx.Done():
	}
}

// pause waits d; false when the uplink is done.
func (u *Uplink) pause(d time.Duration) bool {
	select {
	case <-u.ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// ensureStream creates the events stream when it does not exist. An
// existing stream is left as it is (its operators may have tuned it), but
// it must take the node's events subject.
func (u *Uplink) ensureStream() error {
	ctx, cancel := context.WithTimeout(u.ctx, 5*time.Second)
	defer cancel()
	s, err := u.js.Stream(ctx, u.cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = u.js.CreateStream(ctx, jetstream.StreamConfig{
			Name: u.cfg.Stream, Subjects: []string{EventsWildcard}, Retention: jetstream.LimitsPolicy,
			Storage: jetstream.FileStorage, MaxAge: u.cfg.MaxAge, Replicas: u.cfg.Replicas, Duplicates: u.cfg.Dedup,
			Description: "v2x-edge events of every node (docs/protocol.md §12)",
		})
		if err == nil || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			u.log.Info("nats: events stream created", "stream", u.cfg.Stream, "replicas", u.cfg.Replicas, "max_age", u.cfg.MaxAge)
			return nil
		}
		return fmt.Errorf("create stream %s: %w", u.cfg.Stream, err)
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", u.cfg.Stream, err)
	}
	for _, subj := range s.CachedInfo().Config.Subjects {
		if subjectCovers(subj, u.eventSubj) {
			return nil
		}
	}
	return fmt.Errorf("stream %s exists but does not take %s (its subjects: %v)", u.cfg.Stream, u.eventSubj, s.CachedInfo().Config.Subjects)
}

// subjectCovers reports whether NATS subject filter f matches subject s.
func subjectCovers(f, s string) bool {
	ft, st := strings.Split(f, "."), strings.Split(s, ".")
	for i, t := range ft {
		if t == ">" {
			return i < len(st)
		}
		if i >= len(st) || t != "*" && t != st[i] {
			return false
		}
	}
	return len(ft) == len(st)
}

// Close stops the uplink: no more events are taken, the buffered ones are
// published for up to FlushTimeout, and the connection is drained. It
// returns an error naming how many events were left unpublished (and
// counts them as dropped).
func (u *Uplink) Close() error {
	if u.nc == nil {
		return nil
	}
	u.closing.Store(true)
	u.wake()
	select {
	case <-u.flushed:
	case <-time.After(u.cfg.FlushTimeout):
	}
	u.cancel()
	u.wg.Wait()
	left := u.buffered()
	u.nc.FlushTimeout(min(u.cfg.FlushTimeout, time.Second))
	u.nc.Close()
	u.m.connected.Set(0)
	if left > 0 {
		u.m.eventDropped.Add(float64(left))
		u.stats.eventsDropped.Add(uint64(left))
		return fmt.Errorf("nats: %d events not published within the flush timeout %v", left, u.cfg.FlushTimeout)
	}
	return nil
}

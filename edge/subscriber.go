package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// subscriber is the broadcast side of one subscriber stream: a latest-wins
// mailbox and a writer goroutine of its own, so a subscriber that reads
// slowly (or not at all) only ever delays itself. The stream's reader
// goroutine updates the subscription; the writer reads it atomically.
//
// A subscription with wire.SubPacked gets Update frames: a keyframe first,
// at least every KeyframeInterval and after a Resync, deltas against the
// state it was sent last otherwise. A delta that fits goes as a QUIC
// datagram, anything else on the stream.
//
// A subscriber capped at r Hz gets the first state with new measurements in
// each 1/r slot of the node clock, so what it gets is as fresh as the data
// allow. Slots come in phaseGroups phases: subscribers in one phase with the
// same view share encoded updates, and the phases spread the sending over
// the slot instead of bursting at its start. A state without new
// measurements (the idle publish tick) goes out at most once a second, as a
// heartbeat.
type subscriber struct {
	broadcast
	ss      subscriberStream
	fw      *wire.Writer // ss's frame writer
	source  uint32       // ss's QUIC stream id: Update frames' Source
	log     *slog.Logger
	mb      *mailbox
	filter  atomic.Pointer[wire.Subscribe]
	needKey atomic.Bool
	started bool
	evq     atomic.Pointer[eventQueue] // set once the subscription asks for events
	// operator says the stream's identity has the operator role: only
	// then may a Subscribe ask for events (wire.SubEvents).
	operator bool

	// writer-owned
	state     wire.State
	rsm       *rsmOut  // CSAE RSM output (wire.SubCSAERSM), made on first use
	sdsm      *sdsmOut // J2735 SDSM output (wire.SubJ2735SDSM), made on first use
	rsiOut    rsiOut   // RSI output (wire.SubRSI, wire.SubCSAERSI)
	lastSeq   uint64
	lastSlot  int64
	phase     float64   // slot phase, a fraction of the slot
	lastSent  int64     // TimeNS of the state sent last
	lastKey   int64     // keyframe slot of the last keyframe
	lastKeyNS int64     // TimeNS of the last keyframe
	base      *snapshot // the state sent last (packed), held
	baseKey   viewKey
	dgram     []byte
	idx       []int32   // scratch for selectView
	d2        []float64 // scratch for selectView
	// keySeq and keyView are the snapshot and view of the last keyframe
	// (or State) sent: a Resync that finds nothing newer is answered by
	// the keyframe already on the stream, not another.
	keySeq  uint64
	keyView viewKey
}

// phaseGroups is how many slot phases rate-capped subscribers spread over.
const phaseGroups = 16

// heartbeat is how often a subscriber gets a state without new
// measurements.
const heartbeat = int64(time.Second)

// broadcast is what the node gives every subscriber: the hub it takes
// snapshots from, the broadcast configuration and the broadcast metrics.
type broadcast struct {
	hub *hub
	cfg broadcastConfig
	m   *broadcastMetrics
}

// broadcastConfig is what the subscribers need of the node's
// configuration.
type broadcastConfig struct {
	comp             wire.Compression // of Update bodies
	keyframeInterval time.Duration    // a keyframe at least this often
	noDatagrams      bool             // every Update on the stream
	maxDatagram      int              // bytes; larger Update frames go on the stream
}

func newBroadcastConfig(c *Config) broadcastConfig {
	comp, _ := wire.ParseCompression(c.Compression) // checked by Validate
	return broadcastConfig{comp: comp, keyframeInterval: c.KeyframeInterval, noDatagrams: c.NoDatagrams, maxDatagram: c.MaxDatagram}
}

// subscriberStream is what a subscriber needs of its stream session (the
// narrow interface follows quic-go's streamSender): the stream's frame
// writer and id, the connection's datagrams, and Error frames for frames
// it refuses.
type subscriberStream interface {
	frameWriter() *wire.Writer
	streamID() quic.StreamID
	// sendDatagram sends one frame as a QUIC datagram; a
	// *quic.DatagramTooLargeError says it did not fit.
	sendDatagram(b []byte) error
	// reject answers a frame with an Error frame and counts it.
	reject(h *wire.Header, code wire.Code, msg string)
}

// newSubscriber returns the subscriber of stream ss; id, unique per
// stream, picks its slot phase.
func newSubscriber(bc broadcast, ss subscriberStream, id uint64, log *slog.Logger) *subscriber {
	return &subscriber{broadcast: bc, ss: ss, fw: ss.frameWriter(), source: uint32(ss.streamID()), log: log,
		mb: newMailbox(), phase: SlotPhase(id)}
}

// handle processes a frame from the subscriber. It reports whether this
// frame made the subscription start (the caller then starts run).
func (s *subscriber) handle(h *wire.Header, payload []byte) bool {
	switch h.Type {
	case wire.TypeSubscribe:
	case wire.TypeResync:
		if _, err := wire.DecodeResync(payload); err != nil {
			s.ss.reject(h, wire.CodeMalformed, err.Error())
			return false
		}
		s.m.resyncs.Inc()
		s.needKey.Store(true)
		s.mb.due.Store(0)
		s.mb.signal()
		return false
	default:
		s.ss.reject(h, wire.CodeUnexpectedFrame, fmt.Sprintf("%s frame on a subscriber stream", h.Type))
		return false
	}
	f := new(wire.Subscribe)
	if err := wire.DecodeSubscribe(payload, f); err != nil {
		s.ss.reject(h, wire.CodeInvalidValue, err.Error())
		return false
	}
	if f.Flags&wire.SubEvents != 0 && !s.operator {
		s.ss.reject(h, wire.CodeForbidden, "events (SubEvents) need the operator role")
		return false
	}
	if f.Flags&wire.SubEvents != 0 && s.evq.Load() == nil {
		q := newEventQueue()
		s.evq.Store(q)
		s.hub.events.add(q)
	}
	s.filter.Store(f)
	s.mb.rate.Store(math.Float32bits(f.MaxRate))
	s.needKey.Store(true)
	s.mb.due.Store(0)
	s.mb.signal() // answer a new subscription with the current state at once
	if s.started {
		return false
	}
	s.started = true
	s.m.subscribers.Inc()
	s.hub.addMailbox(s.mb)
	return true
}

func (s *subscriber) close() {
	if q := s.evq.Load(); q != nil {
		s.hub.events.remove(q)
	}
	if s.started {
		s.hub.removeMailbox(s.mb)
		s.m.subscribers.Dec()
	}
}

// slot returns the rate slot of node time t for a cap of rate Hz and a
// phase, and the node time at which the next slot begins.
func slot(t int64, rate float32, phase float64) (sl, next int64) {
	sl = int64(float64(t)*float64(rate)/1e9 + phase)
	return sl, int64((float64(sl+1) - phase) * 1e9 / float64(rate))
}

// worthSending reports whether snap should go to the subscriber now (a
// subscriber that asked for a keyframe gets one regardless): a state with
// new measurements, or a heartbeat's worth of time without; with a rate
// cap, once per slot. A subscriber whose slot began waits for the next
// state with new data rather than take an older one at once, so what it
// gets is as fresh as the data allow; that includes a subscriber the burst
// limit held back.
func (s *subscriber) worthSending(snap *snapshot, f *wire.Subscribe) bool {
	if snap.Seq == s.lastSeq || !snap.Fresh && snap.TimeNS-s.lastSent < heartbeat {
		return false
	}
	if f.MaxRate > 0 {
		sl, next := slot(snap.TimeNS, f.MaxRate, s.phase)
		s.mb.due.Store(next)
		if sl == s.lastSlot {
			return false
		}
		s.lastSlot = sl
	}
	return true
}

// run writes states until the stream or the node ends.
func (s *subscriber) run(ctx context.Context) {
	defer func() {
		if s.base != nil {
			s.hub.Release(s.base)
		}
	}()
	for {
		var evc chan wire.Event // nil (never ready) until events are asked for
		if q := s.evq.Load(); q != nil {
			evc = q.c
		}
		select {
		case <-ctx.Done():
			return
		case ev := <-evc:
			if err := s.sendEvent(&ev); err != nil {
				if !errors.Is(err, context.Canceled) {
					s.log.Debug("subscriber write failed", "err", err)
				}
				return
			}
			continue
		case <-s.mb.c:
		}
		if err := s.sendCurrent(); err != nil {
			if !errors.Is(err, context.Canceled) {
				s.log.Debug("subscriber write failed", "err", err)
			}
			return
		}
	}
}

// sendEvent writes one Event frame on the stream (never as a datagram),
// while the subscription still asks for events.
func (s *subscriber) sendEvent(ev *wire.Event) error {
	if f := s.filter.Load(); f == nil || f.Flags&wire.SubEvents == 0 {
		return nil
	}
	h := wire.Header{Type: wire.TypeEvent, Capture: ev.TimeNS, Source: s.source}
	return s.fw.WriteFrame(&h, 0, func(b []byte) []byte { return wire.AppendEvent(b, ev) })
}

// sendCurrent sends the current snapshot if it is worth sending: the work
// of one wakeup.
func (s *subscriber) sendCurrent() error {
	f := s.filter.Load()
	snap := s.hub.Acquire()
	if snap == nil {
		return nil
	}
	if f.Flags&(wire.SubRSI|wire.SubCSAERSI) != 0 {
		if err := s.sendRSI(snap, f); err != nil {
			s.hub.Release(snap)
			return err
		}
	}
	if !s.needKey.Load() && !s.worthSending(snap, f) {
		s.hub.Release(snap)
		return nil
	}
	if s.needKey.Load() && snap.Seq == s.keySeq && snap.Seq == s.lastSeq && keyOf(f) == s.keyView {
		// The keyframe asked for is the one sent last, already on the
		// stream: Resyncs in a burst cost one keyframe, not one each.
		s.needKey.Store(false)
		s.m.resyncsCoalesced.Inc()
		s.hub.Release(snap)
		return nil
	}
	seq, at := snap.Seq, snap.TimeNS // snap may be reused once released
	var err error
	switch {
	case f.Flags&(wire.SubCSAERSM|wire.SubJ2735SDSM) != 0:
		if f.Flags&wire.SubCSAERSM != 0 {
			err = s.sendRSM(snap, f)
		}
		if err == nil && f.Flags&wire.SubJ2735SDSM != 0 {
			err = s.sendSDSM(snap, f)
		}
		s.hub.Release(snap)
	case f.Flags&wire.SubPacked != 0:
		err = s.sendPacked(snap, f)
	default:
		err = s.sendState(snap, f)
		s.hub.Release(snap)
	}
	if err != nil {
		return err
	}
	s.lastSeq, s.lastSent = seq, at
	return nil
}

// sendState writes snap as a State frame (a subscription without
// SubPacked).
func (s *subscriber) sendState(snap *snapshot, f *wire.Subscribe) error {
	s.needKey.Store(false)
	s.keySeq, s.keyView = snap.Seq, keyOf(f)
	s.fill(snap, f)
	h := wire.Header{Type: wire.TypeState, Seq: snap.Seq, Capture: snap.TimeNS}
	var size int
	err := s.fw.WriteFrame(&h, 0, func(b []byte) []byte {
		b = wire.AppendState(b, &s.state)
		size = len(b)
		return b
	})
	if err != nil {
		return err
	}
	s.m.delivered.Inc()
	s.m.stateBytes.Add(float64(size))
	s.m.rawBytes.Add(float64(size))
	return nil
}

// sendPacked writes snap as an Update: a delta against the state sent
// last when there is one and no keyframe is due, else a keyframe. It keeps
// its reference to snap as the next base.
func (s *subscriber) sendPacked(snap *snapshot, f *wire.Subscribe) error {
	cfg := &s.cfg
	// Keyframe slots are phased like rate slots, so that keyframes (the
	// largest updates, on the stream) spread over the interval.
	// A keyframe sent for another reason (first state, Resync, a new
	// view) counts: the next periodic one comes at a slot boundary at least
	// half an interval later.
	keySlot, _ := slot(snap.TimeNS, float32(1e9/float64(cfg.keyframeInterval)), s.phase)
	periodic := keySlot != s.lastKey && snap.TimeNS-s.lastKeyNS >= int64(cfg.keyframeInterval)/2
	key := s.needKey.Swap(false) || s.base == nil || periodic || keyOf(f) != s.baseKey
	base := s.base
	if key {
		base = nil
		s.lastKey, s.lastKeyNS = keySlot, snap.TimeNS
		s.keySeq, s.keyView = snap.Seq, keyOf(f)
	}
	comp := cfg.comp
	if f.Flags&wire.SubUncompressed != 0 {
		comp = wire.CompressNone
	}
	payload, rawLen, fresh, err := snap.encoded(f, base, comp)
	if err != nil {
		s.hub.Release(snap)
		return err
	}
	if fresh {
		s.m.encodings.Inc()
	}
	h := wire.Header{Type: wire.TypeUpdate, Seq: snap.Seq, Capture: snap.TimeNS, Source: s.source}
	size := wire.HeaderLen + len(payload)
	path := pathStream
	if !key && !cfg.noDatagrams && f.Flags&wire.SubNoDatagram == 0 && size <= cfg.maxDatagram {
		b := wire.AppendHeader(s.dgram[:0], &h)
		b = append(b, payload...)
		wire.FinishFrame(b, 0)
		s.dgram = b
		err = s.ss.sendDatagram(b)
		var tooLarge *quic.DatagramTooLargeError
		if errors.As(err, &tooLarge) {
			err = nil // the path shrank: send it on the stream
		} else {
			path = pathDatagram
		}
	}
	if path == pathStream && err == nil {
		err = s.fw.WriteFrame(&h, 0, func(b []byte) []byte { return append(b, payload...) })
	}
	if err != nil {
		s.hub.Release(snap)
		return err
	}
	if s.base != nil {
		s.hub.Release(s.base)
	}
	s.base, s.baseKey = snap, keyOf(f)
	kind := kindDelta
	if key {
		kind = kindKeyframe
	}
	s.m.delivered.Inc()
	s.m.delay.Observe(float64(clock.Now()-h.Capture) / 1e9)
	s.m.updates[kind][path].Inc()
	s.m.bytes[path].Add(float64(size))
	s.m.rawBytes.Add(float64(rawLen))
	return nil
}

// fill builds the subscriber's view of snap as a State: objects inside its
// region and classes, and every signal group.
func (s *subscriber) fill(snap *snapshot, f *wire.Subscribe) {
	st := &s.state
	st.IngestNS, st.Intersection, st.Flags = snap.IngestNS, snap.Intersection, wire.StateKeyframe
	st.Objects = st.Objects[:0]
	var cut int
	s.idx, s.d2, cut = snap.selectView(f, s.idx, s.d2)
	if cut > 0 {
		s.m.objectsCut.Add(float64(cut))
	}
	for _, i := range s.idx {
		st.Objects = append(st.Objects, snap.Objects[i])
	}
	st.Signals = append(st.Signals[:0], snap.Signals...)
}

package edge

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// subscriber is the broadcast side of one subscriber stream: a latest-wins
// mailbox and a writer goroutine of its own, so a subscriber that reads
// slowly (or not at all) only ever delays itself. The stream's reader
// goroutine updates the subscription; the writer reads it atomically.
type subscriber struct {
	n       *Node
	ss      *streamSession
	mb      *mailbox
	filter  atomic.Pointer[wire.Subscribe]
	started bool

	// writer-owned
	state   wire.State
	lastSeq uint64
}

func newSubscriber(n *Node, ss *streamSession) *subscriber {
	return &subscriber{n: n, ss: ss, mb: newMailbox()}
}

// handle processes a frame from the subscriber. It reports whether this
// frame made the subscription start (the caller then starts run).
func (s *subscriber) handle(h *wire.Header, payload []byte) bool {
	if h.Type != wire.TypeSubscribe {
		s.ss.reject(h, wire.CodeUnexpectedFrame, fmt.Sprintf("%s frame on a subscriber stream", h.Type))
		return false
	}
	f := new(wire.Subscribe)
	if err := wire.DecodeSubscribe(payload, f); err != nil {
		s.ss.reject(h, wire.CodeInvalidValue, err.Error())
		return false
	}
	s.filter.Store(f)
	s.mb.signal() // answer a new subscription with the current state at once
	if s.started {
		return false
	}
	s.started = true
	s.n.m.subscribers.Inc()
	s.n.hub.addMailbox(s.mb)
	return true
}

func (s *subscriber) close() {
	if s.started {
		s.n.hub.removeMailbox(s.mb)
		s.n.m.subscribers.Dec()
	}
}

// run writes states until the stream or the node ends.
func (s *subscriber) run(ctx context.Context) {
	var last int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.mb.c:
		}
		f := s.filter.Load()
		if f.MaxRate > 0 { // rate cap: wait out the interval; newer states coalesce meanwhile
			if wait := last + int64(float64(time.Second)/float64(f.MaxRate)) - clock.Now(); wait > 0 {
				t := time.NewTimer(time.Duration(wait))
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
		}
		snap := s.n.hub.Acquire()
		if snap == nil {
			continue
		}
		if snap.Seq == s.lastSeq {
			s.n.hub.Release(snap)
			continue
		}
		s.lastSeq = snap.Seq
		s.fill(snap, f)
		h := wire.Header{Type: wire.TypeState, Seq: snap.Seq, Capture: snap.TimeNS}
		s.n.hub.Release(snap)
		var size int
		err := s.ss.fw.WriteFrame(&h, 0, func(b []byte) []byte {
			b = wire.AppendState(b, &s.state)
			size = len(b)
			return b
		})
		if err != nil {
			return
		}
		last = clock.Now()
		s.n.m.delivered.Inc()
		s.n.m.stateBytes.Add(float64(size))
	}
}

// fill builds the subscriber's view of snap: objects inside its region and
// classes, and every signal group.
func (s *subscriber) fill(snap *Snapshot, f *wire.Subscribe) {
	st := &s.state
	st.IngestNS, st.Intersection, st.Flags = snap.IngestNS, snap.Intersection, wire.StateKeyframe
	st.Objects = st.Objects[:0]
	var ce, cn float64
	if f.Flags&wire.SubCenter != 0 && snap.HasFrame {
		ce, cn, _ = snap.Frame.ToENU(f.CenterLat, f.CenterLon, 0)
	}
	r2 := float64(f.Radius) * float64(f.Radius)
	for i := range snap.Objects {
		o := &snap.Objects[i]
		if f.Classes != 0 && !f.Classes.Has(o.Class) {
			continue
		}
		if f.Radius > 0 {
			de, dn := float64(o.E)-ce, float64(o.N)-cn
			if de*de+dn*dn > r2 {
				continue
			}
		}
		if len(st.Objects) == wire.MaxStateObjects {
			break
		}
		st.Objects = append(st.Objects, *o)
	}
	st.Signals = append(st.Signals[:0], snap.Signals...)
}

package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Subscription is a subscriber stream. Next must be called from one
// goroutine; Update and Close may be called from any.
type Subscription struct {
	st  *quic.Stream
	r   *wire.Reader
	clk wire.ClockFilter // owned by Next

	fw *wire.Writer

	stop chan struct{}
	once sync.Once
	up   Update
}

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
	State       wire.State
}

// clockSamples is how many exchanges Subscribe makes before subscribing.
const clockSamples = 4

// Subscribe opens a subscriber stream: it first measures the clock offset
// to the node with a few exchanges, then sends sub. It keeps measuring
// every second while the subscription lives.
func (c *Conn) Subscribe(ctx context.Context, sub wire.Subscribe) (*Subscription, error) {
	st, err := c.qc.OpenStreamSync(ctx)
	if err != nil {
		return nil, fmt.Errorf("open subscriber stream: %w", err)
	}
	s := &Subscription{st: st, fw: wire.NewWriter(st), r: wire.NewReader(st, 0), stop: make(chan struct{})}
	if dl, ok := ctx.Deadline(); ok {
		st.SetReadDeadline(dl)
	}
	for i := 0; i < clockSamples; i++ {
		if err := s.sendClockRequest(); err != nil {
			return nil, err
		}
		h, p, err := s.r.Next()
		if err != nil {
			st.CancelRead(0)
			st.Close()
			return nil, fmt.Errorf("clock exchange: %w", err)
		}
		if h.Type != wire.TypeClockResponse {
			st.CancelRead(0)
			st.Close()
			return nil, fmt.Errorf("clock exchange: node answered with a %s frame", h.Type)
		}
		s.clockResponse(p, clock.Now())
	}
	st.SetReadDeadline(time.Time{})
	if err := s.Update(sub); err != nil {
		return nil, err
	}
	go s.clockLoop()
	return s, nil
}

func (s *Subscription) write(h *wire.Header, fill func([]byte) []byte) error {
	return s.fw.WriteFrame(h, 0, fill)
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
			if s.sendClockRequest() != nil {
				return
			}
		}
	}
}

func (s *Subscription) clockResponse(p []byte, t4 int64) {
	t1, t2, t3, err := wire.DecodeClockResponse(p)
	if err == nil {
		s.clk.Add(wire.ClockSample{T1: t1, T2: t2, T3: t3, T4: t4})
	}
}

// Update replaces the subscription (region, classes, rate).
func (s *Subscription) Update(sub wire.Subscribe) error {
	h := wire.Header{Type: wire.TypeSubscribe}
	if err := s.write(&h, func(b []byte) []byte { return wire.AppendSubscribe(b, &sub) }); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// Next blocks for the next state. An Error frame from the node (for
// example, an invalid Update) is returned as a *wire.ErrorFrame; the
// subscription goes on after it. Other errors end the subscription.
func (s *Subscription) Next() (*Update, error) {
	for {
		h, p, err := s.r.Next()
		now := clock.Now()
		if err != nil {
			return nil, err
		}
		switch h.Type {
		case wire.TypeClockResponse:
			s.clockResponse(p, now)
		case wire.TypeError:
			e := new(wire.ErrorFrame)
			if err := wire.DecodeError(p, e); err != nil {
				return nil, fmt.Errorf("undecodable error frame: %w", err)
			}
			return nil, e
		case wire.TypeState:
			u := &s.up
			if err := wire.DecodeState(p, &u.State); err != nil {
				return nil, fmt.Errorf("state %d: %w", h.Seq, err)
			}
			u.Seq, u.TimeNS, u.IngestNS, u.RecvNS = h.Seq, h.Capture, u.State.IngestNS, now
			u.OffsetNS, u.RTTNS, u.Synced = s.clk.Offset()
			nodeNow := now + u.OffsetNS
			u.AgeNS = max(nodeNow-u.TimeNS, 0)
			u.IngestAgeNS = 0
			if u.IngestNS > 0 {
				u.IngestAgeNS = max(nodeNow-u.IngestNS, 0)
			}
			return u, nil
		}
	}
}

// IsNodeError reports whether err is an Error frame from the node, after
// which the subscription goes on.
func IsNodeError(err error) bool {
	var e *wire.ErrorFrame
	return errors.As(err, &e)
}

// Close ends the subscription.
func (s *Subscription) Close() error {
	s.once.Do(func() { close(s.stop) })
	s.st.CancelRead(0)
	return s.st.Close()
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

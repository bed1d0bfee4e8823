package edge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/quota"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// streamSession is one client-initiated bidirectional stream. Its first
// frame other than a ClockRequest decides its role.
type streamSession struct {
	n    *Node // for the producer hook only (newProducer)
	id   uint64
	st   *quic.Stream
	conn *quic.Conn // for datagrams
	fw   *wire.Writer
	log  *slog.Logger
	cfg  streamConfig
	m    *frameMetrics
	bc   broadcast // what a subscriber on the stream gets
	// ident is the connection's client identity (its verified
	// certificate): what it may send and whether it may subscribe.
	ident auth.Identity
	am    *authMetrics
	acct  *quota.Account // the identity's quotas (nil: none)
	// backoff is how long to wait before reading the next frame: a rate
	// quota refused the last one (quota.Account.Backoff); refusals counts
	// the refusals in a row, each doubling the wait up to 8 times the
	// quota's own (streams of one identity wake together and would
	// otherwise share each token out among refusals; more would make an
	// identity that overloads itself bursty).
	backoff  time.Duration
	refusals int
	// subs is the stream's own Subscribe/Resync bucket
	// (quota.Limits.SubscribesPerStream), within the identity's.
	subs quota.Bucket
}

// streamConfig is what a stream session needs of the node's
// configuration.
type streamConfig struct {
	maxFrame      int           // bytes, length field limit
	errorWriteTTL time.Duration // deadline for writing an Error frame
	frameTimeout  time.Duration // from a frame's first byte to its last
}

func newStreamConfig(c *Config) streamConfig {
	return streamConfig{maxFrame: c.MaxFrame, errorWriteTTL: c.ErrorWriteTTL, frameTimeout: c.FrameTimeout}
}

// The stream session is its subscriber's subscriberStream.
func (ss *streamSession) frameWriter() *wire.Writer   { return ss.fw }
func (ss *streamSession) streamID() quic.StreamID     { return ss.st.StreamID() }
func (ss *streamSession) sendDatagram(b []byte) error { return ss.conn.SendDatagram(b) }

// reject answers a frame with an Error frame and counts it. An Error frame
// that cannot be written within ErrorWriteTTL (the peer does not read) is
// counted as unsent.
func (ss *streamSession) reject(h *wire.Header, code wire.Code, msg string) {
	ss.m.reject(code)
	ss.log.Debug("frame rejected", "code", code.String(), "type", h.Type.String(), "seq", h.Seq, "msg", msg)
	e := wire.ErrorFrame{Code: code, Type: h.Type, Seq: h.Seq, Message: msg}
	eh := wire.Header{Type: wire.TypeError}
	if err := ss.fw.WriteFrame(&eh, ss.cfg.errorWriteTTL, func(b []byte) []byte { return wire.AppendError(b, &e) }); err != nil {
		ss.m.errorsUnsent.Inc()
	}
}

// answerClock replies to a ClockRequest with the node's receive and send
// times.
func (ss *streamSession) answerClock(h *wire.Header, payload []byte, t2 int64) {
	t1, err := wire.DecodeClockRequest(payload)
	if err != nil {
		ss.reject(h, wire.CodeMalformed, err.Error())
		return
	}
	rh := wire.Header{Type: wire.TypeClockResponse}
	ss.fw.WriteFrame(&rh, ss.cfg.errorWriteTTL, func(b []byte) []byte {
		return wire.AppendClockResponse(b, t1, t2, clock.Now())
	})
}

// serve reads the stream until it ends, dispatching by role.
func (ss *streamSession) serve(ctx context.Context) {
	defer ss.st.Close()
	r := wire.NewReader(ss.st, ss.cfg.maxFrame)
	r.SetFrameTimeout(ss.cfg.frameTimeout)
	if ss.acct != nil {
		r.SetBudget(ss.acct)
		ss.subs = quota.NewBucket(ss.acct.Limits().SubscribesPerStream, 0)
	}
	defer r.Release()
	var prod *producer
	var sub *subscriber
	defer func() {
		if sub != nil {
			sub.close()
			ss.acct.CloseSubscription()
		}
		if prod != nil {
			prod.close()
			ss.n.m.producerStreams.Dec()
			ss.n.names.remove(ss.id)
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for {
		if ss.backoff > 0 {
			if !ss.wait(ctx) {
				return
			}
		} else {
			ss.refusals = 0
		}
		if prod != nil {
			// A batch in the making is put when no frame comes in time.
			r.SetIdleDeadline(prod.src.heldDeadline())
		}
		h, payload, err := r.Next()
		now := clock.Now()
		if errors.Is(err, wire.ErrIdle) {
			prod.src.putHeld(batchIdle)
			continue
		}
		if err != nil {
			if !ss.readError(&h, err) {
				return
			}
			continue
		}
		ss.m.frame(h.Type)
		if !ss.acct.AllowFrame(now) {
			ss.reject(&h, wire.CodeOverloaded, fmt.Sprintf("frames-per-second quota of %s exceeded", ss.ident.Name))
			ss.backoff = ss.acct.Backoff(quota.Frames, now, 1)
			continue
		}
		switch {
		case !h.Type.Known():
			ss.reject(&h, wire.CodeUnknownType, fmt.Sprintf("unknown frame type 0x%02x skipped", uint8(h.Type)))
		case h.Type == wire.TypeClockRequest:
			ss.answerClock(&h, payload, now)
		case !ss.allowed(&h):
			// refused with forbidden, counted
		case prod != nil:
			prod.handle(&h, payload, now)
		case sub != nil:
			if ss.allowSubscribe(&h, now) {
				sub.handle(&h, payload)
			}
		case h.Type.IsData():
			prod = newProducer(ss.n.ingestEnv(), ss)
			ss.n.m.producerStreams.Inc()
			ss.n.names.add(ss.id, ss.ident.Name)
			go prod.clockLoop(ctx)
			prod.handle(&h, payload, now)
		case h.Type == wire.TypeSubscribe:
			if !ss.allowSubscribe(&h, now) {
				continue
			}
			if !ss.acct.OpenSubscription() {
				ss.reject(&h, wire.CodeOverloaded, fmt.Sprintf("subscriptions quota of %s exceeded", ss.ident.Name))
				continue
			}
			sub = newSubscriber(ss.bc, ss, ss.id, ss.log)
			sub.operator = ss.ident.Has(auth.RoleOperator)
			if sub.handle(&h, payload) {
				go sub.run(ctx)
			}
		default:
			ss.reject(&h, wire.CodeUnexpectedFrame, fmt.Sprintf("%s frame cannot open a stream: send a data frame or subscribe first", h.Type))
		}
	}
}

// allowed reports whether the stream's identity may send the frame: a
// data frame needs a producer allowed its source kind, a Subscribe the
// subscriber role. A frame that is not is answered with forbidden and
// counted.
func (ss *streamSession) allowed(h *wire.Header) bool {
	if k, ok := auth.KindOf(h.Type); ok {
		if ss.ident.MaySend(k) {
			return true
		}
		ss.am.forbid(k, false)
		why := "is not a producer"
		if ss.ident.Has(auth.RoleProducer) {
			why = "may not send source kind " + k.String()
		}
		ss.reject(h, wire.CodeForbidden, fmt.Sprintf("identity %q %s (%s frame)", ss.ident.Name, why, h.Type))
		return false
	}
	if h.Type == wire.TypeSubscribe && !ss.ident.Has(auth.RoleSubscriber) {
		ss.am.forbid(0, true)
		ss.reject(h, wire.CodeForbidden, fmt.Sprintf("identity %q is not a subscriber", ss.ident.Name))
		return false
	}
	return true
}

// allowSubscribe charges a Subscribe or Resync frame to the stream's and
// the identity's quotas, rejecting it when either is exhausted; other
// frames pass.
func (ss *streamSession) allowSubscribe(h *wire.Header, now int64) bool {
	if h.Type != wire.TypeSubscribe && h.Type != wire.TypeResync {
		return true
	}
	if !ss.subs.Allow(now, 1) {
		ss.acct.Exceeded(quota.Subscribes, 1)
		ss.reject(h, wire.CodeOverloaded, fmt.Sprintf("Subscribe/Resync-per-stream quota of %s exceeded", ss.ident.Name))
		ss.backoff = min(time.Duration(ss.subs.Need(now, 1)), quota.MaxBackoff)
		return false
	}
	if ss.acct.AllowSubscribe(now) {
		return true
	}
	ss.reject(h, wire.CodeOverloaded, fmt.Sprintf("Subscribe/Resync-per-second quota of %s exceeded", ss.ident.Name))
	ss.backoff = ss.acct.Backoff(quota.Subscribes, now, 1)
	return false
}

// wait holds the stream for its backoff without reading, and reports
// whether to go on (false: ctx ended). What the sender writes meanwhile
// waits in the stream's flow-control window, and then in the sender.
func (ss *streamSession) wait(ctx context.Context) bool {
	ss.m.backoffs.Inc()
	d := min(ss.backoff<<min(ss.refusals, 3), quota.MaxBackoff)
	ss.refusals++
	t := time.NewTimer(d)
	defer t.Stop()
	ss.backoff = 0
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// readError handles a failed read and reports whether the stream can go on.
func (ss *streamSession) readError(h *wire.Header, err error) bool {
	switch {
	case errors.Is(err, wire.ErrVersion):
		ss.m.frame(h.Type)
		ss.reject(h, wire.CodeBadVersion, err.Error())
		return true
	case errors.Is(err, wire.ErrLength):
		ss.m.framesUnknown.Inc()
		ss.reject(h, wire.CodeBadLength, err.Error()+"; framing lost, stream closed")
		ss.st.CancelRead(wire.StreamErrFraming)
		return false
	case errors.Is(err, wire.ErrStalled):
		ss.m.stalled.Inc()
		ss.reject(h, wire.CodeMalformed, err.Error()+"; frame_timeout passed mid-frame, stream closed")
		ss.st.CancelRead(wire.StreamErrFraming)
		return false
	case errors.Is(err, wire.ErrBudget):
		ss.m.overBudget.Inc()
		ss.reject(h, wire.CodeOverloaded, fmt.Sprintf("%v; bytes-in-flight quota of %s exceeded, stream closed", err, ss.ident.Name))
		ss.st.CancelRead(wire.StreamErrFraming)
		return false
	case errors.Is(err, io.ErrUnexpectedEOF):
		ss.reject(h, wire.CodeMalformed, err.Error())
		return false
	default: // clean end, reset by the peer, or connection gone
		return false
	}
}

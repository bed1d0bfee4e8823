package edge

import (
	"context"
	"fmt"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/record"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// producer is the ingest side of one producer stream: a source whose
// capture times are mapped to the node clock with the stream's
// clock-offset estimate. One goroutine (the stream's reader) owns it.
type producer struct {
	src    source
	ss     *streamSession
	clk    wire.ClockFilter
	offset int64 // producer clock minus node clock
	synced bool
	recCh  record.Channel // the stream's recording channel, when recording
}

func newProducer(env ingestEnv, ss *streamSession) *producer {
	p := &producer{src: newSource(env, ss, ss.acct, ss.id), ss: ss}
	p.src.ident, p.src.am = &ss.ident, ss.am
	if env.rec != nil {
		p.recCh = env.rec.openStream(ss.id, ss.ident.Name)
	}
	return p
}

// close ends the producer: its stream has ended.
func (p *producer) close() {
	p.src.putHeld(batchStreamEnd)
	if p.src.env.rec != nil {
		p.src.env.rec.r.CloseChannel(p.recCh)
	}
}

// clockLoop starts a clock exchange at once and then every clock
// interval, until ctx ends. It only writes requests; answers arrive
// through handle.
func (p *producer) clockLoop(ctx context.Context) {
	t := time.NewTicker(p.src.env.clockInterval)
	defer t.Stop()
	for {
		h := wire.Header{Type: wire.TypeClockRequest}
		err := p.ss.fw.WriteFrame(&h, p.src.env.errorWriteTTL, func(b []byte) []byte {
			return wire.AppendClockRequest(b, clock.Now())
		})
		if err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// handle processes one frame of a producer stream.
func (p *producer) handle(h *wire.Header, payload []byte, ingest int64) {
	if h.Type == wire.TypeClockResponse {
		p.clockResponse(h, payload, ingest)
		return
	}
	if !h.Type.IsData() {
		p.ss.reject(h, wire.CodeUnexpectedFrame, fmt.Sprintf("%s frame on a producer stream", h.Type))
		return
	}
	defer func() {
		// A frame without wire.FlagMore ends the stream's batch, if any.
		p.src.endFrame(h)
		// A rate quota refused it: the stream waits.
		p.ss.backoff, p.src.backoff = max(p.ss.backoff, p.src.backoff), 0
	}()
	if h.Type == wire.TypeMAP && p.src.mapRepeat(h, payload, ingest) {
		return
	}
	t, reason := p.captureTime(h.Capture, ingest)
	if p.src.env.rec != nil {
		p.src.env.rec.frame(p.recCh, h, payload, ingest, t)
	}
	if reason != reasonOK {
		p.src.invalid(h, reason, h.Type.String()+" capture time")
		return
	}
	if p.src.decode(h, payload) {
		p.src.ingest(h, t, ingest)
	}
	if n := p.src.acct.TakeUntracked(); n > 0 {
		// Counted by the fusion loop; said here, on the next frame.
		p.ss.reject(h, wire.CodeOverloaded, fmt.Sprintf("live-objects quota of %s: %d measurements started no object (it holds %d)",
			p.src.acct.Name(), n, p.src.acct.LiveObjects()))
	}
}

// clockResponse completes a clock exchange.
func (p *producer) clockResponse(h *wire.Header, payload []byte, t4 int64) {
	t1, t2, t3, err := wire.DecodeClockResponse(payload)
	if err != nil {
		p.ss.reject(h, wire.CodeMalformed, err.Error())
		return
	}
	if !p.clk.Add(wire.ClockSample{T1: t1, T2: t2, T3: t3, T4: t4}) {
		p.ss.reject(h, wire.CodeInvalidValue, "clock response with negative round trip")
		return
	}
	p.offset, _, p.synced = p.clk.Offset()
	off := float64(p.offset) / 1e9
	p.src.env.m.clockOffset.Observe(max(off, -off))
}

// captureTime maps a capture time on the producer's clock to the node
// clock. Before the first clock exchange completes it uses the ingest time.
// A result slightly in the future (the estimate's uncertainty, up to
// maxFuture) is clamped to the ingest time and counted; one further in the
// future or older than maxClockSkew is refused with its reason.
func (p *producer) captureTime(capture, ingest int64) (int64, rejectReason) {
	if !p.synced {
		return ingest, reasonOK
	}
	env := &p.src.env
	t := capture - p.offset
	switch {
	case t-ingest > int64(env.maxFuture):
		return 0, reasonTimeFuture
	case t > ingest:
		if t-ingest > int64(time.Millisecond) {
			env.m.clockClamped.Inc()
		}
		return ingest, reasonOK
	case ingest-t > int64(env.maxClockSkew):
		return 0, reasonTimePast
	}
	return t, reasonOK
}

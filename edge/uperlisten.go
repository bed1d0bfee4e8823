package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// uperSourceID is the Measurement.Stream of messages from the raw UPER
// listener (QUIC stream ids are never this large).
const uperSourceID = 1<<62 - 1

// uperListener ingests raw UPER MessageFrames from UDP datagrams, as RSUs
// commonly forward them: one or more frames back to back per datagram, no
// framing of ours, no clock exchange (capture time is the arrival time).
// One goroutine owns it.
type uperListener struct {
	n       *Node
	pc      net.PacketConn
	enc     wire.Encoding
	p       *producer
	log     *slog.Logger
	frames  *prometheus.CounterVec // by result
	refused bool                   // set by reject while a frame is ingested
}

// Results of a raw UPER frame, as v2x_uper_frames_total{result} counts them.
const (
	uperOK          = "ok"
	uperMalformed   = "malformed"
	uperUnsupported = "unsupported"
	uperRejected    = "rejected" // decoded, refused by validation or shed
)

// ParseEncoding maps a -uper-std name to its encoding.
func ParseEncoding(std string) (wire.Encoding, error) {
	switch std {
	case "csae53":
		return wire.EncodingCSAE53, nil
	case "j2735":
		return wire.EncodingJ2735, nil
	}
	return 0, fmt.Errorf("uper encoding %q: want csae53 or j2735", std)
}

func newUPERListener(n *Node, pc net.PacketConn, enc wire.Encoding) *uperListener {
	u := &uperListener{n: n, pc: pc, enc: enc, log: n.log.With("uper", pc.LocalAddr().String())}
	u.frames = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_uper_frames_total",
		Help: "Raw UPER MessageFrames received on the UDP listener, by result.",
	}, []string{"result"})
	for _, r := range []string{uperOK, uperMalformed, uperUnsupported, uperRejected} {
		u.frames.WithLabelValues(r)
	}
	u.p = &producer{n: n, rej: u, id: uperSourceID, meas: make([]measurement, 0, 256)}
	return u
}

// reject counts a refused frame; there is no one to answer.
func (u *uperListener) reject(h *wire.Header, code wire.Code, msg string) {
	u.n.m.reject(code)
	u.frames.WithLabelValues(uperRejected).Inc()
	u.refused = true
	u.log.Debug("uper frame rejected", "code", code.String(), "type", h.Type.String(), "msg", msg)
}

func (u *uperListener) run(ctx context.Context) {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := u.pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			u.log.Warn("uper read failed", "err", err)
			continue
		}
		u.handle(buf[:n], from, clock.Now())
	}
}

// handle ingests the frames of one datagram. After a frame that does not
// decode the rest of the datagram is dropped and counted with it: frame
// boundaries are only known by decoding.
func (u *uperListener) handle(b []byte, from net.Addr, ingest int64) {
	for off := 0; off < len(b); {
		typ, n, m, r, err := u.p.decodeStd(u.enc, b[off:])
		switch {
		case errors.Is(err, errUnsupported):
			u.frames.WithLabelValues(uperUnsupported).Inc()
			u.log.Debug("uper frame not ingested", "from", from, "offset", off, "err", err)
		case err != nil:
			u.frames.WithLabelValues(uperMalformed).Inc()
			u.n.m.reject(wire.CodeMalformed)
			u.log.Debug("uper frame malformed", "from", from, "offset", off, "err", err)
			return
		default:
			h := wire.Header{Type: typ, Encoding: u.enc}
			u.refused = false
			u.p.ingestDecoded(&h, typ, m, r, ingest, ingest)
			if !u.refused {
				u.frames.WithLabelValues(uperOK).Inc()
			}
		}
		if n <= 0 {
			return
		}
		off += n
	}
}

// startUPER binds the raw UPER listener and starts its goroutine.
func (n *Node) startUPER() error {
	enc, err := ParseEncoding(n.cfg.UPERStd)
	if err != nil {
		return fmt.Errorf("edge: %w", err)
	}
	pc, err := net.ListenPacket("udp", n.cfg.UPERListen)
	if err != nil {
		return fmt.Errorf("edge: uper listen %s: %w", n.cfg.UPERListen, err)
	}
	u := newUPERListener(n, pc, enc)
	if err := n.m.reg.Register(u.frames); err != nil {
		pc.Close()
		return fmt.Errorf("edge: register uper metrics: %w", err)
	}
	n.uperPC = pc
	n.wg.Add(1)
	go func() { defer n.wg.Done(); u.run(n.ctx) }()
	n.log.Info("raw UPER listener", "udp", pc.LocalAddr().String(), "std", n.cfg.UPERStd)
	return nil
}

// UPERAddr returns the raw UPER listener's address, or nil.
func (n *Node) UPERAddr() net.Addr {
	if n.uperPC == nil {
		return nil
	}
	return n.uperPC.LocalAddr()
}

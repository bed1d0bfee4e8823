package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/record"
	"github.com/v2x-edge/v2x-edge/v2x/codec"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// uperSourceID is the Measurement.Stream of messages from the raw UPER
// listener (QUIC stream ids are never this large).
const uperSourceID = 1<<62 - 1

// uperSource ingests raw UPER MessageFrames from UDP datagrams, as RSUs
// commonly forward them: one or more frames back to back per datagram,
// perhaps followed by zero padding, no framing of ours, no clock exchange
// (capture time is the arrival time). One goroutine owns it.
type uperSource struct {
	src    source
	pc     *net.UDPConn
	enc    wire.Encoding
	log    *slog.Logger
	allow  []netip.Prefix         // source prefixes accepted
	frames *prometheus.CounterVec // by result
	denied prometheus.Counter     // frames{result="denied"}: datagrams from sources not allowed
	ident  auth.Identity          // what the senders may send (uper_identity)
	recCh  record.Channel         // the recording channel of its datagrams, when recording
	// forbidden is set by reject when it refused a frame with forbidden,
	// so that handle counts it as such.
	forbidden bool
}

// Results of a raw UPER frame, as v2x_uper_frames_total{result} counts them.
const (
	uperOK          = "ok"
	uperMalformed   = "malformed"
	uperUnsupported = "unsupported"
	uperRejected    = "rejected"  // decoded, refused by validation or shed
	uperDenied      = "denied"    // a datagram from a source outside uper_allow, not read (counted per datagram)
	uperForbidden   = "forbidden" // decoded, of a kind (or intersection) uper_identity may not send
)

func newUPERSource(env ingestEnv, pc *net.UDPConn, enc wire.Encoding, allow []netip.Prefix, ident auth.Identity, am *authMetrics, log *slog.Logger) *uperSource {
	u := &uperSource{pc: pc, enc: enc, allow: allow, log: log.With("uper", pc.LocalAddr().String())}
	u.frames = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_uper_frames_total",
		Help: "Raw UPER MessageFrames received on the UDP listener, by result.",
	}, []string{"result"})
	for _, r := range []string{uperOK, uperMalformed, uperUnsupported, uperRejected, uperForbidden} {
		u.frames.WithLabelValues(r)
	}
	u.denied = u.frames.WithLabelValues(uperDenied)
	u.src = newSource(env, u, nil, uperSourceID)
	u.ident = ident
	u.src.ident, u.src.am = &u.ident, am
	if env.rec != nil {
		u.recCh = env.rec.r.AddChannel(recUPERTopic, map[string]string{"listen": pc.LocalAddr().String(), "std": uperStdName(enc)})
	}
	return u
}

// reject counts a refused frame; there is no one to answer.
func (u *uperSource) reject(h *wire.Header, code wire.Code, msg string) {
	u.src.env.m.reject(code)
	u.forbidden = u.forbidden || code == wire.CodeForbidden
	u.log.Debug("uper frame rejected", "code", code.String(), "type", h.Type.String(), "msg", msg)
}

func (u *uperSource) run(ctx context.Context) {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := u.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			u.log.Warn("uper read failed", "err", err)
			continue
		}
		if !u.allowed(from.Addr()) {
			u.denied.Inc()
			continue
		}
		u.handle(buf[:n], from, clock.Now())
	}
}

// allowed reports whether datagrams from a are read.
func (u *uperSource) allowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range u.allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// handle ingests the frames of one datagram. Zero padding after a frame
// ends the datagram; a datagram of zero bytes only is one malformed frame.
// After a frame that does not decode the rest of the datagram is dropped
// and counted with it: frame boundaries are only known by decoding.
func (u *uperSource) handle(b []byte, from netip.AddrPort, ingest int64) {
	if u.src.env.rec != nil {
		u.src.env.rec.r.Write(u.recCh, 0, ingest, ingest, b)
	}
	for off := 0; !codec.End(b, off); {
		n, err := u.src.dec.Decode(u.enc, b[off:], &u.src.msg)
		switch {
		case errors.Is(err, codec.ErrUnsupported):
			u.frames.WithLabelValues(uperUnsupported).Inc()
			u.log.Debug("uper frame not ingested", "from", from, "offset", off, "err", err)
		case err != nil:
			u.frames.WithLabelValues(uperMalformed).Inc()
			u.src.env.m.reject(wire.CodeMalformed)
			u.log.Debug("uper frame malformed", "from", from, "offset", off, "err", err)
			return
		default:
			h := wire.Header{Type: u.src.msg.Type, Encoding: u.enc}
			result := uperOK
			u.forbidden = false
			if k, _ := auth.KindOf(h.Type); !u.ident.MaySend(k) {
				u.src.am.forbid(k, false)
				u.reject(&h, wire.CodeForbidden, fmt.Sprintf("uper_identity %q may not send kind %s", u.ident.Name, k))
				result = uperForbidden
			} else if !u.src.ingest(&h, ingest, ingest) {
				result = uperRejected
				if u.forbidden {
					result = uperForbidden
				}
			}
			u.frames.WithLabelValues(result).Inc()
		}
		if n <= 0 {
			return
		}
		off += n
	}
}

// startUPER binds the raw UPER listener and starts its goroutine.
func (n *Node) startUPER() error {
	enc, err := codec.ParseEncoding(n.cfg.UPERStd)
	if err != nil {
		return fmt.Errorf("edge: %w", err)
	}
	addr, err := net.ResolveUDPAddr("udp", n.cfg.UPERListen)
	if err != nil {
		return fmt.Errorf("edge: uper listen %s: %w", n.cfg.UPERListen, err)
	}
	pc, err := net.ListenUDP("udp", addr)
	if err != nil {
		return fmt.Errorf("edge: uper listen %s: %w", n.cfg.UPERListen, err)
	}
	if err := pc.SetReadBuffer(n.cfg.UPERRcvbuf); err != nil {
		n.log.Warn("uper receive buffer not set", "bytes", n.cfg.UPERRcvbuf, "err", err)
	}
	ident, err := auth.ParseURIString(n.cfg.UPERIdentity)
	if err != nil { // Validate checked it
		pc.Close()
		return fmt.Errorf("edge: uper_identity: %w", err)
	}
	u := newUPERSource(n.ingestEnv(), pc, enc, n.cfg.UPERAllow, ident, &n.m.auth, n.log)
	cs := []prometheus.Collector{u.frames}
	if drops := udpDropsFunc(pc); drops != nil {
		cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "v2x_uper_socket_drops_total",
			Help: "Datagrams the kernel dropped on the raw UPER listener's socket, mostly for a full receive buffer (uper_rcvbuf): the socket's drops in /proc/net/udp.",
		}, drops))
	}
	for _, c := range cs {
		if err := n.m.reg.Register(c); err != nil {
			pc.Close()
			return fmt.Errorf("edge: register uper metrics: %w", err)
		}
	}
	n.uperPC = pc
	n.wg.Add(1)
	go func() { defer n.wg.Done(); u.run(n.ctx) }()
	n.log.Info("raw UPER listener", "udp", pc.LocalAddr().String(), "std", n.cfg.UPERStd, "allow", n.cfg.UPERAllow, "identity", ident.String())
	return nil
}

// UPERAddr returns the raw UPER listener's address, or nil.
func (n *Node) UPERAddr() net.Addr {
	if n.uperPC == nil {
		return nil
	}
	return n.uperPC.LocalAddr()
}

// uperStdName names the listener's message set as -uper-std does.
func uperStdName(enc wire.Encoding) string {
	if enc == wire.EncodingJ2735 {
		return "j2735"
	}
	return "csae53"
}

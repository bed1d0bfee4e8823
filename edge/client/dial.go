package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Options configure a connection to a node.
type Options struct {
	// CAFile is a PEM file of CA certificates to trust, such as the node's
	// DIR/ca.pem. RootCAs, if set, is used instead.
	CAFile  string
	RootCAs *x509.CertPool
	// CertFile and KeyFile are the client certificate (and its key) the
	// node requires: one naming this client's identity and roles, as
	// `v2x-edge cert issue` writes (docs/protocol.md §1.1). Certificate,
	// if set, is used instead.
	CertFile    string
	KeyFile     string
	Certificate *tls.Certificate
	// ServerName overrides the name checked in the node's certificate;
	// by default the host of the address.
	ServerName string
	// IdleTimeout of the QUIC connection; 30 s by default, 5 s with
	// Reconnect (a node that died without closing is noticed within it).
	IdleTimeout time.Duration
	// Transport, if set, carries the connection: many connections from one
	// process can share one UDP socket this way (the benchmark's
	// subscriber process does). By default each connection has its own.
	Transport *quic.Transport
	// Reconnect, if set, keeps the connection: see Reconnect.
	Reconnect *Reconnect
}

// Reconnect makes a Conn dial the node again whenever its connection is
// lost (the node restarted, was killed, or the network went away), with
// jittered exponential backoff, and resume its subscriptions and producer
// streams on the new connection:
//
//   - a subscription opens a new stream, measures the clock offset again
//     and sends its latest Subscribe; a packed subscription drops the
//     state it held and starts from the new node's keyframe;
//   - a producer stream is opened again (the node restarts its clock
//     exchanges); frames sent while the connection is down fail at once
//     with an error matching ErrDisconnected, and later ones go through.
//
// A killed node sends nothing, so a lost connection is noticed by the
// QUIC idle timeout (5 s, keep-alives every second) or, at once, by the
// stateless reset a node restarted with the same data directory answers
// the old connection's packets with.
type Reconnect struct {
	// Context bounds reconnecting: once it ends, a lost connection stays
	// lost and its subscriptions and producers end. Nil means until Close.
	Context context.Context
	// MaxBackoff caps the wait between dial attempts (1 s by default):
	// the first attempt goes out at once, then waits double, jittered.
	MaxBackoff time.Duration
	// Log receives a line when the connection is lost and when it is back.
	Log *slog.Logger
}

// ErrDisconnected is matched (errors.Is) by what a reconnecting Conn's
// producers return while the connection is down: the frame is lost, and
// the producer goes on once the node is back.
var ErrDisconnected = errors.New("disconnected from the node")

// errConnClosed is what waits for a connection return after Close.
var errConnClosed = fmt.Errorf("connection closed: %w", net.ErrClosed)

// Conn is a QUIC connection to a node.
type Conn struct {
	addr    string
	tlsConf *tls.Config
	qconf   *quic.Config
	tr      *quic.Transport
	rc      *Reconnect
	log     *slog.Logger

	mu      sync.Mutex
	qc      *quic.Conn // the current (or last) connection
	up      bool       // qc is believed alive
	ended   error      // set once the Conn will not reconnect any more
	changed chan struct{}
	routes  map[routeKey]*Subscription // for Update datagrams
	routing map[*quic.Conn]bool        // connections whose datagrams the router goroutine reads
	// direct names, per connection, the subscription whose Next reads
	// the connection's datagrams itself, in its own goroutine: while it is
	// the connection's only subscription, no router goroutine hands them
	// over (one goroutine wake-up less per update).
	direct map[*quic.Conn]*Subscription

	reconnects atomic.Uint64
	done       chan struct{}
	closeOnce  sync.Once
}

// routeKey names a subscriber stream: its connection and stream id.
type routeKey struct {
	qc  *quic.Conn
	sid uint32
}

// Dial connects to the node at addr (host:port). ctx bounds this first
// connection only; with opts.Reconnect, later ones are bounded by
// opts.Reconnect.Context and Close.
func Dial(ctx context.Context, addr string, opts Options) (*Conn, error) {
	pool := opts.RootCAs
	if pool == nil {
		if opts.CAFile == "" {
			return nil, fmt.Errorf("dial %s: no CA given: pass the node's ca.pem", addr)
		}
		var err error
		if pool, err = devca.LoadPool(opts.CAFile); err != nil {
			return nil, fmt.Errorf("dial %s: %w", addr, err)
		}
	}
	var certs []tls.Certificate
	switch {
	case opts.Certificate != nil:
		certs = []tls.Certificate{*opts.Certificate}
	case opts.CertFile != "" || opts.KeyFile != "":
		if opts.CertFile == "" || opts.KeyFile == "" {
			return nil, fmt.Errorf("dial %s: a client certificate needs both its file and its key file", addr)
		}
		cert, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("dial %s: client certificate: %w", addr, err)
		}
		certs = []tls.Certificate{cert}
	}
	name := opts.ServerName
	if name == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", addr, err)
		}
		name = host
	}
	idle := opts.IdleTimeout
	if idle == 0 {
		idle = 30 * time.Second
		if opts.Reconnect != nil {
			idle = 5 * time.Second
		}
	}
	keepAlive := idle / 3
	if opts.Reconnect != nil {
		keepAlive = min(keepAlive, time.Second)
	}
	c := &Conn{addr: addr, tr: opts.Transport, rc: opts.Reconnect,
		tlsConf: &tls.Config{RootCAs: pool, Certificates: certs, ServerName: name, NextProtos: []string{wire.ALPN}, MinVersion: tls.VersionTLS13},
		qconf:   &quic.Config{MaxIdleTimeout: idle, KeepAlivePeriod: keepAlive, EnableDatagrams: true},
		changed: make(chan struct{}), routes: make(map[routeKey]*Subscription), routing: make(map[*quic.Conn]bool), direct: make(map[*quic.Conn]*Subscription),
		done: make(chan struct{})}
	qc, err := c.dial(ctx)
	if err != nil {
		return nil, c.explain(ctx, err)
	}
	c.qc, c.up = qc, true
	if c.rc != nil {
		c.log = c.rc.Log
		if c.log == nil {
			c.log = slog.New(slog.DiscardHandler)
		}
		go c.keep()
	}
	return c, nil
}

// dial connects once, retrying while the node refuses for being busy
// (retryBusy).
func (c *Conn) dial(ctx context.Context) (*quic.Conn, error) {
	return retryBusy(ctx, c.dialOnce)
}

func (c *Conn) dialOnce(ctx context.Context) (*quic.Conn, error) {
	if c.tr != nil {
		ua, err := net.ResolveUDPAddr("udp", c.addr)
		if err != nil {
			return nil, err
		}
		return c.tr.Dial(ctx, ua, c.tlsConf, c.qconf)
	}
	return quic.DialAddr(ctx, c.addr, c.tlsConf, c.qconf)
}

// explain turns a failed dial into an error a user can act on.
func (c *Conn) explain(ctx context.Context, err error) error {
	var uae x509.UnknownAuthorityError
	var cve *tls.CertificateVerificationError
	var hs *quic.HandshakeTimeoutError
	var idle *quic.IdleTimeoutError
	switch {
	case refusal(err) != nil:
		return fmt.Errorf("dial %s: %w", c.addr, refusal(err))
	case errors.As(err, &uae) || errors.As(err, &cve):
		return fmt.Errorf("dial %s: the node's certificate is not signed by the CA given (pass the node's DIR/ca.pem with -ca): %w", c.addr, err)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &hs) || errors.As(err, &idle):
		within := ""
		if t, ok := ctx.Value(dialTimeoutKey{}).(time.Duration); ok {
			within = " within " + t.String()
		}
		return fmt.Errorf("dial %s: no node answered at %s%s (is v2x-edge running and listening there?): %w", c.addr, c.addr, within, err)
	}
	return fmt.Errorf("dial %s: %w", c.addr, err)
}

// errRefused is what a connection the node refused or closed for who the
// client is ends with.
type errRefused struct {
	why string
	err error
}

func (e *errRefused) Error() string { return e.why + ": " + e.err.Error() }
func (e *errRefused) Unwrap() error { return e.err }

// refusal explains err when it is the node refusing this client: a TLS
// alert from the node (its certificate refused: none given, not signed by
// the node's client CA, expired, revoked, or naming no identity), or its
// connection closed because its identity was revoked. Otherwise nil.
// TLS 1.3 lets a client finish its handshake before the node has checked
// its certificate, so the refusal may come as the loss of a connection
// that was dialled successfully.
func refusal(err error) error {
	var te *quic.TransportError
	var ae *quic.ApplicationError
	switch {
	case errors.As(err, &te) && te.Remote && te.ErrorCode.IsCryptoError():
		return &errRefused{"the node refused this client's certificate (none given, not signed by the node's client CA, expired, revoked, or naming no identity: see -cert, -key and v2x-edge cert issue)", err}
	case errors.As(err, &ae) && ae.Remote && ae.ErrorCode == wire.ConnErrRevoked:
		return &errRefused{"the node closed the connection: this client's identity or certificate was revoked", err}
	}
	return nil
}

// explainLost is err, explained when the connection was lost because the
// node refused this client.
func (c *Conn) explainLost(qc *quic.Conn, err error) error {
	if r := refusal(err); r != nil {
		return r
	}
	if qc.Context().Err() != nil {
		if r := refusal(context.Cause(qc.Context())); r != nil {
			return fmt.Errorf("%w (%w)", r, err)
		}
	}
	return err
}

// dialTimeoutKey carries the timeout of a context from WithDialTimeout.
type dialTimeoutKey struct{}

// WithDialTimeout is context.WithTimeout for a Dial: an error saying that
// no node answered then names the timeout.
func WithDialTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithValue(ctx, dialTimeoutKey{}, d), d)
}

// keep redials whenever the connection is lost, until Close or the
// Reconnect context ends.
func (c *Conn) keep() {
	ctx := c.rc.Context
	if ctx == nil {
		ctx = context.Background()
	}
	maxWait := c.rc.MaxBackoff
	if maxWait <= 0 {
		maxWait = time.Second
	}
	for {
		c.mu.Lock()
		qc := c.qc
		c.mu.Unlock()
		select {
		case <-qc.Context().Done():
		case <-c.done:
			return
		case <-ctx.Done():
			c.end(fmt.Errorf("connection to %s: %w", c.addr, ctx.Err()))
			return
		}
		if r := refusal(context.Cause(qc.Context())); r != nil {
			// Dialling again would be refused the same way.
			c.log.Error("the node refused this client; not reconnecting", "edge", c.addr, "err", r)
			c.end(fmt.Errorf("connection to %s: %w", c.addr, r))
			c.mu.Lock()
			c.up = false
			c.signal()
			c.mu.Unlock()
			return
		}
		c.mu.Lock()
		c.up = false
		c.signal()
		c.mu.Unlock()
		lost := time.Now()
		c.log.Warn("connection to the node lost; reconnecting", "edge", c.addr, "err", context.Cause(qc.Context()))
		wait := maxWait / 16
		for attempt := 1; ; attempt++ {
			if attempt > 1 {
				t := time.NewTimer(jitter(wait))
				select {
				case <-t.C:
				case <-c.done:
					t.Stop()
					return
				case <-ctx.Done():
					t.Stop()
					c.end(fmt.Errorf("connection to %s lost: %w", c.addr, ctx.Err()))
					return
				}
				wait = min(2*wait, maxWait)
			}
			actx, cancel := context.WithTimeout(ctx, 2*maxWait+time.Second)
			stop := context.AfterFunc(ctx, cancel)
			go func() {
				select {
				case <-c.done:
					cancel()
				case <-actx.Done():
				}
			}()
			nqc, err := c.dial(actx)
			stop()
			cancel()
			if err != nil {
				c.log.Debug("reconnect attempt failed", "edge", c.addr, "attempt", attempt, "err", err)
				continue
			}
			c.mu.Lock()
			if c.ended != nil {
				c.mu.Unlock()
				nqc.CloseWithError(wire.ConnErrNone, "")
				return
			}
			c.qc, c.up = nqc, true
			c.signal()
			c.mu.Unlock()
			c.reconnects.Add(1)
			c.log.Info("reconnected to the node", "edge", c.addr, "after", time.Since(lost).Round(time.Millisecond), "attempts", attempt)
			break
		}
	}
}

// jitter returns a duration drawn uniformly from [d/2, d].
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + time.Duration(clock.Now()%int64(d/2+1))
}

// signal wakes those waiting for a change; c.mu is held.
func (c *Conn) signal() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// end marks the Conn as finished with err.
func (c *Conn) end(err error) {
	c.mu.Lock()
	if c.ended == nil {
		c.ended = err
		c.signal()
	}
	c.mu.Unlock()
}

// current returns the connection in use.
func (c *Conn) current() *quic.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.qc
}

// lost reports whether stream error err on qc means that the connection
// was lost and the Conn will reconnect: then the stream should be opened
// again on the connection await returns. A connection error reaches the
// streams a moment before the connection's context ends, so it waits for
// that a little; a stream the node reset or ended is no loss of the
// connection.
func (c *Conn) lost(qc *quic.Conn, err error) bool {
	if c.rc == nil {
		return false
	}
	if qc.Context().Err() != nil {
		return true
	}
	var se *quic.StreamError
	if errors.As(err, &se) || errors.Is(err, io.EOF) {
		// Reset by the node, or ended by it after our end (a clean FIN
		// only comes from a live node): the connection is not lost.
		return false
	}
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-qc.Context().Done():
		return true
	case <-t.C:
		return false
	}
}

// await waits for a live connection other than old, until stop is closed
// or the Conn ends.
func (c *Conn) await(old *quic.Conn, stop <-chan struct{}) (*quic.Conn, error) {
	for {
		c.mu.Lock()
		qc, up, ended, ch := c.qc, c.up, c.ended, c.changed
		c.mu.Unlock()
		if ended != nil {
			return nil, ended
		}
		if up && qc != old && qc.Context().Err() == nil {
			return qc, nil
		}
		select {
		case <-ch:
		case <-stop:
			return nil, errClosed
		}
	}
}

// Reconnects returns how many times the Conn has connected again after
// losing its connection.
func (c *Conn) Reconnects() uint64 { return c.reconnects.Load() }

// route registers s, subscribed on stream sid of qc, for the Update
// datagrams the node addresses to its stream. The first subscription on
// qc reads qc's datagrams in its own Next; a second one starts qc's
// router goroutine, which then reads them for all.
func (c *Conn) route(qc *quic.Conn, sid uint32, s *Subscription) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.routes[routeKey{qc, sid}] = s
	if c.routing[qc] || !qc.ConnectionState().SupportsDatagrams.Remote {
		return
	}
	if d := c.direct[qc]; d == nil || d == s {
		c.direct[qc] = s
		return
	}
	delete(c.direct, qc) // its Next goes back to the queue
	c.routing[qc] = true
	go c.readDatagrams(qc)
}

func (c *Conn) unroute(qc *quic.Conn, sid uint32, s *Subscription) {
	c.mu.Lock()
	if k := (routeKey{qc, sid}); c.routes[k] == s {
		delete(c.routes, k)
	}
	if c.direct[qc] == s {
		delete(c.direct, qc)
	}
	c.mu.Unlock()
}

// directConn returns qc if s reads qc's datagrams itself, else nil.
func (c *Conn) directConn(s *Subscription, qc *quic.Conn) *quic.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	if qc != nil && c.direct[qc] == s {
		return qc
	}
	return nil
}

// undirect stops s reading qc's datagrams (qc failed).
func (c *Conn) undirect(qc *quic.Conn, s *Subscription) {
	c.mu.Lock()
	if c.direct[qc] == s {
		delete(c.direct, qc)
	}
	c.mu.Unlock()
}

// dispatch parses datagram b of qc, received at now, and returns the
// subscription it is for with its item; ok is false for a datagram that
// is not a whole Update frame (it carries nothing a subscription could
// use, and a stream will not be confused by it) or has no subscription.
func (c *Conn) dispatch(qc *quic.Conn, b []byte, now int64) (to *Subscription, it item, ok bool) {
	h, err := wire.ParseHeader(b, len(b))
	if err != nil || h.Type != wire.TypeUpdate || wire.HeaderLen+h.Length != len(b) {
		return nil, it, false
	}
	c.mu.Lock()
	to = c.routes[routeKey{qc, h.Source}]
	c.mu.Unlock()
	return to, item{h: h, p: b[wire.HeaderLen:], recv: now, bytes: len(b), dgram: true}, to != nil
}

// readDatagrams hands each Update datagram to its subscription (see
// dispatch).
func (c *Conn) readDatagrams(qc *quic.Conn) {
	defer func() {
		c.mu.Lock()
		delete(c.routing, qc)
		for k := range c.routes {
			if k.qc == qc {
				delete(c.routes, k)
			}
		}
		c.mu.Unlock()
	}()
	for {
		b, err := qc.ReceiveDatagram(context.Background())
		if err != nil {
			return
		}
		if s, it, ok := c.dispatch(qc, b, clock.Now()); ok {
			s.offer(it)
		}
	}
}

// QUIC returns the current underlying connection.
func (c *Conn) QUIC() *quic.Conn { return c.current() }

// Close closes the connection normally and stops reconnecting.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() { close(c.done) })
	c.end(errConnClosed)
	return c.current().CloseWithError(wire.ConnErrNone, "")
}

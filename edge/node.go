package edge

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/edge/mqttin"
	"github.com/v2x-edge/v2x-edge/edge/quota"
	"github.com/v2x-edge/v2x-edge/edge/steer"
	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/edge/uplink"
	"github.com/v2x-edge/v2x-edge/edge/xdpguard"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Node is a running edge node.
type Node struct {
	cfg Config
	log *slog.Logger
	m   *metrics
	in  *inbox
	hub *hub
	w   *world
	// names maps producer streams to their clients' identities.
	names streamNames
	bc    broadcast // what each subscriber gets
	// handshakes paces new QUIC connections before their handshake.
	handshakes *handshakeGate

	up *uplink.Uplink // the NATS uplink, or nil

	quotas *quota.Registry // per-identity quotas
	maps   *mapDigest      // the MAP queued last

	grp     *steer.Group    // QUIC workers sharing the listen port
	guard   *xdpguard.Guard // the XDP guard in front of them, and its control
	httpLn  net.Listener
	uperPC  net.PacketConn // raw UPER listener, or nil
	mqtt    *mqttin.Client // MQTT ingest, or nil
	rec     *nodeRecorder  // -record, or nil
	httpSrv *http.Server
	live    *liveFeed  // the live views' feed (GET /live, -foxglove)
	fox     *foxServer // -foxglove, or nil
	foxLn   net.Listener

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	connsMu  sync.Mutex
	conns    map[*quic.Conn]connPeer
	streamID atomic.Uint64
	auth     *clientAuth   // client certificates, set by Start
	operator *operatorAuth // the control endpoints' token, set by Start

	closed chan struct{}
	once   sync.Once
}

// New validates cfg, prepares TLS (creating the development CA under
// cfg.DataDir when no certificate is configured) and returns a node that
// is not yet listening. A nil logger discards logs.
func New(cfg Config, log *slog.Logger) (*Node, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("edge: invalid configuration: %w", err)
	}
	m := newMetrics()
	n := &Node{cfg: cfg, log: log, m: m, in: newInbox(cfg.InboxSize), hub: newHub(cfg.MaxBurst, m.bc.hub),
		conns: make(map[*quic.Conn]connPeer), closed: make(chan struct{}),
		quotas: quota.NewRegistry(cfg.Quotas), maps: newMapDigest()}
	m.reg.MustRegister(n.quotas.Collector())
	var f fuser
	switch cfg.Fusion {
	case FusionLatest:
		f = newLatestFuser(int64(cfg.StaleAfter))
	default:
		tc := cfg.Track
		if cfg.NATS.HandoverStale > 0 {
			tc.SeedStaleNS = int64(cfg.NATS.HandoverStale)
		}
		if tc.IDNamespace != 0 && tc.IDStart == 0 {
			// Ids that survive a restart (a neighbour's track may still
			// hold one this node gave out before it).
			tc.IDStart = track.BootIDStart(time.Now())
		}
		f = newTrackFuser(tc, cfg.Trust)
	}
	n.w = newWorld(newFusionConfig(&cfg), log, &m.fusion, n.in, n.hub, f)
	n.w.names = &n.names
	n.w.ownerCapped = func(owner uint64, c int) { n.quotas.ExceededOwner(owner, quota.LiveObjects, c) }
	n.bc = broadcast{hub: n.hub, cfg: newBroadcastConfig(&cfg), m: &m.bc}
	if cfg.NATS.Enabled() {
		up, err := uplink.New(cfg.NATS, log, m.reg)
		if err != nil {
			return nil, fmt.Errorf("edge: %w", err)
		}
		n.up = up
		n.w.corr = newCorridorLink(up, cfg.NATS)
		n.w.corr.log = log
		up.SetHandoverSink(n.w.corr.receive)
	}
	return n, nil
}

func (n *Node) tlsConfig() (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	if n.cfg.CertFile != "" {
		cert, err = tls.LoadX509KeyPair(n.cfg.CertFile, n.cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("edge: load certificate: %w", err)
		}
	} else {
		cert, err = devca.Ensure(n.cfg.DataDir, n.cfg.Hosts...)
		if err != nil {
			return nil, fmt.Errorf("edge: development CA: %w", err)
		}
	}
	if n.cfg.ClientCA == "" {
		// The lab identities clients find next to ca.pem.
		if err := devca.EnsureIdentities(n.cfg.DataDir); err != nil {
			return nil, fmt.Errorf("edge: development identities: %w", err)
		}
	}
	if n.auth, err = newClientAuth(n.cfg.ClientCA, n.cfg.DataDir, &n.m.auth, n.log); err != nil {
		return nil, err
	}
	if n.cfg.Revoked != "" {
		r, err := n.loadRevocations()
		if err != nil {
			return nil, err
		}
		n.auth.revoked.Store(r)
		n.m.auth.revocationReloads[0].Inc()
	}
	// No session tickets: no client of the node resumes a session
	// (edge/client keeps no session cache), and sealing a ticket (with the
	// client's certificate chain in it) after every handshake was 3 % of
	// the process's CPU under the idle-connection flood (0.06 of 1.95 s in
	// one profile) for nothing. Every connection is verified in full.
	base := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{wire.ALPN}, MinVersion: tls.VersionTLS13,
		SessionTicketsDisabled: true}
	return n.auth.serverConfig(base), nil
}

// streamReceiveWindow and connReceiveWindow are the node's initial QUIC
// flow-control windows for what a client sends: how much a stream (and a
// connection) may send ahead of what the node has read. A stream that a
// rate quota refused stops reading (streamSession.wait), and then its
// sender may still write one window before QUIC holds it: with quic-go's
// defaults (512 KiB a stream, 768 KiB a connection) a Subscribe/Resync
// flood kept the node receiving and acknowledging several thousand small
// packets a second for about 5 s before flow control stopped it. With 64
// KiB it stops within a second. quic-go doubles a window whose reader
// keeps up within a few round trips (up to 6 MiB a stream, 15 MiB a
// connection), so a producer the node reads at full speed is not held.
const (
	streamReceiveWindow = 64 << 10
	connReceiveWindow   = 96 << 10
)

// connPeer is who an open connection's client is: its identity and
// certificate (for revocation).
type connPeer struct {
	id   auth.Identity
	leaf *x509.Certificate
}

// Start binds the QUIC and HTTP listeners and starts serving. It returns
// once the node accepts connections.
func (n *Node) Start() error {
	tlsConf, err := n.tlsConfig()
	if err != nil {
		return err
	}
	// No KeepAlivePeriod: the node does not keep idle clients alive;
	// clients that mean to stay connected while idle send their own
	// keep-alives (edge/client does).
	qconf := &quic.Config{
		InitialStreamReceiveWindow:     streamReceiveWindow,
		InitialConnectionReceiveWindow: connReceiveWindow,
		MaxIdleTimeout:                 n.cfg.IdleTimeout,
		MaxIncomingStreams:             n.cfg.MaxStreams,
		MaxIncomingUniStreams:          -1,
		EnableDatagrams:                !n.cfg.NoDatagrams,
	}
	n.handshakes = newHandshakeGate(n.cfg.HandshakesPerSec, n.cfg.HandshakeBurst, n.cfg.MaxHandshakes, n.m.reg)
	var keys *steer.Keys // without a data directory, fresh ones
	if n.cfg.DataDir != "" {
		if keys, err = loadKeys(n.cfg.DataDir); err != nil {
			return fmt.Errorf("edge: QUIC keys: %w", err)
		}
	}
	n.grp, err = steer.Listen(steer.Options{Addr: n.cfg.Listen, Workers: n.cfg.Workers, TLS: tlsConf, QUIC: qconf,
		ConnContext: n.handshakes.connContext, Log: n.log, Keys: keys})
	if err != nil {
		return fmt.Errorf("edge: listen %s: %w", n.cfg.Listen, err)
	}
	n.guard, err = xdpguard.Attach(n.grp, xdpguard.Options{Iface: n.cfg.XDPIface, Settings: n.cfg.GuardSettings(), Log: n.log})
	if err != nil {
		n.grp.Close()
		return fmt.Errorf("edge: xdp guard on %s: %w", n.cfg.XDPIface, err)
	}
	if n.operator, err = newOperatorAuth(n.cfg.OperatorTokenFile, n.cfg.DataDir); err != nil {
		n.closeListeners()
		return err
	}
	n.operator.register(n.m.reg)
	if err := errors.Join(n.m.reg.Register(n.grp.Collector()), n.m.reg.Register(n.guard.Collector())); err != nil {
		n.closeListeners()
		return fmt.Errorf("edge: register steering metrics: %w", err)
	}
	n.live = &liveFeed{hub: n.hub, mp: &n.w.mapPub, max: int32(n.cfg.LiveViewers), done: n.closed, now: clock.Now,
		writeTimeout: liveWriteTimeout, m: newLiveMetrics(n.m.reg), log: n.log}
	if n.cfg.HTTP != "" {
		if n.httpLn, err = net.Listen("tcp", n.cfg.HTTP); err != nil {
			n.closeListeners()
			return fmt.Errorf("edge: http listen %s: %w", n.cfg.HTTP, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(n.m.reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("/healthz", n.healthz)
		mux.HandleFunc("GET "+stateDictPath, serveStateDict)
		mux.Handle("/xdp/", n.operator.wrap(n.guard)) // operator only
		n.live.register(mux)                          // GET / (the live view page) and GET /live
		n.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: n.cfg.HTTPReadTimeout,
			WriteTimeout: n.cfg.HTTPWriteTimeout, IdleTimeout: n.cfg.HTTPIdleTimeout}
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			if err := n.httpSrv.Serve(n.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				n.log.Error("http server failed", "err", err)
			}
		}()
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if n.cfg.RecordDir != "" {
		if n.rec, err = newNodeRecorder(&n.cfg, n.hub, n); err != nil {
			return n.abortStart(err)
		}
		n.w.rec = n.rec
	}
	if n.cfg.UPERListen != "" {
		if err := n.startUPER(); err != nil {
			return n.abortStart(err)
		}
	}
	if n.cfg.MQTT.Enabled() {
		if err := n.startMQTT(); err != nil {
			return n.abortStart(err)
		}
	}
	if n.cfg.Foxglove != "" {
		if err := n.startFoxglove(); err != nil {
			return n.abortStart(err)
		}
	}
	if n.up != nil {
		if err := n.up.Start(); err != nil {
			return n.abortStart(fmt.Errorf("edge: %w", err))
		}
		p := newUplinkPump(n.hub, n.up, n.cfg.NATS, n.bc.cfg.comp)
		n.wg.Add(1)
		go func() { defer n.wg.Done(); p.run(n.ctx) }()
		n.log.Info("nats uplink", "urls", n.cfg.NATS.URLs, "state", n.up.StateSubject(), "events", n.up.EventSubject(), "stream", n.cfg.NATS.Stream)
	}
	n.connectMQTT() // last: nothing after it fails, so nothing is left connecting
	n.wg.Add(2)
	go func() { defer n.wg.Done(); n.w.run(n.ctx) }()
	go func() { defer n.wg.Done(); n.acceptLoop() }()
	n.log.Info("edge node listening", "quic", n.Addr().String(), "http", n.HTTPAddr(), "alpn", wire.ALPN)
	return nil
}

// closeListeners closes the QUIC workers and detaches the XDP guard.
func (n *Node) closeListeners() {
	n.grp.Close()
	n.guard.Close()
}

// Addr returns the QUIC listener's address.
func (n *Node) Addr() net.Addr { return n.grp.Addr() }

// HTTPAddr returns the metrics listener's address, or "" when disabled.
func (n *Node) HTTPAddr() string {
	if n.httpLn == nil {
		return ""
	}
	return n.httpLn.Addr().String()
}

// abortStart undoes what Start opened before it failed with err: the
// node's context, the HTTP listener, the UPER socket, the Foxglove server
// and the QUIC listeners. It returns err.
func (n *Node) abortStart(err error) error {
	n.cancel()
	if n.httpLn != nil {
		n.httpLn.Close()
	}
	if n.uperPC != nil {
		n.uperPC.Close()
	}
	if n.fox != nil {
		n.fox.srv.Close()
	}
	n.closeListeners()
	return err
}

func (n *Node) healthz(w http.ResponseWriter, _ *http.Request) {
	select {
	case <-n.closed:
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
	default:
		fmt.Fprintln(w, "ok")
	}
}

func (n *Node) acceptLoop() {
	for {
		c, err := n.grp.Accept(n.ctx)
		if err != nil {
			return
		}
		id, leaf := connIdentity(c)
		n.connsMu.Lock()
		n.conns[c] = connPeer{id: id, leaf: leaf}
		n.connsMu.Unlock()
		// Revoked between its handshake and now: closeRevoked ran before
		// the connection was in conns.
		if why := n.auth.revoked.Load().revoked(leaf, id); why != "" {
			c.CloseWithError(wire.ConnErrRevoked, "identity revoked")
			n.m.auth.revokedClosed.Inc()
		}
		n.m.connections.Inc()
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			n.serveConn(c)
		}()
	}
}

func (n *Node) serveConn(c *quic.Conn) {
	ident, _ := connIdentity(c)
	log := n.log.With("remote", c.RemoteAddr().String(), "identity", ident.Name)
	log.Info("client connected", "roles", ident.Roles.String(), "kinds", ident.Kinds.String())
	acct, ok := n.quotas.Connect(ident.Name, quotaRoles(ident))
	if !ok {
		log.Info("connection refused: connections quota of identity exceeded")
		c.CloseWithError(wire.ConnErrOverloaded, "connections quota of "+ident.Name+" exceeded")
	} else {
		defer n.quotas.Disconnect(acct)
	}
	defer func() {
		n.connsMu.Lock()
		delete(n.conns, c)
		n.connsMu.Unlock()
		n.m.connections.Dec()
		log.Debug("connection closed", "reason", context.Cause(c.Context()))
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	scfg := newStreamConfig(&n.cfg)
	for ok {
		st, err := c.AcceptStream(n.ctx)
		if err != nil {
			return
		}
		if !acct.OpenStream() {
			st.CancelRead(wire.StreamErrOverloaded)
			st.CancelWrite(wire.StreamErrOverloaded)
			continue
		}
		ss := &streamSession{n: n, id: n.streamID.Add(1), st: st, conn: c, fw: wire.NewWriter(st), log: log,
			cfg: scfg, m: &n.m.frameMetrics, bc: n.bc, ident: ident, am: &n.m.auth, acct: acct}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer acct.CloseStream()
			ss.serve(c.Context())
		}()
	}
}

// Close shuts the node down: it stops accepting, closes every connection
// with wire.ConnErrShutdown, stops the fusion loop and the HTTP server, and
// waits up to ShutdownGrace for its goroutines.
func (n *Node) Close() error {
	var err error
	n.once.Do(func() {
		close(n.closed)
		n.log.Info("edge node shutting down")
		n.grp.StopAccepting()
		n.connsMu.Lock()
		for c := range n.conns {
			c.CloseWithError(wire.ConnErrShutdown, "node shutting down")
		}
		n.connsMu.Unlock()
		n.cancel()
		if n.uperPC != nil {
			n.uperPC.Close()
		}
		if n.mqtt != nil {
			n.mqtt.Close()
		}
		if n.fox != nil {
			ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ShutdownGrace)
			n.fox.srv.Shutdown(ctx)
			cancel()
		}
		if n.httpSrv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ShutdownGrace)
			n.httpSrv.Shutdown(ctx)
			cancel()
		}
		done := make(chan struct{})
		go func() { n.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(n.cfg.ShutdownGrace):
			err = errors.New("edge: shutdown grace period expired with goroutines still running")
		}
		n.closeListeners()
		if n.rec != nil {
			// Every writer of the recording has stopped (or the grace
			// expired): the last file gets its summary and footer.
			if rerr := n.rec.close(); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		if n.up != nil {
			// After the fusion loop: the events it emitted last are in
			// the buffer; publishing them is bounded by the flush timeout.
			if uerr := n.up.Close(); uerr != nil {
				n.log.Warn("nats uplink closed with events unpublished", "err", uerr)
			}
		}
	})
	return err
}

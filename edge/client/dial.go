package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"sync"
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
	// ServerName overrides the name checked in the node's certificate;
	// by default the host of the address.
	ServerName string
	// IdleTimeout of the QUIC connection; 30 s by default.
	IdleTimeout time.Duration
	// Transport, if set, carries the connection: many connections from one
	// process can share one UDP socket this way (the benchmark's
	// subscriber process does). By default each connection has its own.
	Transport *quic.Transport
}

// Conn is a QUIC connection to a node.
type Conn struct {
	qc *quic.Conn

	mu      sync.Mutex
	routes  map[uint32]*Subscription // by stream id, for Update datagrams
	routing bool
}

// Dial connects to the node at addr (host:port).
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
	}
	tlsConf := &tls.Config{RootCAs: pool, ServerName: name, NextProtos: []string{wire.ALPN}, MinVersion: tls.VersionTLS13}
	qconf := &quic.Config{MaxIdleTimeout: idle, KeepAlivePeriod: idle / 3, EnableDatagrams: true}
	var qc *quic.Conn
	var err error
	if opts.Transport != nil {
		var ua *net.UDPAddr
		if ua, err = net.ResolveUDPAddr("udp", addr); err == nil {
			qc, err = opts.Transport.Dial(ctx, ua, tlsConf, qconf)
		}
	} else {
		qc, err = quic.DialAddr(ctx, addr, tlsConf, qconf)
	}
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &Conn{qc: qc, routes: make(map[uint32]*Subscription)}, nil
}

// route registers s for the Update datagrams the node addresses to its
// stream, starting the connection's datagram reader on first use.
func (c *Conn) route(s *Subscription) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.routes[s.sid] = s
	if !c.routing && c.qc.ConnectionState().SupportsDatagrams.Remote {
		c.routing = true
		go c.readDatagrams()
	}
}

func (c *Conn) unroute(s *Subscription) {
	c.mu.Lock()
	delete(c.routes, s.sid)
	c.mu.Unlock()
}

// readDatagrams hands each Update datagram to its subscription. Datagrams
// that are not a whole Update frame are ignored: they carry nothing a
// subscription could use, and a stream will not be confused by them.
func (c *Conn) readDatagrams() {
	for {
		b, err := c.qc.ReceiveDatagram(context.Background())
		if err != nil {
			return
		}
		now := clock.Now()
		h, err := wire.ParseHeader(b, len(b))
		if err != nil || h.Type != wire.TypeUpdate || wire.HeaderLen+h.Length != len(b) {
			continue
		}
		c.mu.Lock()
		s := c.routes[h.Source]
		c.mu.Unlock()
		if s != nil {
			s.offer(item{h: h, p: b[wire.HeaderLen:], recv: now, bytes: len(b), dgram: true})
		}
	}
}

// QUIC returns the underlying connection.
func (c *Conn) QUIC() *quic.Conn { return c.qc }

// Close closes the connection normally.
func (c *Conn) Close() error { return c.qc.CloseWithError(0, "") }

package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"time"

	"github.com/quic-go/quic-go"

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
}

// Conn is a QUIC connection to a node.
type Conn struct {
	qc *quic.Conn
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
	qc, err := quic.DialAddr(ctx, addr, tlsConf, &quic.Config{MaxIdleTimeout: idle, KeepAlivePeriod: idle / 3})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &Conn{qc: qc}, nil
}

// QUIC returns the underlying connection.
func (c *Conn) QUIC() *quic.Conn { return c.qc }

// Close closes the connection normally.
func (c *Conn) Close() error { return c.qc.CloseWithError(0, "") }

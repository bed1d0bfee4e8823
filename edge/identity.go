package edge

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/edge/quota"
)

// Why a client's handshake failed, as metric label indexes
// (v2x_handshake_failures_total{reason}).
const (
	hsNoCertificate  = iota // the client presented no certificate
	hsUnknownCA             // not signed by the client CA
	hsExpired               // expired or not yet valid
	hsRevoked               // serial or identity on the revocation list
	hsNoIdentity            // no valid v2x-edge identity URI
	hsBadCertificate        // any other verification failure
	numHandshakeReasons
)

var handshakeReasonNames = [numHandshakeReasons]string{"no_certificate", "unknown_ca", "expired", "revoked", "no_identity", "bad_certificate"}

// Where a forbidden frame was refused, as metric label indexes
// (v2x_forbidden_total{kind}): the source kinds, then subscribe.
const numForbidLabels = 6

var forbidLabelNames = [numForbidLabels]string{"vehicle", "rsu", "camera", "signal", "map", "subscribe"}

// authMetrics counts what the node refuses for who the client is.
type authMetrics struct {
	handshakeFailures [numHandshakeReasons]prometheus.Counter
	forbidden         [numForbidLabels]prometheus.Counter
	revokedClosed     prometheus.Counter
	revocationReloads [2]prometheus.Counter // ok, error
}

func (m *authMetrics) register(reg *prometheus.Registry) {
	hs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_handshake_failures_total", Help: "Client handshakes refused for the client certificate, by reason.",
	}, []string{"reason"})
	for i, n := range handshakeReasonNames {
		m.handshakeFailures[i] = hs.WithLabelValues(n)
	}
	fb := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_forbidden_total", Help: "Frames refused with forbidden: data frames of a source kind the identity may not send (or SPAT and MAP of an intersection outside its scope), by kind, and Subscribes from identities without the subscriber role (kind \"subscribe\").",
	}, []string{"kind"})
	for i, n := range forbidLabelNames {
		m.forbidden[i] = fb.WithLabelValues(n)
	}
	m.revokedClosed = counter("v2x_revoked_connections_closed_total", "Open connections closed because their identity or certificate was revoked.")
	rl := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_revocation_reloads_total", Help: "Reloads of the revocation list (start and SIGHUP), by result.",
	}, []string{"result"})
	m.revocationReloads[0], m.revocationReloads[1] = rl.WithLabelValues("ok"), rl.WithLabelValues("error")
	reg.MustRegister(hs, fb, m.revokedClosed, rl)
}

// forbid counts a forbidden frame: a data frame of kind k, or a Subscribe
// when subscribe is set.
func (m *authMetrics) forbid(k auth.Kind, subscribe bool) {
	if subscribe {
		m.forbidden[numForbidLabels-1].Inc()
		return
	}
	for i := 0; i < numForbidLabels-1; i++ {
		if k == auth.Kind(1<<i) {
			m.forbidden[i].Inc()
			return
		}
	}
}

// clientAuth verifies client certificates: signed by the client CA, in
// date, not revoked, naming a valid identity. Each refusal is counted by
// reason and logged.
type clientAuth struct {
	roots   *x509.CertPool
	cas     []*x509.Certificate // the client CA's certificates, for CRL signatures
	revoked atomic.Pointer[revocations]
	m       *authMetrics
	log     *slog.Logger
	now     func() time.Time
	chains  verifyCache // chains that verified, so that a reconnecting client's is not built again
}

// newClientAuth loads the client CA: caFile, or the development CA's
// DIR/ca.pem when caFile is "".
func newClientAuth(caFile, dataDir string, m *authMetrics, log *slog.Logger) (*clientAuth, error) {
	if caFile == "" {
		caFile = filepath.Join(dataDir, devca.CAFile)
	}
	cas, err := devca.LoadCerts(caFile)
	if err != nil {
		return nil, fmt.Errorf("edge: client CA: %w", err)
	}
	a := &clientAuth{roots: x509.NewCertPool(), cas: cas, m: m, log: log, now: time.Now}
	for _, c := range cas {
		a.roots.AddCert(c)
	}
	a.revoked.Store(&revocations{})
	return a, nil
}

// serverConfig returns base made to ask every client for a certificate and
// verify it with verify. The certificate is requested, not required, so
// that a client without one reaches verify and is counted.
func (a *clientAuth) serverConfig(base *tls.Config) *tls.Config {
	base.ClientAuth = tls.RequestClientCert
	base.GetConfigForClient = func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
		c := base.Clone()
		c.GetConfigForClient = nil
		remote := ""
		if hi.Conn != nil && hi.Conn.RemoteAddr() != nil {
			remote = hi.Conn.RemoteAddr().String()
		}
		ctx := hi.Context()
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			defer handshakeChecked(ctx)
			return a.verifyConnection(cs, remote)
		}
		return c, nil
	}
	base.VerifyConnection = func(cs tls.ConnectionState) error { return a.verifyConnection(cs, "") }
	return base
}

func (a *clientAuth) verifyConnection(cs tls.ConnectionState, remote string) error {
	id, reason, err := a.verify(cs.PeerCertificates)
	if err != nil {
		a.m.handshakeFailures[reason].Inc()
		a.log.Info("client refused", "remote", remote, "reason", handshakeReasonNames[reason], "err", err)
		return err
	}
	a.log.Debug("client certificate verified", "remote", remote, "identity", id.Name)
	return nil
}

// verify checks a client's certificate chain (leaf first) and returns its
// identity, or the reason (an hs* index) it is refused.
func (a *clientAuth) verify(certs []*x509.Certificate) (auth.Identity, int, error) {
	if len(certs) == 0 {
		return auth.Identity{}, hsNoCertificate, errors.New("edge: client presented no certificate (issue one with v2x-edge cert issue)")
	}
	leaf := certs[0]
	if err := a.verifyChain(certs); err != nil {
		var uae x509.UnknownAuthorityError
		var inv x509.CertificateInvalidError
		switch {
		case errors.As(err, &uae):
			return auth.Identity{}, hsUnknownCA, fmt.Errorf("edge: client certificate %q is not signed by the client CA: %w", leaf.Subject.CommonName, err)
		case errors.As(err, &inv) && inv.Reason == x509.Expired:
			return auth.Identity{}, hsExpired, fmt.Errorf("edge: client certificate %q: %w", leaf.Subject.CommonName, err)
		}
		return auth.Identity{}, hsBadCertificate, fmt.Errorf("edge: client certificate %q: %w", leaf.Subject.CommonName, err)
	}
	id, err := auth.FromCert(leaf)
	if err != nil {
		return auth.Identity{}, hsNoIdentity, fmt.Errorf("edge: client certificate %q: %w", leaf.Subject.CommonName, err)
	}
	if why := a.revoked.Load().revoked(leaf, id); why != "" {
		return id, hsRevoked, fmt.Errorf("edge: client %s: %s revoked", id.Name, why)
	}
	return id, 0, nil
}

// verifyChain checks that the chain certs (leaf first) leads to the
// client CA and is valid now, for client authentication; a chain that
// verified before and is still in date passes without being built again.
func (a *clientAuth) verifyChain(certs []*x509.Certificate) error {
	now := a.now()
	k := chainKey(certs)
	if a.chains.verified(k, now) {
		return nil
	}
	opts := x509.VerifyOptions{Roots: a.roots, Intermediates: x509.NewCertPool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	chains, err := certs[0].Verify(opts)
	if err != nil {
		return err
	}
	a.chains.add(k, chains[0]) // valid while every certificate up to the root is
	return nil
}

// connIdentity is the identity of a connection's verified client
// certificate, and the certificate. A connection whose handshake passed
// clientAuth always has one; without a certificate (which clientAuth
// refuses) the zero Identity, which may do nothing.
func connIdentity(c *quic.Conn) (auth.Identity, *x509.Certificate) {
	certs := c.ConnectionState().TLS.PeerCertificates
	if len(certs) == 0 {
		return auth.Identity{}, nil
	}
	id, err := auth.FromCert(certs[0])
	if err != nil {
		return auth.Identity{}, certs[0]
	}
	return id, certs[0]
}

// quotaRoles converts an identity's roles to the quota package's flags.
func quotaRoles(id auth.Identity) uint8 {
	var r uint8
	if id.Has(auth.RoleProducer) {
		r |= quota.RoleProducer
	}
	if id.Has(auth.RoleSubscriber) {
		r |= quota.RoleSubscriber
	}
	if id.Has(auth.RoleOperator) {
		r |= quota.RoleOperator
	}
	return r
}

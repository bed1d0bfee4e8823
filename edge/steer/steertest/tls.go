// Package steertest holds what the tests of package steer and of the
// packages built on it share: a self-signed TLS pair, a QUIC
// configuration, and an echo server and client over a worker group.
package steertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
)

// ALPN is the protocol of the test TLS configurations.
const ALPN = "v2x-steer-test"

// TLS returns a server configuration with a fresh self-signed certificate,
// a client configuration that trusts it, and the certificate in DER for a
// child process.
func TLS(t testing.TB) (server, client *tls.Config, certDER []byte) {
	t.Helper()
	server, der, err := ServerTLS()
	if err != nil {
		t.Fatal(err)
	}
	if client, err = ClientTLS(der); err != nil {
		t.Fatal(err)
	}
	return server, client, der
}

// ServerTLS makes a self-signed certificate for 127.0.0.1 and the test
// server name.
func ServerTLS() (*tls.Config, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "v2x-steer-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:    []string{"v2x-steer-test"},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		NextProtos: []string{ALPN}, MinVersion: tls.VersionTLS13}, der, nil
}

// ClientTLS trusts the certificate der of ServerTLS.
func ClientTLS(der []byte) (*tls.Config, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{RootCAs: pool, NextProtos: []string{ALPN}, ServerName: "v2x-steer-test", MinVersion: tls.VersionTLS13}, nil
}

// QUICConfig is the QUIC configuration of the tests' servers and clients.
func QUICConfig() *quic.Config {
	return &quic.Config{MaxIdleTimeout: 10 * time.Second, HandshakeIdleTimeout: 5 * time.Second}
}

// RequireRoot skips a test that loads eBPF programs without the
// privilege to.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_BPF and CAP_NET_ADMIN) to load eBPF programs")
	}
}

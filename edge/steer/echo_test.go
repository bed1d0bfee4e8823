package steer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
)

const testALPN = "v2x-steer-test"

// testTLS returns a server configuration with a fresh self-signed
// certificate, a client configuration that trusts it, and the certificate
// in DER for a child process.
func testTLS(t testing.TB) (server, client *tls.Config, certDER []byte) {
	t.Helper()
	server, der, err := serverTLS()
	if err != nil {
		t.Fatal(err)
	}
	if client, err = clientTLS(der); err != nil {
		t.Fatal(err)
	}
	return server, client, der
}

// serverTLS makes a self-signed certificate for the test server name.
func serverTLS() (*tls.Config, []byte, error) {
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
		NextProtos: []string{testALPN}, MinVersion: tls.VersionTLS13}, der, nil
}

func clientTLS(der []byte) (*tls.Config, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{RootCAs: pool, NextProtos: []string{testALPN}, ServerName: "v2x-steer-test", MinVersion: tls.VersionTLS13}, nil
}

// serveEcho accepts connections from g until it closes and echoes every
// stream; it records the worker of each connection.
type echoServer struct {
	mu      sync.Mutex
	workers map[string]int // remote address at accept → worker
	conns   []*quic.Conn
	wg      sync.WaitGroup
}

func serveEcho(ctx context.Context, g *Group) *echoServer {
	s := &echoServer{workers: map[string]int{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, w, err := g.AcceptWorker(ctx)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.workers[c.RemoteAddr().String()] = w
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			go func() {
				for {
					st, err := c.AcceptStream(ctx)
					if err != nil {
						return
					}
					go func() { io.Copy(st, st); st.Close() }()
				}
			}()
		}
	}()
	return s
}

// echoClient sends sequence numbers in 256-byte messages on one stream
// and checks that each comes back in order. The size keeps every packet
// above quic-go's 42-byte floor for answering with a stateless reset.
type echoClient struct {
	st   *quic.Stream
	next uint64
}

func newEchoClient(ctx context.Context, c *quic.Conn) (*echoClient, error) {
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		return nil, fmt.Errorf("open stream: %w", err)
	}
	return &echoClient{st: st}, nil
}

// roundTrip sends the next number and waits for its echo.
func (e *echoClient) roundTrip(timeout time.Duration) error {
	var b [256]byte
	binary.BigEndian.PutUint64(b[:], e.next)
	e.st.SetDeadline(time.Now().Add(timeout))
	if _, err := e.st.Write(b[:]); err != nil {
		return fmt.Errorf("write %d: %w", e.next, err)
	}
	if _, err := io.ReadFull(e.st, b[:]); err != nil {
		return fmt.Errorf("echo of %d: %w", e.next, err)
	}
	if got := binary.BigEndian.Uint64(b[:]); got != e.next {
		return fmt.Errorf("echo %d, want %d", got, e.next)
	}
	e.next++
	return nil
}

func testQUICConfig() *quic.Config {
	return &quic.Config{MaxIdleTimeout: 10 * time.Second, HandshakeIdleTimeout: 5 * time.Second}
}

// isStatelessReset reports whether err ended a connection by a stateless
// reset.
func isStatelessReset(err error) bool {
	var sr *quic.StatelessResetError
	return errors.As(err, &sr)
}

// TestMain runs a re-executed test binary in the role its environment
// names (a client in a network namespace, an unprivileged process), and
// the tests otherwise.
func TestMain(m *testing.M) {
	// Keep quic-go from warning about UDP buffer sizes in test output.
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	switch os.Getenv(roleEnv) {
	case "natclient":
		os.Exit(natClientMain())
	case "unprivileged":
		os.Exit(unprivilegedMain())
	}
	os.Exit(m.Run())
}

// roleEnv selects the role of a re-executed test binary.
const roleEnv = "V2X_STEER_TEST_ROLE"

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func contextTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

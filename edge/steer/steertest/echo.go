package steertest

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
)

// Acceptor is a worker group as the echo server uses it
// (steer.Group.AcceptWorker).
type Acceptor interface {
	AcceptWorker(ctx context.Context) (*quic.Conn, int, error)
}

// EchoServer accepts connections until its group closes or its context
// ends and echoes every stream; it records the worker of each connection.
type EchoServer struct {
	mu      sync.Mutex
	workers map[string]int // remote address at accept → worker
	conns   []*quic.Conn
	wg      sync.WaitGroup
}

// ServeEcho starts an EchoServer on g.
func ServeEcho(ctx context.Context, g Acceptor) *EchoServer {
	s := &EchoServer{workers: map[string]int{}}
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

// Workers maps the remote address of every connection accepted so far,
// as it was at accept, to the worker that accepted it.
func (s *EchoServer) Workers() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.workers)
}

// Conns are the connections accepted so far, in order.
func (s *EchoServer) Conns() []*quic.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.conns)
}

// Wait waits until the server stops accepting.
func (s *EchoServer) Wait() { s.wg.Wait() }

// EchoClient sends sequence numbers in 256-byte messages on one stream
// and checks that each comes back in order. The size keeps every packet
// above quic-go's 42-byte floor for answering with a stateless reset.
type EchoClient struct {
	st   *quic.Stream
	next uint64
}

// NewEchoClient opens the client's stream on c.
func NewEchoClient(ctx context.Context, c *quic.Conn) (*EchoClient, error) {
	st, err := c.OpenStreamSync(ctx)
	if err != nil {
		return nil, fmt.Errorf("open stream: %w", err)
	}
	return &EchoClient{st: st}, nil
}

// RoundTrip sends the next number and waits for its echo.
func (e *EchoClient) RoundTrip(timeout time.Duration) error {
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

// Stream is the client's stream, for a test that writes and reads on it
// at its own pace.
func (e *EchoClient) Stream() *quic.Stream { return e.st }

// Next is the number the next round trip sends: the round trips done.
func (e *EchoClient) Next() uint64 { return e.next }

// DialEcho dials addr from a fresh local UDP socket (its own source port)
// and runs one echo round trip.
func DialEcho(ctx context.Context, t testing.TB, addr net.Addr, ctls *tls.Config) (*quic.Conn, *EchoClient) {
	t.Helper()
	c, err := quic.DialAddr(ctx, addr.String(), ctls, QUICConfig())
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	e, err := NewEchoClient(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.RoundTrip(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	return c, e
}

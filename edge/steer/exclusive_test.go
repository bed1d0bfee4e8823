package steer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/steer/steertest"
)

// holders are the ways another process can serve a UDP port: a plain
// socket, a reuseport socket (as a node bound its group before it bound
// its first socket exclusively), and another node's group.
var holders = []struct {
	name string
	hold func(t *testing.T) (addr string, release func())
}{
	{"plain socket", func(t *testing.T) (string, func()) {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return c.LocalAddr().String(), func() { c.Close() }
	}},
	{"reuseport socket", func(t *testing.T) (string, func()) {
		lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error { return reusePort(c) }}
		c, err := lc.ListenPacket(context.Background(), "udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return c.LocalAddr().String(), func() { c.Close() }
	}},
	{"group of 1", func(t *testing.T) (string, func()) { return holdGroup(t, 1) }},
	{"group of 2", func(t *testing.T) (string, func()) { return holdGroup(t, 2) }},
}

func holdGroup(t *testing.T, workers int) (string, func()) {
	stls, _, _ := steertest.TLS(t)
	g, err := Listen(Options{Addr: "127.0.0.1:0", Workers: workers, TLS: stls, QUIC: steertest.QUICConfig()})
	if err != nil {
		t.Fatal(err)
	}
	return g.Addr().String(), func() { g.Close() }
}

// TestListenRefusesServedPort: a group refuses a port another socket
// holds, whatever the number of its workers, with an error naming the
// port; before its first socket was bound exclusively, a group of
// several workers joined any reuseport socket of the same user.
func TestListenRefusesServedPort(t *testing.T) {
	stls, _, _ := steertest.TLS(t)
	for _, h := range holders {
		for _, workers := range []int{1, 2, 4} {
			t.Run(fmt.Sprintf("%s/workers=%d", h.name, workers), func(t *testing.T) {
				addr, release := h.hold(t)
				defer release()
				_, port, _ := net.SplitHostPort(addr)
				g, err := Listen(Options{Addr: addr, Workers: workers, TLS: stls, QUIC: steertest.QUICConfig()})
				if err == nil {
					g.Close()
					t.Fatalf("a group of %d joined a port held by a %s", workers, h.name)
				}
				if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "UDP port "+port+" is already in use") {
					t.Errorf("error %q does not say that UDP port %s is in use", err, port)
				}
			})
		}
	}
}

// TestSecondGroupLeavesFirstServing is the defect as a user met it: a
// second node on the port of a steered one took its new connections.
// Now the second is refused and the first accepts every connection.
func TestSecondGroupLeavesFirstServing(t *testing.T) {
	stls, ctls, _ := steertest.TLS(t)
	first, err := Listen(Options{Addr: "127.0.0.1:0", Workers: 2, TLS: stls, QUIC: steertest.QUICConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	otherTLS, _, _ := steertest.TLS(t) // another node: another certificate
	for _, workers := range []int{1, 2} {
		if second, err := Listen(Options{Addr: first.Addr().String(), Workers: workers, TLS: otherTLS, QUIC: steertest.QUICConfig()}); err == nil {
			defer second.Close()
			t.Errorf("a second group of %d started on %s", workers, first.Addr())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := steertest.ServeEcho(ctx, first)
	const conns = 8
	for range conns {
		c, _ := steertest.DialEcho(ctx, t, first.Addr(), ctls) // fails on another node's certificate
		c.CloseWithError(0, "")
	}
	var sum uint64
	for _, n := range first.WorkerConnections() {
		sum += n
	}
	if sum != conns {
		t.Errorf("the first group accepted %d of %d connections", sum, conns)
	}
	cancel()
	srv.Wait()
}

// TestListenPortZeroSharesOnePort: with port 0 the kernel picks the first
// worker's port and every other worker binds that one.
func TestListenPortZeroSharesOnePort(t *testing.T) {
	steertest.RequireRoot(t) // several workers need the steering program
	stls, _, _ := steertest.TLS(t)
	g, err := Listen(Options{Addr: "127.0.0.1:0", Workers: 4, TLS: stls, QUIC: steertest.QUICConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Workers() != 4 {
		t.Fatalf("%d workers (fallback %q)", g.Workers(), g.Fallback())
	}
	for _, w := range g.workers {
		if got := w.udp.LocalAddr().String(); got != g.Addr().String() {
			t.Errorf("worker %d on %s, worker 0 on %s", w.slot, got, g.Addr())
		}
	}
}

// TestListenRaceOnePort starts two groups on one free port at once, many
// times: exactly one gets it, whichever binds its first socket first.
func TestListenRaceOnePort(t *testing.T) {
	stls, _, _ := steertest.TLS(t)
	for round := range 10 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := c.LocalAddr().String()
		c.Close()
		var wg sync.WaitGroup
		groups := make([]*Group, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				groups[i], errs[i] = Listen(Options{Addr: addr, Workers: 2, TLS: stls, QUIC: steertest.QUICConfig()})
			}()
		}
		wg.Wait()
		won := 0
		for i, g := range groups {
			if errs[i] == nil {
				won++
				g.Close()
			} else if !errors.Is(errs[i], syscall.EADDRINUSE) {
				t.Errorf("round %d: group %d: %v", round, i, errs[i])
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d groups got port %s, want exactly one (%v)", round, won, addr, errs)
		}
	}
}

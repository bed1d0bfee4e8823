package e2e

// Client tests against a real node: reconnection after the node goes away, a
// rejected Subscribe, and the dial errors a user sees.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

const refLat, refLon = 22.5431, 114.0579

// startNode runs a node on listen (loopback, "127.0.0.1:0" for any port)
// with its data in dir.
func startNode(t *testing.T, listen, dir string) *edge.Node {
	t.Helper()
	cfg := edge.DefaultConfig()
	cfg.Listen, cfg.HTTP, cfg.DataDir, cfg.Workers = listen, "", dir, 1
	cfg.RefLat, cfg.RefLon = refLat, refLon
	cfg.Fusion = edge.FusionLatest
	n, err := edge.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	return n
}

func caOpts(dir string) client.Options {
	return client.DevOptions(dir, devca.SimIdentity)
}

// TestReconnectResumes: the node goes away and another starts on the
// same port with the same data directory. The Conn reconnects by itself;
// the subscription goes on with the new node's states (sequence numbers
// above the old run's), and the producer's frames reach the new node.
func TestReconnectResumes(t *testing.T) {
	dir := t.TempDir()
	n1 := startNode(t, "127.0.0.1:0", dir)
	addr := n1.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := caOpts(dir)
	opts.Reconnect = &client.Reconnect{Context: ctx}
	c, err := client.Dial(ctx, addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.Subscribe(ctx, wire.Subscribe{Flags: wire.SubPacked})
	if err != nil {
		t.Fatal(err)
	}
	defer s.WaitContext(ctx)()
	p, err := c.OpenProducer(ctx, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var sent, lost atomic.Uint64
	sctx, stopSending := context.WithCancel(ctx)
	var sending sync.WaitGroup
	sending.Add(1)
	defer func() { stopSending(); sending.Wait() }() // before the node and the producer close
	go func() {
		defer sending.Done()
		b := v2x.BSM{VehicleID: 9, Lat: refLat, Lon: refLon, Speed: 10, Heading: 90, Length: 4.5, Width: 1.8, Class: v2x.ClassCar, AccSemiMajor: 1, AccSemiMinor: 1}
		for sctx.Err() == nil {
			err := p.SendBSM(1, clock.Now(), &b)
			switch {
			case err == nil:
				sent.Add(1)
			case errors.Is(err, client.ErrDisconnected):
				lost.Add(1)
			default:
				if sctx.Err() == nil {
					t.Errorf("send: %v", err)
				}
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	// next returns the next state; sequence numbers only grow, across
	// the restart too.
	var last uint64
	next := func(what string) *client.Update {
		t.Helper()
		u, err := s.Next()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if u.Seq <= last {
			t.Errorf("%s: seq %d after %d", what, u.Seq, last)
		}
		last = u.Seq
		return u
	}
	for u := next("first run"); len(u.State.Objects) != 1; u = next("first run") {
	}
	if err := n1.Close(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	n2 := startNode(t, addr, dir)
	t.Cleanup(func() { n2.Close() }) // after the sender stops
	// The new run's first Seq is its boot time in µs, after down.
	newRun := uint64(down.UnixMicro())
	for u := next("after the restart"); u.Seq < newRun || len(u.State.Objects) != 1; u = next("after the restart") {
	}
	if took := time.Since(down); took > 5*time.Second {
		t.Errorf("resumed after %v, want within 5 s", took)
	}
	if c.Reconnects() < 1 || s.Stats().Resumed < 1 {
		t.Errorf("reconnects %d, subscription resumed %d times: want at least 1", c.Reconnects(), s.Stats().Resumed)
	}
	t.Logf("resumed after %v; sent %d, lost while down %d", time.Since(down), sent.Load(), lost.Load())
}

// TestSubscribeRejected: a Subscribe the node rejects ends the
// subscription with the node's error instead of leaving Next waiting.
func TestSubscribeRejected(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "127.0.0.1:0", dir)
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, n.Addr().String(), caOpts(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.Subscribe(ctx, wire.Subscribe{Radius: -5})
	if err != nil {
		t.Fatal(err)
	}
	defer s.WaitContext(ctx)()
	_, err = s.Next()
	var e *wire.ErrorFrame
	if !errors.Is(err, client.ErrRejected) || !errors.As(err, &e) || e.Code != wire.CodeInvalidValue || !strings.Contains(err.Error(), "radius") {
		t.Fatalf("Next: %v; want ErrRejected with the node's invalid_value about the radius", err)
	}
	if client.IsNodeError(err) {
		t.Error("IsNodeError says the subscription goes on after a rejection")
	}
	if ctx.Err() != nil {
		t.Error("the rejection came only when the test's context ended")
	}
	if _, err2 := s.Next(); !errors.Is(err2, client.ErrRejected) {
		t.Errorf("Next after the rejection: %v, want the rejection again", err2)
	}
}

// TestDialErrors: what a user sees when nothing answers, or when the CA
// is not the node's.
func TestDialErrors(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "127.0.0.1:0", dir)
	defer n.Close()

	ctx, cancel := client.WithDialTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := client.Dial(ctx, "127.0.0.1:9", caOpts(dir)) // discard: no QUIC there
	if err == nil || !strings.Contains(err.Error(), "no node answered at 127.0.0.1:9 within 300ms") {
		t.Errorf("nothing listening: %v; want it to say that no node answered at the address, within the timeout", err)
	}

	other := t.TempDir()
	if _, err := devca.Ensure(other, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	wrong := caOpts(dir)
	wrong.CAFile = caOpts(other).CAFile
	_, err = client.Dial(ctx2, n.Addr().String(), wrong)
	if err == nil || !strings.Contains(err.Error(), "DIR/ca.pem") || !strings.Contains(err.Error(), "-ca") {
		t.Errorf("wrong CA: %v; want a hint naming the node's DIR/ca.pem and -ca", err)
	}

	// No client certificate: refused by the node, and said so.
	ctx3, cancel3 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel3()
	c, err := client.Dial(ctx3, n.Addr().String(), client.Options{CAFile: caOpts(dir).CAFile})
	if err == nil {
		// TLS 1.3: the client may finish before the node has checked
		// it; the first stream then says.
		defer c.Close()
		_, err = c.Subscribe(ctx3, wire.Subscribe{})
	}
	if !strings.Contains(err.Error(), "refused this client's certificate") {
		t.Errorf("no client certificate: %v; want a hint that the node refused the certificate", err)
	}
}

// TestReconnectingProducerClosesAtOnce: on a reconnecting Conn, closing a
// producer whose stream the live node ended cleanly is not mistaken for a
// lost connection (it took a second per producer, seven seconds at the
// end of every v2x-sim run).
func TestReconnectingProducerClosesAtOnce(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "127.0.0.1:0", dir)
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts := caOpts(dir)
	opts.Reconnect = &client.Reconnect{Context: ctx}
	c, err := client.Dial(ctx, n.Addr().String(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var ps []*client.Producer
	for range 4 {
		p, err := c.OpenProducer(ctx, clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		b := v2x.BSM{Lat: refLat, Lon: refLon, VehicleID: 7, Class: v2x.ClassCar}
		if err := p.SendBSM(1, clock.Now(), &b); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	for _, p := range ps {
		p.Close()
	}
	// Four producers: before the fix at least four seconds.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("closing 4 producers took %v", d)
	}
}

package steer

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/bpf"
	"github.com/v2x-edge/v2x-edge/edge/steer/steertest"
)

// Environment of the re-executed client.
const (
	addrEnv = "V2X_STEER_TEST_ADDR"
	certEnv = "V2X_STEER_TEST_CERT"
)

// natClient is the parent's handle on the client process in the client
// namespace. It speaks lines: READY, MIGRATED, DIED, RESULT.
type natClient struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	died  atomic.Value // the DIED line
}

type natResult struct {
	RoundTrips uint64
	Err        string
	Reset      bool
	Migrated   string
}

func startNATClient(t *testing.T, n *natTopology, addr string, certDER []byte) *natClient {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(t.TempDir(), "cert.der")
	if err := os.WriteFile(cert, certDER, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", n.cli, exe)
	cmd.Env = append(os.Environ(), roleEnv+"=natclient", addrEnv+"="+addr, certEnv+"="+cert)
	cmd.Stderr = os.Stderr
	c := &natClient{cmd: cmd, lines: make(chan string, 64)}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "DIED") {
				c.died.Store(sc.Text())
			}
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	return c
}

// expect waits for a line starting with prefix, failing on anything else
// but DIED lines, which it returns when want is "DIED".
func (c *natClient) expect(t *testing.T, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("client exited before %s", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return strings.TrimSpace(strings.TrimPrefix(l, prefix))
			}
			if strings.HasPrefix(l, "DIED") {
				t.Fatalf("client connection died while waiting for %s: %s", prefix, l)
			}
		case <-deadline:
			t.Fatalf("no %s from the client within %v", prefix, timeout)
		}
	}
}

func (c *natClient) send(t *testing.T, cmd string) {
	t.Helper()
	if _, err := fmt.Fprintln(c.stdin, cmd); err != nil {
		t.Fatal(err)
	}
}

func (c *natClient) result(t *testing.T) natResult {
	t.Helper()
	c.send(t, "stop")
	var r natResult
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatal("client exited without a RESULT")
			}
			if s, found := strings.CutPrefix(l, "RESULT "); found {
				if err := json.Unmarshal([]byte(s), &r); err != nil {
					t.Fatalf("client result %q: %v", s, err)
				}
				return r
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no RESULT from the client")
		}
	}
}

// TestNATRebindSteered streams from a client behind a NAT whose mapping is
// flushed several times, and then migrates actively to a new socket: with
// steering, the connection survives, and every datagram of it lands on the
// one worker that accepted it. The XDP guard (bpf.Guard, as package
// xdpguard attaches it) is on the server's interface and must pass all of
// it.
func TestNATRebindSteered(t *testing.T) {
	requireNetAdmin(t)
	n := newNATTopology(t, "s")
	stls, _, der := steertest.TLS(t)
	g, err := Listen(Options{Addr: n.serverIP + ":0", Workers: 4, TLS: stls, QUIC: steertest.QUICConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !g.Steered() {
		t.Fatalf("not steered: %s", g.Fallback())
	}
	gd, err := bpf.LoadGuard(n.hostIf, bpf.GuardOptions{Port: uint16(g.Addr().(*net.UDPAddr).Port), CIDLen: CIDLen, CIDPrefix: g.CIDPrefix()})
	if err != nil {
		t.Fatal(err)
	}
	defer gd.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	srv := steertest.ServeEcho(ctx, g)
	before, _, err := g.SteeringCounters()
	if err != nil {
		t.Fatal(err)
	}

	c := startNATClient(t, n, g.Addr().String(), der)
	c.expect(t, "READY", 10*time.Second)
	ports := map[string]bool{}
	note := func() {
		for _, p := range n.mappedPorts(t) {
			ports[p] = true
		}
	}
	note()
	// rebind forgets the NAT's mappings and waits until the client's
	// traffic has made a new one, then lets it run on the new port.
	rebind := func(round int) {
		n.forget(t, round)
		deadline := time.Now().Add(5 * time.Second)
		for {
			fresh := false
			for _, p := range n.mappedPorts(t) {
				if !ports[p] {
					ports[p], fresh = true, true
				}
			}
			if fresh {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no new NAT mapping within 5 s of flush %d (ports so far %v)", round, keys(ports))
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(150 * time.Millisecond)
	}
	const rebinds = 6
	for i := range rebinds {
		rebind(i)
		if i == 3 {
			c.send(t, "migrate")
			c.expect(t, "MIGRATED", 10*time.Second)
			note()
		}
	}
	res := c.result(t)
	if res.Err != "" {
		t.Fatalf("the connection did not survive: %s (stateless reset: %v)", res.Err, res.Reset)
	}
	if res.RoundTrips < 100 {
		t.Errorf("only %d round trips", res.RoundTrips)
	}
	// The NAT really rebound: a new source port after every flush, and one
	// for the migrated path.
	if len(ports) < rebinds+2 {
		t.Errorf("the NAT used %d source ports (%v) over %d flushes and a migration; want a new one each time", len(ports), keys(ports), rebinds)
	}
	after, _, err := g.SteeringCounters()
	if err != nil {
		t.Fatal(err)
	}
	per := g.WorkerConnections()
	worker := -1
	for i, k := range per {
		if k > 0 {
			if worker >= 0 || k != 1 {
				t.Fatalf("connections per worker %v, want exactly one", per)
			}
			worker = i
		}
	}
	for i := range g.Workers() {
		if d := after.Slots[i] - before.Slots[i]; (i == worker) != (d > 0) {
			t.Errorf("worker %d got %d datagrams; the connection is on worker %d", i, d, worker)
		}
	}
	for r := bpf.SteerHashUnknown; r < bpf.NumSteerReasons; r++ {
		if d := after.Reasons[r] - before.Reasons[r]; d != 0 {
			t.Errorf("%d datagrams left to the kernel's hash (%v)", d, r)
		}
	}
	gc, err := gd.Counters()
	if err != nil {
		t.Fatal(err)
	}
	for r := range bpf.NumGuardReasons {
		if r.Drops() && gc[r] != 0 {
			t.Errorf("the guard dropped %d of the client's frames as %v", gc[r], r)
		}
	}
	if gc[bpf.GuardPass] == 0 || gc[bpf.GuardPassNew] == 0 {
		t.Errorf("the guard on %s (%s) saw pass %d, pass_new %d", gd.Interface(), gd.Mode(), gc[bpf.GuardPass], gc[bpf.GuardPassNew])
	}
	// The server's side of the connection followed the client to its
	// newest NAT mapping.
	var first string
	for a := range srv.Workers() {
		first = a
	}
	last := srv.Conns()[0].RemoteAddr().String()
	_, lastPort, _ := net.SplitHostPort(last)
	if last == first || !ports[lastPort] {
		t.Errorf("server sees the client at %s, first at %s; NAT ports %v", last, first, keys(ports))
	}
	t.Logf("%d round trips; NAT ports %v; server saw %s then %s; migrated to %s; worker %d got %d datagrams; guard (%s) passed %d",
		res.RoundTrips, keys(ports), first, last, res.Migrated, worker, after.Slots[worker]-before.Slots[worker], gd.Mode(), gc[bpf.GuardPass])
	cancel()
	srv.Wait()
}

// TestNATRebindUnsteered is the negative control: the same workers on the
// kernel's reuseport hash alone. A rebinding moves the client's 4-tuple,
// the hash picks a worker that does not know the connection, and that
// worker answers with a stateless reset (the keys are shared, so the
// client accepts it). With four workers, each rebinding misses with
// probability 3/4; twelve in a row all hitting is a 6e-8 chance.
func TestNATRebindUnsteered(t *testing.T) {
	requireNetAdmin(t)
	n := newNATTopology(t, "u")
	stls, _, der := steertest.TLS(t)
	g, err := Listen(Options{Addr: n.serverIP + ":0", Workers: 4, NoSteering: true, TLS: stls, QUIC: steertest.QUICConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Steered() || g.Workers() != 4 {
		t.Fatalf("steered %v workers %d", g.Steered(), g.Workers())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	srv := steertest.ServeEcho(ctx, g)

	c := startNATClient(t, n, g.Addr().String(), der)
	c.expect(t, "READY", 10*time.Second)
	time.Sleep(200 * time.Millisecond) // past the handshake's last flights
	rebinds := 0
	for rebinds < 12 && c.died.Load() == nil {
		n.forget(t, rebinds)
		rebinds++
		for range 10 {
			if c.died.Load() != nil {
				break
			}
			time.Sleep(40 * time.Millisecond)
		}
	}
	res := c.result(t)
	if res.Err == "" {
		t.Fatalf("the connection survived %d rebindings without steering (%d round trips)", rebinds, res.RoundTrips)
	}
	if !res.Reset {
		t.Fatalf("the connection ended after %d rebindings and %d round trips, but not by a stateless reset: %s", rebinds, res.RoundTrips, res.Err)
	}
	t.Logf("stateless reset after %d rebindings, %d round trips: %s", rebinds, res.RoundTrips, res.Err)
	cancel()
	srv.Wait()
}

func keys(m map[string]bool) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	return s
}

// natClientMain is the client process: it dials the server from its
// namespace, streams a message every 2 ms on one stream and checks the
// echoes, and obeys "migrate" and "stop" on stdin.
func natClientMain() int {
	fail := func(err error) int { fmt.Println("RESULT", mustJSON(natResult{Err: err.Error()})); return 1 }
	der, err := os.ReadFile(os.Getenv(certEnv))
	if err != nil {
		return fail(err)
	}
	ctls, err := steertest.ClientTLS(der)
	if err != nil {
		return fail(err)
	}
	raddr, err := net.ResolveUDPAddr("udp4", os.Getenv(addrEnv))
	if err != nil {
		return fail(err)
	}
	udp, err := net.ListenUDP("udp4", nil)
	if err != nil {
		return fail(err)
	}
	tr := &quic.Transport{Conn: udp}
	defer tr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	conn, err := tr.Dial(ctx, raddr, ctls, steertest.QUICConfig())
	cancel()
	if err != nil {
		return fail(fmt.Errorf("dial: %w", err))
	}
	e, err := steertest.NewEchoClient(context.Background(), conn)
	if err == nil {
		err = e.RoundTrip(5 * time.Second)
	}
	if err != nil {
		return fail(err)
	}
	fmt.Println("READY", udp.LocalAddr())

	// The writer sends a message every 2 ms whether or not echoes come
	// back, as a vehicle streaming measurements does, so that every NAT
	// flush is followed at once by a datagram that makes a new mapping.
	// The reader checks that every echo comes back, in order.
	var mu sync.Mutex
	var res natResult
	res.RoundTrips = e.Next()
	var sent atomic.Uint64
	sent.Store(e.Next())
	died := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if res.Err != "" {
			return
		}
		res.Err, res.Reset = err.Error(), isStatelessReset(err) || isStatelessReset(context.Cause(conn.Context()))
		fmt.Printf("DIED reset=%v %s\n", res.Reset, err)
	}
	stop := make(chan struct{})
	wdone, rdone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(wdone)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		var b [256]byte
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			binary.BigEndian.PutUint64(b[:], sent.Load())
			e.Stream().SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := e.Stream().Write(b[:]); err != nil {
				died(fmt.Errorf("write %d: %w", sent.Load(), err))
				return
			}
			sent.Add(1)
		}
	}()
	go func() {
		defer close(rdone)
		var b [256]byte
		for next := e.Next(); ; next++ {
			e.Stream().SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadFull(e.Stream(), b[:]); err != nil {
				select {
				case <-stop:
					if next == sent.Load() {
						return // every echo is in
					}
				default:
				}
				died(fmt.Errorf("echo of %d: %w", next, err))
				return
			}
			if got := binary.BigEndian.Uint64(b[:]); got != next {
				died(fmt.Errorf("echo %d, want %d", got, next))
				return
			}
			mu.Lock()
			res.RoundTrips = next + 1
			mu.Unlock()
			select {
			case <-stop:
				if next+1 == sent.Load() {
					return
				}
			default:
			}
		}
	}()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "migrate":
			addr, err := migrate(conn)
			if err != nil {
				fmt.Println("MIGRATE-FAILED", err)
				continue
			}
			mu.Lock()
			res.Migrated = addr
			mu.Unlock()
			fmt.Println("MIGRATED", addr)
		case "stop":
			close(stop)
			<-wdone
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				mu.Lock()
				all := res.RoundTrips == sent.Load() || res.Err != ""
				mu.Unlock()
				if all {
					break
				}
			}
			e.Stream().CancelRead(0) // unblocks a reader that has every echo
			<-rdone
			conn.CloseWithError(0, "")
			mu.Lock()
			fmt.Println("RESULT", mustJSON(res))
			mu.Unlock()
			return 0
		}
	}
	return 1
}

// migrate moves conn to a new local socket: AddPath, Probe, Switch.
func migrate(conn *quic.Conn) (string, error) {
	udp, err := net.ListenUDP("udp4", nil)
	if err != nil {
		return "", err
	}
	p, err := conn.AddPath(&quic.Transport{Conn: udp})
	if err != nil {
		return "", fmt.Errorf("add path: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Probe(ctx); err != nil {
		return "", fmt.Errorf("probe: %w", err)
	}
	if err := p.Switch(); err != nil {
		return "", fmt.Errorf("switch: %w", err)
	}
	return udp.LocalAddr().String(), nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Package natsproc runs real nats-server processes for tests and
// benchmarks: a cluster of N servers with JetStream on free loopback ports,
// each with its own store directory, that a test can kill, stop and start
// again on the same ports and store.
//
// It needs the nats-server binary (Debian's nats-server package, or any
// build of github.com/nats-io/nats-server/v2): Binary finds it, and
// tests skip when it is missing outside CI (Require). Typical use:
//
//	c := natsproc.Start(t, natsproc.Options{Servers: 3})
//	nc, _ := nats.Connect(c.URL()) // every server's URL, comma-separated
//	c.Kill(1)                      // SIGKILL, as a crash
//	c.Restart(1)                   // same ports, same store
//
// Start waits until every server reports healthy JetStream (its /healthz,
// which in a cluster also requires a known meta leader), and t.Cleanup
// stops the processes. Servers log to files in their directory; a failing
// test's log names them.
package natsproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options says what to start.
type Options struct {
	Servers int    // cluster size; 0: 1 (a single server, no cluster)
	Binary  string // nats-server; "": Binary()
	Dir     string // store and config; "": t.TempDir()
	// Ready bounds Start's and Restart's wait for healthy JetStream;
	// 0: 20 s.
	Ready time.Duration
}

// Binary returns the nats-server to run: $NATS_SERVER if set, else
// nats-server on PATH, else /usr/sbin/nats-server (where Debian's package
// puts it, outside a user's PATH).
func Binary() (string, error) {
	if b := os.Getenv("NATS_SERVER"); b != "" {
		return b, nil
	}
	if b, err := exec.LookPath("nats-server"); err == nil {
		return b, nil
	}
	const deb = "/usr/sbin/nats-server"
	if _, err := os.Stat(deb); err == nil {
		return deb, nil
	}
	return "", errors.New("natsproc: nats-server not found ($NATS_SERVER, PATH, /usr/sbin); apt-get install nats-server")
}

// Require returns the nats-server binary, or skips t when there is none,
// unless $V2X_REQUIRE_NATS or $CI is set: CI installs nats-server
// (.ci/run sets V2X_REQUIRE_NATS), so there a missing binary fails the
// test instead of hiding it.
func Require(t testing.TB) string {
	t.Helper()
	b, err := Binary()
	if err != nil {
		if os.Getenv("V2X_REQUIRE_NATS") != "" || os.Getenv("CI") != "" {
			t.Fatalf("%v (CI must install it: .ci/run)", err)
		}
		t.Skipf("skipping: %v", err)
	}
	return b
}

// Server is one nats-server of a Cluster.
type Server struct {
	Name                    string
	Port, ClusterPort, HTTP int
	dir, conf, logFile      string
	cmd                     *exec.Cmd
	done                    chan struct{} // closed when cmd has exited
}

// URL returns the server's client URL.
func (s *Server) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.Port) }

// Cluster is a set of running nats-server processes.
type Cluster struct {
	bin     string
	ready   time.Duration
	mu      sync.Mutex
	Servers []*Server
}

// Start starts opts.Servers servers and waits until JetStream is healthy
// on each; it fails t if they do not come up. t.Cleanup stops them.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.Binary == "" {
		opts.Binary = Require(t)
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	c, err := StartCluster(opts)
	if c != nil {
		t.Cleanup(c.StopAll)
	}
	if err != nil {
		t.Fatalf("%v", err)
	}
	return c
}

// StartCluster is Start outside tests (v2x-bench -corridor): opts.Dir is
// required, and the caller stops the servers with StopAll (also after an
// error, when the Cluster returned is not nil).
func StartCluster(opts Options) (*Cluster, error) {
	bin := opts.Binary
	if bin == "" {
		b, err := Binary()
		if err != nil {
			return nil, err
		}
		bin = b
	}
	if opts.Dir == "" {
		return nil, errors.New("natsproc: no directory for the servers' stores")
	}
	n := max(opts.Servers, 1)
	dir := opts.Dir
	c := &Cluster{bin: bin, ready: opts.Ready}
	if c.ready == 0 {
		c.ready = 20 * time.Second
	}
	ports, err := freePorts(3 * n)
	if err != nil {
		return nil, fmt.Errorf("natsproc: %w", err)
	}
	for i := range n {
		s := &Server{Name: fmt.Sprintf("n%d", i), Port: ports[3*i], ClusterPort: ports[3*i+1], HTTP: ports[3*i+2]}
		s.dir = filepath.Join(dir, s.Name)
		s.conf = filepath.Join(s.dir, "nats.conf")
		s.logFile = filepath.Join(s.dir, "nats.log")
		c.Servers = append(c.Servers, s)
	}
	for _, s := range c.Servers {
		if err := os.MkdirAll(s.dir, 0o755); err != nil {
			return nil, fmt.Errorf("natsproc: %w", err)
		}
		if err := os.WriteFile(s.conf, []byte(c.config(s)), 0o644); err != nil {
			return nil, fmt.Errorf("natsproc: %w", err)
		}
	}
	for _, s := range c.Servers {
		if err := c.spawn(s); err != nil {
			return c, fmt.Errorf("natsproc: %w", err)
		}
	}
	if err := c.WaitReady(c.Servers...); err != nil {
		return c, fmt.Errorf("natsproc: %w", err)
	}
	return c, nil
}

// config is server s's configuration file: JetStream with its own store,
// and routes to every server of the cluster.
func (c *Cluster) config(s *Server) string {
	var b strings.Builder
	fmt.Fprintf(&b, "server_name: %s\nlisten: 127.0.0.1:%d\nhttp: 127.0.0.1:%d\n", s.Name, s.Port, s.HTTP)
	fmt.Fprintf(&b, "jetstream {\n  store_dir: %q\n  max_memory_store: 64MB\n  max_file_store: 512MB\n}\n", filepath.Join(s.dir, "js"))
	if len(c.Servers) > 1 {
		var routes []string
		for _, o := range c.Servers {
			routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", o.ClusterPort))
		}
		fmt.Fprintf(&b, "cluster {\n  name: v2x\n  listen: 127.0.0.1:%d\n  routes: [%s]\n}\n", s.ClusterPort, strings.Join(routes, ", "))
	}
	return b.String()
}

// URL returns every server's client URL, comma-separated, as nats.Connect
// and v2x-edge -nats take them.
func (c *Cluster) URL() string {
	var us []string
	for _, s := range c.Servers {
		us = append(us, s.URL())
	}
	return strings.Join(us, ",")
}

func (c *Cluster) spawn(s *Server) error {
	lf, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(c.bin, "-c", s.conf)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = dieWithParent() // never outlive the test (Linux)
	if err := cmd.Start(); err != nil {
		lf.Close()
		return fmt.Errorf("start %s: %w", s.Name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); lf.Close(); close(done) }()
	c.mu.Lock()
	s.cmd, s.done = cmd, done
	c.mu.Unlock()
	return nil
}

// WaitReady waits until each of servers answers /healthz with JetStream
// healthy, up to Options.Ready.
func (c *Cluster) WaitReady(servers ...*Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.ready)
	defer cancel()
	hc := &http.Client{Timeout: time.Second}
	for _, s := range servers {
		url := fmt.Sprintf("http://127.0.0.1:%d/healthz", s.HTTP)
		for {
			resp, err := hc.Get(url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("server %s not healthy within %v (log %s)", s.Name, c.ready, s.logFile)
			case <-s.done:
				return fmt.Errorf("server %s exited (log %s)", s.Name, s.logFile)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// Kill kills server i with SIGKILL (a crash) and waits for it to exit.
func (c *Cluster) Kill(i int) { c.signal(c.Servers[i], syscall.SIGKILL) }

// Stop stops server i with SIGTERM (a clean shutdown) and waits for it,
// killing it after 5 s.
func (c *Cluster) Stop(i int) { c.signal(c.Servers[i], syscall.SIGTERM) }

func (c *Cluster) signal(s *Server, sig syscall.Signal) {
	c.mu.Lock()
	cmd, done := s.cmd, s.done
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	c.mu.Lock()
	s.cmd = nil
	c.mu.Unlock()
}

// Restart starts server i again (after Kill or Stop) on its ports with
// its store, and waits until it is healthy.
func (c *Cluster) Restart(i int) error {
	s := c.Servers[i]
	if err := c.spawn(s); err != nil {
		return err
	}
	return c.WaitReady(s)
}

// StopAll stops every server (SIGTERM, then SIGKILL after 5 s).
func (c *Cluster) StopAll() {
	var wg sync.WaitGroup
	for _, s := range c.Servers {
		wg.Add(1)
		go func() { defer wg.Done(); c.signal(s, syscall.SIGTERM) }()
	}
	wg.Wait()
}

// StartAll starts every stopped server again and waits until all are
// healthy (a cluster needs a quorum before any reports healthy, so they
// start together).
func (c *Cluster) StartAll() error {
	for _, s := range c.Servers {
		c.mu.Lock()
		running := s.cmd != nil
		c.mu.Unlock()
		if !running {
			if err := c.spawn(s); err != nil {
				return err
			}
		}
	}
	return c.WaitReady(c.Servers...)
}

// freePorts returns n distinct free TCP ports on loopback. They are free
// when asked for; a server binding them later may in rare cases race
// another process.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Package natspeer runs a real nats-server for v2x-bench's NATS peer: the
// Go-native broker a user would otherwise pick to fan a state stream out.
package natspeer

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/v2x-edge/v2x-edge/internal/debbin"
)

// Server is a nats-server process listening on a free loopback port.
type Server struct {
	Addr string // host:port of its client listener
	URL  string // nats://Addr
	cmd  *exec.Cmd
	done chan error
}

// Find returns the nats-server binary's path, or "" when it is not
// installed.
func Find() string { return debbin.Find("nats-server") }

// Ensure returns the nats-server binary, installing Debian's nats-server
// package with apt-get when it is missing (which needs root).
func Ensure(ctx context.Context) (string, error) {
	return debbin.Ensure(ctx, "nats-server", "nats-server")
}

// Start starts nats-server bin on a free loopback port, logging to a file
// in dir, with env added to its environment, and waits until it accepts
// connections. No authentication, no JetStream: core NATS
// publish/subscribe at most once, as the MQTT peer runs at QoS 0.
func Start(bin, dir string, env ...string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("nats-server: free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s := &Server{Addr: addr, URL: "nats://" + addr, done: make(chan error, 1)}
	s.cmd = exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-l", filepath.Join(dir, "nats-server.log"))
	s.cmd.Stderr = os.Stderr
	s.cmd.Env = append(os.Environ(), env...)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("nats-server: start: %w", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("nats-server exited at start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("nats-server: not accepting on %s after 5 s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Pid returns the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop ends the server.
func (s *Server) Stop() {
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(3 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

package mqtt

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

// Broker is a Mosquitto broker started for a benchmark run, listening on a
// free loopback port.
type Broker struct {
	Addr string
	cmd  *exec.Cmd
	done chan error
}

// FindMosquitto returns the broker binary's path, or "" when it is not
// installed.
func FindMosquitto() string { return debbin.Find("mosquitto") }

// EnsureMosquitto returns the broker binary, installing Debian's mosquitto
// package with apt-get when it is missing (which needs root).
func EnsureMosquitto(ctx context.Context) (string, error) {
	return debbin.Ensure(ctx, "mosquitto", "mosquitto")
}

// StartMosquitto starts the broker bin on a free loopback port with a
// configuration written to dir, and waits until it accepts connections.
func StartMosquitto(bin, dir string) (*Broker, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mosquitto: free port: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	return StartMosquittoOn(bin, dir, addr)
}

// StartMosquittoOn is StartMosquitto on the loopback address addr
// (127.0.0.1:PORT), for a broker that comes back where it was.
func StartMosquittoOn(bin, dir, addr string) (*Broker, error) {
	return start(bin, dir, addr, nil)
}

// SecureListener is a second listener of a test broker, with TLS and
// passwords, for tests of a client's TLS and credentials; the first
// listener stays open to anonymous clients.
type SecureListener struct {
	CA, Cert, Key      string // PEM files: cafile, certfile, keyfile
	RequireCertificate bool   // clients must present a certificate signed by CA
	PasswordFile       string // a mosquitto_passwd file; "": no passwords
	Addr               string // set by StartMosquittoSecure: 127.0.0.1:PORT
}

// StartMosquittoSecure starts a broker with an anonymous listener on a free
// loopback port (Broker.Addr) and the secure listener l on another
// (l.Addr).
func StartMosquittoSecure(bin, dir string, l *SecureListener) (*Broker, error) {
	// Both ports are held until both are chosen (so that they differ),
	// then freed for the broker.
	var lns []net.Listener
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, o := range lns {
				o.Close()
			}
			return nil, fmt.Errorf("mosquitto: free port: %w", err)
		}
		lns = append(lns, ln)
	}
	addr := lns[0].Addr().String()
	l.Addr = lns[1].Addr().String()
	for _, ln := range lns {
		ln.Close()
	}
	return start(bin, dir, addr, l)
}

func start(bin, dir, addr string, secure *SecureListener) (*Broker, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("mosquitto: %w", err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		return nil, fmt.Errorf("mosquitto: port %q: %w", ps, err)
	}
	conf := filepath.Join(dir, "mosquitto.conf")
	// No persistence, no per-client queue limit below what a 10 s run at
	// 20 Hz needs, QoS 0 throughout; TCP_NODELAY on its sockets, as the
	// relay and the subscribers have (Go sets it), so Nagle does not hold
	// back its small messages.
	text := "per_listener_settings true\npersistence false\nmax_queued_messages 1000\nset_tcp_nodelay true\nlog_dest stderr\nlog_type error\n" +
		"listener " + strconv.Itoa(port) + " " + host + "\nallow_anonymous true\nmax_connections -1\n"
	if secure != nil {
		sh, sp, _ := net.SplitHostPort(secure.Addr)
		text += "listener " + sp + " " + sh + "\ncafile " + secure.CA + "\ncertfile " + secure.Cert + "\nkeyfile " + secure.Key +
			"\nrequire_certificate " + strconv.FormatBool(secure.RequireCertificate) + "\nmax_connections -1\n"
		if os.Geteuid() == 0 {
			// Run as root, Mosquitto drops to user mosquitto before it
			// reads the password file, which lies in a test's
			// directory only root may read: it stays root.
			text = "user root\n" + text
		}
		if secure.PasswordFile != "" {
			text += "allow_anonymous false\npassword_file " + secure.PasswordFile + "\n"
		} else {
			text += "allow_anonymous true\n"
		}
	}
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return nil, fmt.Errorf("mosquitto: %w", err)
	}
	b := &Broker{Addr: net.JoinHostPort(host, strconv.Itoa(port)), done: make(chan error, 1)}
	b.cmd = exec.Command(bin, "-c", conf)
	b.cmd.Stderr = os.Stderr
	if err := b.cmd.Start(); err != nil {
		return nil, fmt.Errorf("mosquitto: start: %w", err)
	}
	go func() { b.done <- b.cmd.Wait() }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", b.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return b, nil
		}
		select {
		case err := <-b.done:
			return nil, fmt.Errorf("mosquitto exited at start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			b.Stop()
			return nil, fmt.Errorf("mosquitto: not accepting on %s after 5 s", b.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Pid returns the broker's process id.
func (b *Broker) Pid() int { return b.cmd.Process.Pid }

// Stop ends the broker.
func (b *Broker) Stop() {
	b.cmd.Process.Signal(os.Interrupt)
	select {
	case <-b.done:
	case <-time.After(3 * time.Second):
		b.cmd.Process.Kill()
		<-b.done
	}
}

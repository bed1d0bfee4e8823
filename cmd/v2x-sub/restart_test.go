package main

// Process-level contract: v2x-sub and v2x-sim outlive a node that is
// killed with -9 and started again on the same port; v2x-sub exits at once
// on flags the node would reject.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/cmd/internal/cmdtest"
)

func build(t *testing.T) string {
	t.Helper()
	return cmdtest.Build(t, "github.com/v2x-edge/v2x-edge/cmd/v2x-edge", "github.com/v2x-edge/v2x-edge/cmd/v2x-sim", "github.com/v2x-edge/v2x-edge/cmd/v2x-sub")
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	return cmdtest.FreePort(t, network)
}

// syncBuffer is a bytes.Buffer safe for a process's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start starts a command whose output goes to out; it is killed at
// cleanup if still running.
func start(t *testing.T, out io.Writer, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// framesReceived returns the node's count of BSM frames received, from
// its metrics, or -1 if they cannot be read.
func framesReceived(httpAddr string) int {
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^v2x_frames_received_total\{type="bsm"\} (\S+)$`).FindSubmatch(b)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return int(v)
}

// TestRestartedNodeResumes kills the node with -9 while v2x-sim feeds it
// and v2x-sub watches, and starts it again on the same port and data
// directory: within 5 s, v2x-sub prints states again, with sequence
// numbers above the old run's, and the new node receives v2x-sim's
// frames, without either command being restarted.
func TestRestartedNodeResumes(t *testing.T) {
	bin := build(t)
	quicAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "udp"))
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))
	data := filepath.Join(t.TempDir(), "data")
	ca := filepath.Join(data, "ca.pem")
	edgeArgs := []string{"-listen", quicAddr, "-http", httpAddr, "-data", data}
	var edgeOut syncBuffer
	node := start(t, &edgeOut, filepath.Join(bin, "v2x-edge"), edgeArgs...)
	waitFor(t, 10*time.Second, "the node's metrics", func() bool { return framesReceived(httpAddr) >= 0 }, &edgeOut)

	var simOut syncBuffer
	sim := start(t, &simOut, filepath.Join(bin, "v2x-sim"), "-edge", quicAddr, "-ca", ca)
	pr, pw := io.Pipe()
	var subErr syncBuffer
	sub := exec.Command(filepath.Join(bin, "v2x-sub"), "-edge", quicAddr, "-ca", ca, "-json")
	sub.Stdout, sub.Stderr = pw, &subErr
	if err := sub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Process.Kill(); sub.Wait(); pw.Close() })
	seqs := make(chan uint64, 1<<16)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<22)
		for sc.Scan() {
			var l struct {
				Seq     uint64            `json:"seq"`
				Objects []json.RawMessage `json:"objects"`
			}
			if json.Unmarshal(sc.Bytes(), &l) == nil && len(l.Objects) > 0 {
				select {
				case seqs <- l.Seq:
				default:
				}
			}
		}
	}()
	// nextSeq waits for v2x-sub's next state with objects.
	nextSeq := func(within time.Duration, what string) uint64 {
		t.Helper()
		select {
		case s := <-seqs:
			return s
		case <-time.After(within):
			t.Fatalf("%s: v2x-sub printed no state with objects within %v\nv2x-sub: %s\nv2x-sim: %s\nv2x-edge: %s",
				what, within, subErr.String(), simOut.String(), edgeOut.String())
			return 0
		}
	}
	nextSeq(15*time.Second, "first run")
	waitFor(t, 5*time.Second, "BSMs at the first node", func() bool { return framesReceived(httpAddr) > 0 }, &edgeOut)
	time.Sleep(500 * time.Millisecond)

	if err := node.Process.Kill(); err != nil { // SIGKILL: no CONNECTION_CLOSE goes out
		t.Fatal(err)
	}
	node.Wait()
	var old uint64
	for drained := false; !drained; { // the old run's last state
		select {
		case s := <-seqs:
			old = max(old, s)
		default:
			drained = true
		}
	}
	restarted := time.Now()
	var edgeOut2 syncBuffer
	start(t, &edgeOut2, filepath.Join(bin, "v2x-edge"), edgeArgs...)
	for {
		s := nextSeq(time.Until(restarted.Add(5*time.Second)), "after kill -9 and restart")
		if s > old {
			break
		}
	}
	waitFor(t, time.Until(restarted.Add(5*time.Second)), "v2x-sim's BSMs at the restarted node", func() bool { return framesReceived(httpAddr) > 0 }, &edgeOut2)
	t.Logf("resumed %v after the restart", time.Since(restarted).Round(time.Millisecond))
	for _, c := range []*exec.Cmd{sim, sub} {
		if c.ProcessState != nil {
			t.Errorf("%s exited: %v", c.Path, c.ProcessState)
		}
	}
}

func waitFor(t *testing.T, within time.Duration, what string, ok func() bool, out *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v\n%s", what, within, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRejectedFlagsExit: flags the node would reject make v2x-sub exit
// non-zero at once, naming the flag, before it dials (nothing listens at
// the address).
func TestRejectedFlagsExit(t *testing.T) {
	bin := build(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t, "udp"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-radius", "-5"}, "-radius"},
		{[]string{"-rate", "-1"}, "-rate"},
		{[]string{"-duration", "-1s"}, "-duration"},
	} {
		cmd := exec.Command(filepath.Join(bin, "v2x-sub"), append([]string{"-edge", addr, "-ca", os.DevNull}, c.args...)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		begin := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(out.String(), c.want) {
				t.Errorf("%q: exit %v, output %q; want non-zero naming %s", c.args, err, out.String(), c.want)
			}
			if took := time.Since(begin); took > 5*time.Second {
				t.Errorf("%q: exited after %v", c.args, took)
			}
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			t.Errorf("%q: still running after 5 s", c.args)
		}
	}
}

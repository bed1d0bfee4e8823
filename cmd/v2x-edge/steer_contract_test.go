package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestContractWorkersAndXDP runs `v2x-edge -workers 2 -xdp-iface lo` with
// the demo feed and a subscriber on loopback, and reads the steering and
// guard counters off /metrics.
func TestContractWorkersAndXDP(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_BPF and CAP_NET_ADMIN) for -workers > 1 and -xdp-iface")
	}
	bin := buildCommands(t)
	addr, httpAddr, data := startEdge(t, bin, "-demo", "-workers", "2", "-xdp-iface", "lo")
	if lines := runSub(t, bin, addr, data, "-duration", "2s"); len(lines) < 5 {
		t.Fatalf("v2x-sub got %d updates in 2 s through the steered workers", len(lines))
	}
	body := get(t, "http://"+httpAddr+"/metrics")
	for series, want := range map[string]float64{
		"v2x_steer_workers": 2, "v2x_steer_enabled": 1, `v2x_xdp_attached{iface="lo",mode="generic"}`: 1,
	} {
		if got := metricValue(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	// The demo feed and the subscriber are two connections: two new flows
	// through the guard and the steering program, then steering by id.
	for _, series := range []string{
		`v2x_steer_decisions_total{reason="cid"}`, `v2x_steer_decisions_total{reason="new_flow"}`,
		`v2x_xdp_packets_total{reason="pass",verdict="pass"}`, `v2x_xdp_packets_total{reason="pass_new",verdict="pass"}`,
	} {
		if got := metricValue(t, body, series); got < 1 {
			t.Errorf("%s = %v, want > 0", series, got)
		}
	}
	for _, series := range []string{`v2x_steer_decisions_total{reason="hash_unknown_cid"}`, `v2x_xdp_packets_total{reason="short_initial",verdict="drop"}`} {
		if got := metricValue(t, body, series); got != 0 {
			t.Errorf("%s = %v, want 0 for a well-behaved feed", series, got)
		}
	}
	conns := metricValue(t, body, `v2x_steer_worker_connections_total{worker="0"}`) + metricValue(t, body, `v2x_steer_worker_connections_total{worker="1"}`)
	if conns < 2 {
		t.Errorf("workers accepted %v connections, want the feed's and the subscriber's", conns)
	}
	if !strings.Contains(body, "v2x_steer_worker_packets_total{worker=\"1\"}") {
		t.Error("no per-worker packet counter for worker 1")
	}
}

// refusedStart runs v2x-edge on quicAddr, which another process serves,
// and wants it to exit non-zero within 5 s naming the port.
func refusedStart(t *testing.T, bin, quicAddr string, extra ...string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(quicAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	args := append([]string{"-listen", quicAddr, "-http", "", "-data", filepath.Join(t.TempDir(), "other")}, extra...)
	out, err := exec.CommandContext(ctx, filepath.Join(bin, "v2x-edge"), args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("v2x-edge %v still running after 5 s on a served port\n%s", extra, out)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(string(out), "UDP port "+port+" is already in use") {
		t.Errorf("v2x-edge %v on a served port: %v\n%s\nwant a non-zero exit naming UDP port %s", extra, err, out, port)
	}
}

// TestContractSecondNodeRefused starts two nodes on one port: the second
// exits non-zero within 5 s naming the port, and the first serves every
// new connection (a subscriber trusting the first node's CA each time).
// It used to start with steering on, join the first node's reuseport
// group and take its new connections, which then failed with "unknown
// authority".
func TestContractSecondNodeRefused(t *testing.T) {
	bin := buildCommands(t)
	for _, c := range []struct {
		name  string
		flags []string
	}{{"default workers", nil}, {"one worker", []string{"-workers", "1"}}, {"two workers", []string{"-workers", "2"}}} {
		t.Run(c.name, func(t *testing.T) {
			addr, httpAddr, data := startEdge(t, bin, append([]string{"-demo"}, c.flags...)...)
			waitHTTP(t, "http://"+httpAddr)
			for _, second := range [][]string{c.flags, {"-workers", "1"}, {"-workers", "2"}} {
				refusedStart(t, bin, addr, second...)
			}
			for i := range 4 {
				if lines := runSub(t, bin, addr, data, "-duration", "1s"); len(lines) == 0 {
					t.Errorf("subscriber %d got no updates from the first node", i)
				}
			}
		})
	}
}

// TestContractPortHeldByPlainSocket: a port another process holds with a
// plain UDP socket is refused, with steering on or off.
func TestContractPortHeldByPlainSocket(t *testing.T) {
	bin := buildCommands(t)
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, flags := range [][]string{nil, {"-workers", "1"}, {"-workers", "2"}} {
		refusedStart(t, bin, c.LocalAddr().String(), flags...)
	}
}

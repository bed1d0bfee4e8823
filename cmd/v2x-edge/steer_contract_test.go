package main

import (
	"os"
	"strings"
	"testing"
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

package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/devca"
)

func TestConsecutivePorts(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want []string
	}{
		{"127.0.0.1:4433", 3, []string{"127.0.0.1:4433", "127.0.0.1:4434", "127.0.0.1:4435"}},
		{"[::1]:9000", 2, []string{"[::1]:9000", "[::1]:9001"}},
		{"127.0.0.1:65535", 2, nil},
		{"nohost", 2, nil},
	} {
		got, err := consecutivePorts(c.in, c.n)
		if (err != nil) != (c.want == nil) || !slices.Equal(got, c.want) {
			t.Errorf("consecutivePorts(%q, %d) = %v, %v; want %v", c.in, c.n, got, err, c.want)
		}
	}
}

// TestCorridorE2E feeds three running nodes (each with its own
// development CA, no NATS: no handover) from a corridor and checks the
// judgement line: every node judged, the fields of the contract there.
func TestCorridorE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 8 s")
	}
	var addrs, cas []string
	for range 3 {
		cfg := edge.DefaultConfig()
		cfg.Listen, cfg.HTTP, cfg.DataDir = "127.0.0.1:0", "", t.TempDir()
		n, err := edge.New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		addrs = append(addrs, n.Addr().String())
		cas = append(cas, filepath.Join(cfg.DataDir, devca.CAFile))
	}
	var stdout, stderr bytes.Buffer
	err := run([]string{"-corridor", "3", "-spacing", "250m", "-edge", strings.Join(addrs, ","), "-ca", strings.Join(cas, ","),
		"-evaluate", "-duration", "8s", "-log-level", "warn"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var r struct {
		Nodes []struct {
			Node   string  `json:"node"`
			MOTA   float64 `json:"mota"`
			Frames int     `json:"frames_sent"`
		} `json:"nodes"`
		Continuity *float64 `json:"handover_continuity"`
		Latency    *float64 `json:"handover_latency_ms"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%q: %v", stdout.String(), err)
	}
	if len(r.Nodes) != 3 || r.Continuity == nil || r.Latency == nil {
		t.Fatalf("want 3 nodes, handover_continuity and handover_latency_ms: %s", stdout.String())
	}
	for _, n := range r.Nodes {
		if n.Frames == 0 || n.MOTA < 0.8 {
			t.Errorf("node %s: %d frames sent, MOTA %v; want frames and MOTA 0.8 or more", n.Node, n.Frames, n.MOTA)
		}
	}
}

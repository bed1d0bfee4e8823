package main

import (
	"bufio"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/internal/natsproc"
)

// TestSubOverNATS: two v2x-edge -demo nodes publish to a three-server
// NATS cluster; v2x-sub -nats -subject 'v2x.*.*.state' prints JSON
// lines of both, each with its node_id, and keeps printing both after one
// NATS server is killed.
func TestSubOverNATS(t *testing.T) {
	bin := build(t)
	c := natsproc.Start(t, natsproc.Options{Servers: 3})
	for _, id := range []string{"a", "b"} {
		var out syncBuffer
		start(t, &out, filepath.Join(bin, "v2x-edge"), "-demo", "-listen", "127.0.0.1:0", "-http", "", "-data", t.TempDir(),
			"-nats", c.URL(), "-node-id", id, "-region", "r1", "-nats-replicas", "3")
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("v2x-edge %s: %s", id, out.String())
			}
		})
	}
	var out syncBuffer
	sub := start(t, &out, filepath.Join(bin, "v2x-sub"), "-nats", c.URL(), "-subject", "v2x.*.*.state", "-json")

	// seen waits until both nodes' states with objects appear in lines
	// printed after from bytes of output; it returns the output's length.
	seen := func(from int, d time.Duration) int {
		t.Helper()
		deadline := time.Now().Add(d)
		for {
			s := out.String()
			got := map[string]bool{}
			sc := bufio.NewScanner(strings.NewReader(s[from:]))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var l struct {
					NodeID  string `json:"node_id"`
					Region  string `json:"region"`
					Seq     uint64 `json:"seq"`
					Objects []struct {
						ID uint32 `json:"id"`
					} `json:"objects"`
				}
				if json.Unmarshal(sc.Bytes(), &l) == nil && l.Region == "r1" && l.Seq > 0 && len(l.Objects) > 0 {
					got[l.NodeID] = true
				}
			}
			if got["a"] && got["b"] {
				return len(s)
			}
			if time.Now().After(deadline) {
				t.Fatalf("within %v: states with objects from %v, want a and b\nv2x-sub: %.2000s", d, got, s[from:])
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	n := seen(0, 20*time.Second)
	c.Kill(0)
	time.Sleep(time.Second)
	seen(n, 10*time.Second)
	if sub.ProcessState != nil {
		t.Fatalf("v2x-sub exited: %s", out.String())
	}
}

package main

// The command contract from issue 4 and the README, run against the real
// binary: v2x-bench -subs N -duration D -peer mosquitto,nats ends with one
// JSON line carrying the agreed fields, with figures that are measurements.

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/bench/mqtt"
	"github.com/v2x-edge/v2x-edge/bench/natspeer"
)

func TestBenchContract(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs v2x-bench; skipped with -short")
	}
	var peers []string
	if mqtt.FindMosquitto() != "" || os.Geteuid() == 0 {
		peers = append(peers, "mosquitto")
	} else {
		t.Log("mosquitto is not installed and installing it needs root: running without it")
	}
	if natspeer.Find() != "" || os.Geteuid() == 0 {
		peers = append(peers, "nats")
	} else {
		t.Log("nats-server is not installed and installing it needs root: running without it")
	}
	peer, peerFlag := "none", "none"
	if len(peers) > 0 {
		peer, peerFlag = peers[0], strings.Join(peers, ",")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "v2x-bench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "results")
	cmd := exec.Command(bin, "-subs", "4", "-duration", "2s", "-warmup", "500ms", "-peer", peerFlag, "-out", out)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("v2x-bench: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := lines[len(lines)-1]
	var r map[string]any
	if err := json.Unmarshal([]byte(last), &r); err != nil {
		t.Fatalf("last line is not JSON: %q (%v)", last, err)
	}
	for _, k := range []string{"subs", "samples", "p50_us", "p99_us", "p999_us", "fanout_samples", "fanout_p50_us", "fanout_p99_us", "peer", "bytes_per_update", "raw_bytes_per_update"} {
		if _, ok := r[k]; !ok {
			t.Errorf("result lacks %q: %s", k, last)
		}
	}
	num := func(k string) float64 { f, _ := r[k].(float64); return f }
	if num("subs") != 4 || r["peer"] != peer {
		t.Errorf("subs %v peer %v, want 4 and %s", r["subs"], r["peer"], peer)
	}
	// Four subscribers at 20 Hz for 2 s: about 160 updates.
	if u := num("updates"); u < 80 || u > 200 {
		t.Errorf("%v updates from 4 subscribers at 20 Hz in 2 s", u)
	}
	if !(num("p50_us") > 0 && num("p50_us") <= num("p99_us") && num("p99_us") <= num("p999_us")) {
		t.Errorf("percentiles out of order: %s", last)
	}
	// The fan-out span is part of the end-to-end one.
	if !(num("fanout_p50_us") > 0 && num("fanout_p50_us") <= num("fanout_p99_us") && num("fanout_p50_us") <= num("p50_us")) {
		t.Errorf("fan-out percentiles out of order or above end to end: %s", last)
	}
	if num("samples") != num("updates") || num("fanout_samples") != num("updates") {
		t.Errorf("samples %v, fanout_samples %v, updates %v", r["samples"], r["fanout_samples"], r["updates"])
	}
	ps, _ := r["peers"].([]any)
	if len(ps) != len(peers) {
		t.Fatalf("peers %v, want %v", r["peers"], peers)
	}
	for i, p := range ps {
		pm, _ := p.(map[string]any)
		pnum := func(k string) float64 { v, _ := pm[k].(float64); return v }
		if pm["peer"] != peers[i] || !(pnum("p50_us") > 0 && pnum("p50_us") <= pnum("p99_us") && pnum("p99_us") <= pnum("p999_us")) || pnum("samples") < 40 {
			t.Errorf("peer %d: %v", i, pm)
		}
		if _, ok := pm["cpu_cores"]; !ok {
			t.Errorf("peer %d lacks cpu_cores: %v", i, pm)
		}
	}
	if !(num("bytes_per_update") > 0 && num("bytes_per_update") < num("raw_bytes_per_update")) {
		t.Errorf("packed updates (%v B) not smaller than raw (%v B)", num("bytes_per_update"), num("raw_bytes_per_update"))
	}
	// The transport floors (-floor even,fresh by default): 4 bare
	// connections at 20 Hz for 2 s each.
	for _, k := range []string{"floor", "fresh_floor"} {
		f, _ := r[k].(map[string]any)
		fnum := func(k string) float64 { v, _ := f[k].(float64); return v }
		if !(fnum("p50_us") > 0 && fnum("p50_us") <= fnum("p99_us") && fnum("p99_ratio") > 0) {
			t.Errorf("%s figures missing or out of order: %s", k, last)
		}
		if u := fnum("updates_per_s"); u < 40 || u > 100 {
			t.Errorf("%s delivered %v datagrams/s to 4 connections at 20 Hz", k, u)
		}
	}
	if peer != "none" {
		for _, k := range []string{"peer_p50_us", "peer_p99_us"} {
			if num(k) <= 0 {
				t.Errorf("%s = %v", k, r[k])
			}
		}
		if u := num("peer_updates"); u < 80 || u > 200 {
			t.Errorf("%v updates through %s", u, peer)
		}
	}
	for _, f := range []string{"results.json", "latency.svg"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "latency.svg" && !bytes.Contains(b, []byte("<polyline")) {
			t.Error("latency.svg has no curve")
		}
	}
}

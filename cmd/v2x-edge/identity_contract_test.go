package main

// Identities, roles and revocation, run against the real binaries.

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// issueCert runs `v2x-edge cert issue` and returns the certificate and
// key files.
func issueCert(t *testing.T, bin, data, out, name string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "v2x-edge"), append([]string{"cert", "issue", "-data", data, "-name", name, "-out", out}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("v2x-edge cert issue %s %v: %v\n%s", name, args, err, b)
	}
	cf, kf := filepath.Join(out, name+".pem"), filepath.Join(out, name+"-key.pem")
	for _, f := range []string{cf, kf} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("cert issue did not write %s", f)
		}
	}
	return cf, kf
}

func metricsOf(t *testing.T, httpAddr string) string { return get(t, "http://"+httpAddr+"/metrics") }

// waitMetric polls /metrics until series reaches at least want.
func waitMetric(t *testing.T, httpAddr, series string, want float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if v := metricValue(t, metricsOf(t, httpAddr), series); v >= want {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want >= %v", series, v, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestContractCertIssueErrors(t *testing.T) {
	bin := buildCommands(t)
	data, out := filepath.Join(t.TempDir(), "data"), t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-name", "x", "-role", "admin"}, "unknown role"},
		{[]string{"-name", "x", "-role", "producer"}, "needs -kinds"},
		{[]string{"-name", "x", "-role", "subscriber", "-kinds", "map"}, "only for the producer"},
		{[]string{"-name", "x", "-role", "producer", "-kinds", "truck"}, "unknown source kind"},
		{[]string{"-name", "bad/name", "-role", "subscriber"}, "-name"},
		{[]string{"-name", "x", "-role", "subscriber", "-days", "0"}, "-days"},
		{[]string{"-name", "x", "-role", "producer", "-kinds", "signal", "-intersections", "70000"}, "-intersections"},
		{[]string{"-name", "x", "-role", "producer", "-kinds", "camera", "-intersections", "7"}, "add signal or map"},
	} {
		cmd := exec.Command(filepath.Join(bin, "v2x-edge"), append([]string{"cert", "issue", "-data", data, "-out", out}, c.args...)...)
		b, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(b), c.want) {
			t.Errorf("cert issue %v: %v %s; want a failure saying %q", c.args, err, b, c.want)
		}
	}
}

func TestContractIdentities(t *testing.T) {
	bin := buildCommands(t)
	revoked := filepath.Join(t.TempDir(), "revoked.txt")
	if err := os.WriteFile(revoked, []byte("# revoked identities and serials\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, httpAddr, data, proc := startEdgeProcess(t, bin, "-revoked", revoked)
	ids := t.TempDir()
	viewerCert, viewerKey := issueCert(t, bin, data, ids, "viewer", "-role", "subscriber", "-days", "2")
	camCert, camKey := issueCert(t, bin, data, ids, "cam-1", "-role", "producer", "-kinds", "camera")
	ca := filepath.Join(data, "ca.pem")

	t.Run("no certificate", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, addr, client.Options{CAFile: ca})
		if err == nil {
			defer c.Close()
			_, err = c.Subscribe(ctx, wire.Subscribe{})
		}
		if err == nil || !strings.Contains(err.Error(), "refused this client's certificate") {
			t.Errorf("without a certificate: %v", err)
		}
		waitMetric(t, httpAddr, `v2x_handshake_failures_total{reason="no_certificate"}`, 1)
	})

	t.Run("unknown CA", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other")
		cf, kf := issueCert(t, bin, other, t.TempDir(), "viewer", "-role", "subscriber")
		cmd := exec.Command(filepath.Join(bin, "v2x-sub"), "-edge", addr, "-ca", ca, "-cert", cf, "-key", kf, "-duration", "3s")
		if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "refused this client's certificate") {
			t.Errorf("v2x-sub with a certificate of another CA: %v\n%s", err, b)
		}
		waitMetric(t, httpAddr, `v2x_handshake_failures_total{reason="unknown_ca"}`, 1)
	})

	t.Run("subscriber sends BSMs", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, addr, client.Options{CAFile: ca, CertFile: viewerCert, KeyFile: viewerKey})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		p, err := c.OpenProducer(ctx, clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		b := v2x.BSM{VehicleID: 1, Lat: 22.5431, Lon: 114.0579, Speed: 5, Class: v2x.ClassCar, Length: 4, Width: 2}
		if err := p.SendBSM(1, clock.Now(), &b); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-p.Errors():
			if e == nil || e.Code != wire.CodeForbidden {
				t.Errorf("answer %v, want forbidden", e)
			}
		case <-ctx.Done():
			t.Fatal("no answer to a subscriber's BSM")
		}
		waitMetric(t, httpAddr, `v2x_forbidden_total{kind="vehicle"}`, 1)
		waitMetric(t, httpAddr, `v2x_frames_rejected_total{reason="forbidden"}`, 1)
	})

	t.Run("camera sends SPAT", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		// The simulator sends every kind; with a camera's identity only
		// its object lists get through.
		sim := exec.CommandContext(ctx, filepath.Join(bin, "v2x-sim"), "-edge", addr, "-ca", ca, "-cert", camCert, "-key", camKey, "-duration", "3s")
		var out bytes.Buffer
		sim.Stdout, sim.Stderr = &out, &out
		if err := sim.Run(); err != nil {
			t.Fatalf("v2x-sim: %v\n%s", err, out.String())
		}
		body := metricsOf(t, httpAddr)
		if v := metricValue(t, body, `v2x_forbidden_total{kind="signal"}`); v < 1 {
			t.Errorf("a camera's SPAT frames were not refused: v2x_forbidden_total{kind=\"signal\"} %v", v)
		}
		if v := metricValue(t, body, `v2x_forbidden_total{kind="camera"}`); v != 0 {
			t.Errorf("a camera's object lists were refused: %v", v)
		}
	})

	t.Run("operator endpoints", func(t *testing.T) {
		resp, err := http.Get("http://" + httpAddr + "/xdp/lists")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET /xdp/lists without credentials: %s, want 401 or 403", resp.Status)
		}
		tok, err := os.ReadFile(filepath.Join(data, "operator.token"))
		if err != nil {
			t.Fatal(err)
		}
		status, body := request(t, "GET", "http://"+httpAddr+"/xdp/lists", "", "Authorization", "Bearer "+strings.TrimSpace(string(tok)))
		if status != http.StatusConflict { // past the token; no guard attached
			t.Errorf("GET /xdp/lists with the operator token: %d %s", status, body)
		}
	})

	t.Run("revoked on SIGHUP", func(t *testing.T) {
		sub := exec.Command(filepath.Join(bin, "v2x-sub"), "-edge", addr, "-ca", ca, "-cert", viewerCert, "-key", viewerKey, "-duration", "30s")
		var out bytes.Buffer
		sub.Stdout, sub.Stderr = &out, &out
		if err := sub.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- sub.Wait() }()
		time.Sleep(time.Second)
		if err := os.WriteFile(revoked, []byte("viewer # laptop lost\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := proc.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err == nil || !strings.Contains(out.String(), "revoked") {
				t.Errorf("v2x-sub after its identity was revoked: %v\n%s", err, out.String())
			}
		case <-time.After(10 * time.Second):
			sub.Process.Kill()
			t.Fatalf("v2x-sub still runs 10 s after its identity was revoked\n%s", out.String())
		}
		waitMetric(t, httpAddr, `v2x_revoked_connections_closed_total`, 1)
		again := exec.Command(filepath.Join(bin, "v2x-sub"), "-edge", addr, "-ca", ca, "-cert", viewerCert, "-key", viewerKey, "-duration", "3s")
		if b, err := again.CombinedOutput(); err == nil {
			t.Errorf("a revoked identity subscribed again:\n%s", b)
		}
		waitMetric(t, httpAddr, `v2x_handshake_failures_total{reason="revoked"}`, 1)
	})
}

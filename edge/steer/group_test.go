package steer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/bpf"
	"github.com/v2x-edge/v2x-edge/edge/steer/steertest"
)

func TestGroupSteersConnections(t *testing.T) {
	steertest.RequireRoot(t)
	stls, ctls, _ := steertest.TLS(t)
	g, err := Listen(Options{Addr: "127.0.0.1:0", Workers: 4, Generation: 2, TLS: stls, QUIC: steertest.QUICConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !g.Steered() || g.Workers() != 4 {
		t.Fatalf("steered %v workers %d (fallback %q)", g.Steered(), g.Workers(), g.Fallback())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := steertest.ServeEcho(ctx, g)
	const conns = 16
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, e := steertest.DialEcho(ctx, t, g.Addr(), ctls)
			defer c.CloseWithError(0, "")
			for range 20 {
				if err := e.RoundTrip(3 * time.Second); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	per := g.WorkerConnections()
	var sum uint64
	used := 0
	for _, n := range per {
		sum += n
		if n > 0 {
			used++
		}
	}
	if sum != conns {
		t.Errorf("workers accepted %v, %d in all, want %d", per, sum, conns)
	}
	// 16 connections over 4 workers by a hash of the client's id: all on
	// one or two workers would be a 4 * 2^-16 chance and less.
	if used < 3 {
		t.Errorf("connections on %d workers only: %v", used, per)
	}
	sc, ok, err := g.SteeringCounters()
	if err != nil || !ok {
		t.Fatalf("steering counters: ok %v, %v", ok, err)
	}
	t.Logf("workers accepted %v; steering %v; slot packets %v", per, sc.Reasons, sc.Slots[:4])
	for r := bpf.SteerHashUnknown; r < bpf.NumSteerReasons; r++ {
		if sc.Reasons[r] != 0 {
			t.Errorf("%d datagrams left to the kernel's hash (%v); every one of a QUIC client's should be steered", sc.Reasons[r], r)
		}
	}
	if sc.Reasons[bpf.SteerCID] == 0 || sc.Reasons[bpf.SteerNew] < conns {
		t.Errorf("steering counted %d by id and %d new flows", sc.Reasons[bpf.SteerCID], sc.Reasons[bpf.SteerNew])
	}
	for i, n := range per {
		if (n == 0) != (sc.Slots[i] == 0) {
			t.Errorf("worker %d accepted %d connections but was steered %d datagrams", i, n, sc.Slots[i])
		}
	}
	cancel()
	srv.Wait()
}

func TestGroupCollector(t *testing.T) {
	steertest.RequireRoot(t)
	stls, ctls, _ := steertest.TLS(t)
	g, err := Listen(Options{Addr: "127.0.0.1:0", Workers: 2, TLS: stls, QUIC: steertest.QUICConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	steertest.ServeEcho(ctx, g)
	c, _ := steertest.DialEcho(ctx, t, g.Addr(), ctls)
	c.CloseWithError(0, "")

	reg := prometheus.NewRegistry()
	reg.MustRegister(g.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			name := mf.GetName()
			for _, l := range m.Label {
				name += fmt.Sprintf(",%s=%s", l.GetName(), l.GetValue())
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			got[name] = v
		}
	}
	for _, want := range []string{
		"v2x_steer_workers", "v2x_steer_enabled", "v2x_steer_decisions_total,reason=cid",
		"v2x_steer_decisions_total,reason=new_flow", "v2x_steer_decisions_total,reason=hash_dead_slot",
		"v2x_steer_worker_packets_total,worker=1", "v2x_steer_worker_connections_total,worker=0",
		"v2x_steer_counter_read_errors",
	} {
		if _, ok := got[want]; !ok {
			t.Errorf("no series %s", want)
		}
	}
	if got["v2x_steer_workers"] != 2 || got["v2x_steer_enabled"] != 1 || got["v2x_steer_counter_read_errors"] != 0 {
		t.Errorf("workers %v enabled %v read errors %v", got["v2x_steer_workers"], got["v2x_steer_enabled"], got["v2x_steer_counter_read_errors"])
	}
	for name := range got {
		if strings.HasPrefix(name, "v2x_xdp_") {
			t.Errorf("steering exports the guard's series %s", name)
		}
	}
	if got["v2x_steer_decisions_total,reason=new_flow"] < 1 || got["v2x_steer_decisions_total,reason=cid"] < 1 {
		t.Errorf("steering counted new_flow %v cid %v", got["v2x_steer_decisions_total,reason=new_flow"], got["v2x_steer_decisions_total,reason=cid"])
	}
}

// TestGroupFallsBackWhenRefused stands in for a kernel that refuses the
// program, and for a system that is not Linux (bpf's error there): the
// group serves with one worker and logs one line saying why.
func TestGroupFallsBackWhenRefused(t *testing.T) {
	for _, refused := range []error{
		fmt.Errorf("bpf: load steering program: %w", syscall.EPERM),
		fmt.Errorf("bpf: eBPF steering and the XDP guard need Linux, this is darwin: %w", ebpf.ErrNotSupported),
	} {
		orig := loadSteering
		loadSteering = func(bpf.SteerConfig) (*bpf.Steering, error) { return nil, refused }
		defer func() { loadSteering = orig }()
		var logs bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logs, nil))
		stls, ctls, _ := steertest.TLS(t)
		g, err := Listen(Options{Addr: "127.0.0.1:0", Workers: 4, TLS: stls, QUIC: steertest.QUICConfig(), Log: log})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		checkFallback(t, g.Workers(), g.Steered(), logs.String(), refused.Error())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		steertest.ServeEcho(ctx, g)
		c, _ := steertest.DialEcho(ctx, t, g.Addr(), ctls)
		c.CloseWithError(0, "")
	}
}

func checkFallback(t *testing.T, workers int, steered bool, logs, reason string) {
	t.Helper()
	if workers != 1 || steered {
		t.Errorf("workers %d steered %v, want 1 plain worker", workers, steered)
	}
	var warn []string
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		if strings.Contains(l, `"level":"WARN"`) {
			warn = append(warn, l)
		}
	}
	if len(warn) != 1 || !strings.Contains(warn[0], "serving QUIC with one worker") ||
		!strings.Contains(warn[0], reason) || !strings.Contains(warn[0], "CAP_BPF") {
		t.Errorf("want one warning naming the refusal and the privilege, got %q", warn)
	}
}

// TestGroupFallsBackWithoutCapabilities runs Listen for real in a child
// process that is root but holds no capabilities (setpriv), so the kernel
// itself refuses the programs.
func TestGroupFallsBackWithoutCapabilities(t *testing.T) {
	steertest.RequireRoot(t)
	var res struct {
		Workers int
		Steered bool
		Logs    string
	}
	steertest.RunUnprivileged(t, &res, roleEnv+"=unprivileged")
	checkFallback(t, res.Workers, res.Steered, res.Logs, "operation not permitted")
}

// unprivilegedMain is the child of TestGroupFallsBackWithoutCapabilities.
func unprivilegedMain() int {
	var logs bytes.Buffer
	stls, _, err := steertest.ServerTLS()
	if err != nil {
		fmt.Println("RESULT", strconvQuote(err.Error()))
		return 1
	}
	g, err := Listen(Options{Addr: "127.0.0.1:0", Workers: 4, TLS: stls,
		QUIC: steertest.QUICConfig(), Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		fmt.Println("RESULT", strconvQuote(err.Error()))
		return 1
	}
	defer g.Close()
	b, _ := json.Marshal(map[string]any{"Workers": g.Workers(), "Steered": g.Steered(), "Logs": logs.String()})
	fmt.Printf("RESULT %s\n", b)
	return 0
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestListenRejects(t *testing.T) {
	stls, _, _ := steertest.TLS(t)
	for _, o := range []Options{
		{Addr: "127.0.0.1:0", Workers: 257, TLS: stls},
		{Addr: "127.0.0.1:0", Workers: -1, TLS: stls},
		{Addr: "127.0.0.1:0", Workers: 1, Generation: 7, TLS: stls},
		{Addr: "127.0.0.1:0", Workers: 1},
		{Addr: "no-such-host.invalid:1", Workers: 1, TLS: stls},
	} {
		if g, err := Listen(o); err == nil {
			g.Close()
			t.Errorf("%+v accepted", o)
		}
	}
}

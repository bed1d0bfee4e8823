package xdpguard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/bpf"
	"github.com/v2x-edge/v2x-edge/edge/steer"
	"github.com/v2x-edge/v2x-edge/edge/steer/steertest"
)

// gather registers c alone and returns every series as
// "name,label=value,..." → value.
func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
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
			got[name] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return got
}

// TestCollector attaches the guard to lo in front of a steered group,
// connects through it, and reads the v2x_xdp_* series; they register
// beside the group's v2x_steer_* ones.
func TestCollector(t *testing.T) {
	steertest.RequireRoot(t)
	stls, ctls, _ := steertest.TLS(t)
	grp, err := steer.Listen(steer.Options{Addr: "127.0.0.1:0", Workers: 2, TLS: stls, QUIC: steertest.QUICConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer grp.Close()
	g, err := Attach(grp, Options{Iface: "lo"})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	steertest.ServeEcho(ctx, grp)
	c, _ := steertest.DialEcho(ctx, t, grp.Addr(), ctls)
	c.CloseWithError(0, "")

	if err := prometheus.NewRegistry().Register(multi{grp.Collector(), g.Collector()}); err != nil {
		t.Errorf("the guard's and the group's collectors do not register together: %v", err)
	}
	got := gather(t, g.Collector())
	for _, want := range []string{
		"v2x_xdp_attached,iface=lo,mode=generic", "v2x_xdp_packets_total,reason=pass_new,verdict=pass",
		"v2x_xdp_packets_total,reason=short_initial,verdict=drop", "v2x_xdp_packets_total,reason=rate_global,verdict=drop",
		"v2x_xdp_list_entries,list=allow", "v2x_xdp_counter_read_errors",
		"v2x_xdp_control_requests_total,op=lists,result=ok", "v2x_xdp_reloads_total,result=ok",
	} {
		if _, ok := got[want]; !ok {
			t.Errorf("no series %s", want)
		}
	}
	if got["v2x_xdp_attached,iface=lo,mode=generic"] != 1 || got["v2x_xdp_counter_read_errors"] != 0 {
		t.Errorf("attached %v read errors %v", got["v2x_xdp_attached,iface=lo,mode=generic"], got["v2x_xdp_counter_read_errors"])
	}
	// The handshake went through the guard on lo: one new connection, and
	// the rest of the client's packets as established QUIC.
	if got["v2x_xdp_packets_total,reason=pass_new,verdict=pass"] < 1 || got["v2x_xdp_packets_total,reason=pass,verdict=pass"] < 2 {
		t.Errorf("guard counted pass_new %v pass %v", got["v2x_xdp_packets_total,reason=pass_new,verdict=pass"], got["v2x_xdp_packets_total,reason=pass,verdict=pass"])
	}
}

// TestAttachWithoutIface: no interface, no guard, no log line; the
// series exist as zeros. No privilege needed.
func TestAttachWithoutIface(t *testing.T) {
	var logs bytes.Buffer
	g, err := Attach(listen(t, 1), Options{Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Kernel() != nil || g.Fallback() != "" || logs.Len() != 0 {
		t.Errorf("kernel %v fallback %q logs %q", g.Kernel(), g.Fallback(), logs.String())
	}
	got := gather(t, g.Collector())
	if v, ok := got["v2x_xdp_attached,iface=,mode="]; !ok || v != 0 {
		t.Errorf("v2x_xdp_attached without a guard: %v %v", v, ok)
	}
	if v, ok := got["v2x_xdp_packets_total,reason=deny,verdict=drop"]; !ok || v != 0 {
		t.Errorf("v2x_xdp_packets_total without a guard: %v %v", v, ok)
	}
}

// refuseGuard stands in for a kernel that refuses the guard.
func refuseGuard(t *testing.T) {
	refused := fmt.Errorf("bpf: load guard program: %w", syscall.EPERM)
	orig := loadGuard
	loadGuard = func(string, bpf.GuardOptions) (*bpf.Guard, error) { return nil, refused }
	t.Cleanup(func() { loadGuard = orig })
}

// TestAttachFallsBackWhenRefused: the node serves without a guard and
// logs one line saying why; the control says it too.
func TestAttachFallsBackWhenRefused(t *testing.T) {
	refuseGuard(t)
	var logs bytes.Buffer
	g, err := Attach(listen(t, 1), Options{Iface: "lo", Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	checkFallback(t, g.Kernel() != nil, logs.String(), 1)
	if !strings.Contains(g.Fallback(), "operation not permitted") {
		t.Errorf("fallback %q", g.Fallback())
	}
}

// TestAttachRefusedWhileSteered: a kernel that loads the steering program
// but refuses the guard is a fault to report, not a reason to go on
// unguarded.
func TestAttachRefusedWhileSteered(t *testing.T) {
	steertest.RequireRoot(t)
	grp := listen(t, 2)
	if !grp.Steered() {
		t.Fatalf("not steered: %s", grp.Fallback())
	}
	refuseGuard(t)
	if g, err := Attach(grp, Options{Iface: "lo"}); err == nil || !strings.Contains(err.Error(), "operation not permitted") {
		if err == nil {
			g.Close()
		}
		t.Errorf("Attach: %v, want the refusal", err)
	}
}

// checkFallback wants no guard and, among the WARN lines (the group's
// and the guard's), exactly one about the guard naming the refusal and
// the privilege.
func checkFallback(t *testing.T, guarded bool, logs string, wantWarn int) {
	t.Helper()
	if guarded {
		t.Error("a guard is attached")
	}
	var warn, guard []string
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		if strings.Contains(l, `"level":"WARN"`) {
			warn = append(warn, l)
			if strings.Contains(l, "no XDP guard") {
				guard = append(guard, l)
			}
		}
	}
	if len(warn) != wantWarn || len(guard) != 1 || !strings.Contains(guard[0], "operation not permitted") ||
		!strings.Contains(guard[0], "CAP_NET_ADMIN") || !strings.Contains(guard[0], `"xdp_iface_asked":"lo"`) {
		t.Errorf("want %d warnings, one naming the guard's refusal and the privilege, got %q", wantWarn, warn)
	}
}

// TestAttachFallsBackWithoutCapabilities runs a group and Attach for real
// in a child process that is root but holds no capabilities (setpriv), so
// the kernel itself refuses the programs: steering and the guard each say
// so once.
func TestAttachFallsBackWithoutCapabilities(t *testing.T) {
	steertest.RequireRoot(t)
	for _, workers := range []string{"1", "4"} {
		var res struct {
			Workers int
			Guarded bool
			Logs    string
		}
		steertest.RunUnprivileged(t, &res, roleEnv+"=unprivileged", "V2X_XDPGUARD_TEST_WORKERS="+workers)
		wantWarn := 1
		if workers == "4" {
			wantWarn = 2 // the group's and the guard's
		}
		if res.Workers != 1 {
			t.Errorf("workers=%s: %d workers, want 1", workers, res.Workers)
		}
		checkFallback(t, res.Guarded, res.Logs, wantWarn)
	}
}

// unprivilegedMain is the child of TestAttachFallsBackWithoutCapabilities.
func unprivilegedMain() int {
	fail := func(err error) int { b, _ := json.Marshal(err.Error()); fmt.Printf("RESULT %s\n", b); return 1 }
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	stls, _, err := steertest.ServerTLS()
	if err != nil {
		return fail(err)
	}
	workers := 1
	if os.Getenv("V2X_XDPGUARD_TEST_WORKERS") == "4" {
		workers = 4
	}
	grp, err := steer.Listen(steer.Options{Addr: "127.0.0.1:0", Workers: workers, TLS: stls, QUIC: steertest.QUICConfig(), Log: log})
	if err != nil {
		return fail(err)
	}
	defer grp.Close()
	g, err := Attach(grp, Options{Iface: "lo", Log: log})
	if err != nil {
		return fail(err)
	}
	defer g.Close()
	b, _ := json.Marshal(map[string]any{"Workers": grp.Workers(), "Guarded": g.Kernel() != nil, "Logs": logs.String()})
	fmt.Printf("RESULT %s\n", b)
	return 0
}

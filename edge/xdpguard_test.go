package edge

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/bpf"
	"github.com/v2x-edge/v2x-edge/bpf/bpftest"
	"github.com/v2x-edge/v2x-edge/edge/steer"
	"github.com/v2x-edge/v2x-edge/edge/xdpguard"
)

// call sends one request to the node's HTTP listener, as the operator
// (with the token of the node's operator token file).
func call(t *testing.T, n *Node, method, path, body string) (int, string) {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(n.cfg.DataDir, OperatorTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	return callAs(t, n, "Bearer "+strings.TrimSpace(string(tok)), method, path, body)
}

// callAs sends one request with the Authorization header auth ("": none).
func callAs(t *testing.T, n *Node, auth, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+n.HTTPAddr()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestNodeXDPControlWithoutGuard: a node without -xdp-iface answers the
// control endpoints with 409 and counts them; no privilege needed.
func TestNodeXDPControlWithoutGuard(t *testing.T) {
	n, _ := startNode(t, nil)
	status, body := call(t, n, "POST", "/xdp/deny?prefix=198.51.100.0/24", "")
	if status != http.StatusConflict || !strings.Contains(body, "no xdp guard attached") {
		t.Errorf("POST /xdp/deny without a guard: %d %s", status, body)
	}
	if err := n.ReloadGuard(func() (Config, error) { return DefaultConfig(), nil }); !errors.Is(err, xdpguard.ErrNoGuard) {
		t.Errorf("ReloadGuard without a guard: %v", err)
	}
	_, metrics := call(t, n, "GET", "/metrics", "")
	for _, want := range []string{`v2x_xdp_control_requests_total{op="deny_add",result="no_guard"} 1`,
		`v2x_xdp_list_entries{list="deny"} 0`, `v2x_xdp_reloads_total{result="no_guard"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestNodeXDPControl attaches the guard to a veth pair of its own with
// lists and limits from the configuration, changes them over the node's
// HTTP listener, and judges crafted frames with the attached program.
func TestNodeXDPControl(t *testing.T) {
	iface := bpftest.Veth(t)
	n, _ := startNode(t, func(c *Config) {
		c.XDPIface = iface
		c.XDPDeny = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}
		c.XDPAllow = []netip.Prefix{netip.MustParsePrefix("2001:db8:a11::/64")}
		c.XDPLimits = xdpguard.Limits{PrefixRate: 1, PrefixBurst: 1, GlobalRate: 0, Prefix4: 24, Prefix6: 56}
	})
	gd := n.guard.Kernel()
	if gd == nil || gd.Interface() != iface {
		t.Fatalf("no guard on %s", iface)
	}
	port := uint16(n.Addr().(*net.UDPAddr).Port)
	judge := func(f []byte) bool {
		pass, err := gd.Test(f)
		if err != nil {
			t.Fatal(err)
		}
		return pass
	}
	addr := netip.MustParseAddr
	status, body := call(t, n, "GET", "/xdp/lists", "")
	if want := `{"allow":["2001:db8:a11::/64"],"deny":["198.51.100.0/24"]}`; status != 200 || strings.TrimSpace(body) != want {
		t.Errorf("GET /xdp/lists: %d %s, want %s", status, body, want)
	}
	status, body = call(t, n, "GET", "/xdp/limits", "")
	if want := `{"prefix_rate":1,"prefix_burst":1,"global_rate":0,"global_burst":0,"prefix4":24,"prefix6":56}`; status != 200 || strings.TrimSpace(body) != want {
		t.Errorf("GET /xdp/limits: %d %s, want %s", status, body, want)
	}
	steps := []struct {
		do   string // "METHOD path [body]" first, or ""
		f    []byte
		pass bool
	}{
		{"", bpftest.Short(addr("198.51.100.7"), port, steer.CIDPrefix(0)), false},
		{"", bpftest.Initial(addr("192.0.2.1"), port, 1), true},
		{"", bpftest.Initial(addr("192.0.2.2"), port, 2), false}, // the /24's one token is spent
		{"", bpftest.Initial(addr("2001:db8:a11::9"), port, 3), true},
		{"", bpftest.Initial(addr("2001:db8:a11::9"), port, 4), true}, // allowed: no bucket
		{"POST /xdp/deny?prefix=203.0.113.0/24", bpftest.Short(addr("203.0.113.50"), port, steer.CIDPrefix(0)), false},
		{"DELETE /xdp/deny?prefix=198.51.100.0/24", bpftest.Short(addr("198.51.100.7"), port, steer.CIDPrefix(0)), true},
		{"POST /xdp/allow?prefix=192.0.2.2", bpftest.Initial(addr("192.0.2.2"), port, 5), true},
		{`PUT /xdp/limits {"prefix_rate": 0}`, bpftest.Initial(addr("192.0.2.3"), port, 6), true},
	}
	for i, s := range steps {
		if s.do != "" {
			method, rest, _ := strings.Cut(s.do, " ")
			path, body, _ := strings.Cut(rest, " ")
			if status, answer := call(t, n, method, path, body); status != 200 {
				t.Fatalf("step %d: %s: %d %s", i, s.do, status, answer)
			}
		}
		if got := judge(s.f); got != s.pass {
			t.Errorf("step %d (%s): pass %v, want %v", i, s.do, got, s.pass)
		}
	}
	var lists xdpguard.Lists
	_, body = call(t, n, "GET", "/xdp/lists", "")
	if err := json.Unmarshal([]byte(body), &lists); err != nil || join(lists.Allow) != "192.0.2.2/32 2001:db8:a11::/64" || join(lists.Deny) != "203.0.113.0/24" {
		t.Errorf("lists after the changes: %s (%v)", body, err)
	}
	_, metrics := call(t, n, "GET", "/metrics", "")
	for _, want := range []string{`v2x_xdp_list_entries{list="allow"} 2`, `v2x_xdp_list_entries{list="deny"} 1`,
		`v2x_xdp_control_requests_total{op="deny_add",result="ok"} 1`, `v2x_xdp_control_requests_total{op="limits_set",result="ok"} 1`,
		`v2x_xdp_attached{iface="` + iface + `"`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// ReloadGuard (SIGHUP) puts the configuration's lists and limits back.
	c := DefaultConfig()
	c.XDPDeny = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}
	if err := n.ReloadGuard(func() (Config, error) { return c, nil }); err != nil {
		t.Fatal(err)
	}
	if a, _ := gd.Entries(bpf.Allow); len(a) != 0 {
		t.Errorf("allow list after SetGuard: %v", a)
	}
	if judge(bpftest.Short(addr("198.51.100.7"), port, steer.CIDPrefix(0))) || !judge(bpftest.Short(addr("203.0.113.50"), port, steer.CIDPrefix(0))) {
		t.Error("after SetGuard the deny list is not the configuration's")
	}
	_, body = call(t, n, "GET", "/xdp/limits", "")
	if want := `{"prefix_rate":100,"prefix_burst":200,"global_rate":2000,"global_burst":4000,"prefix4":24,"prefix6":56}`; strings.TrimSpace(body) != want {
		t.Errorf("limits after SetGuard: %s, want %s", body, want)
	}
	bad := DefaultConfig()
	bad.XDPDeny = []netip.Prefix{netip.MustParsePrefix("198.51.100.7/24")}
	if err := n.ReloadGuard(func() (Config, error) { return bad, nil }); err == nil || !strings.Contains(err.Error(), "xdp_deny[0] 198.51.100.7/24") {
		t.Errorf("ReloadGuard with a bad prefix: %v", err)
	}
	if err := n.ReloadGuard(func() (Config, error) { return Config{}, errors.New("config x.json: unexpected EOF") }); err == nil ||
		!errors.Is(err, xdpguard.ErrInvalid) || !strings.Contains(err.Error(), "invalid configuration: config x.json: unexpected EOF") {
		t.Errorf("ReloadGuard with an unreadable file: %v", err)
	}
	if d, _ := gd.Entries(bpf.Deny); join(d) != "198.51.100.0/24" {
		t.Errorf("failed reloads changed the deny list: %v", d)
	}
	_, metrics = call(t, n, "GET", "/metrics", "")
	for _, want := range []string{`v2x_xdp_reloads_total{result="ok"} 1`, `v2x_xdp_reloads_total{result="invalid"} 2`,
		`v2x_xdp_reloads_total{result="error"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bpf/bpftest"
)

// request sends one HTTP request with the given header name, value
// pairs.
func request(t *testing.T, method, url, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// operator is the header that authorises a request to the control
// endpoints: the operator token the node wrote to its data directory.
func operator(t *testing.T, data string) []string {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(data, "operator.token"))
	if err != nil {
		t.Fatal(err)
	}
	return []string{"Authorization", "Bearer " + strings.TrimSpace(string(tok))}
}

// waitHTTP waits until the node's HTTP listener answers /healthz.
func waitHTTP(t *testing.T, base string) {
	t.Helper()
	eventually(t, "/healthz", func() string {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return err.Error()
		}
		resp.Body.Close()
		return ""
	})
}

// eventually polls fn until it returns "" or 10 s pass.
func eventually(t *testing.T, what string, fn func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msg := fn()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestContractXDPControl runs v2x-edge with the guard on a veth pair of
// its own, lists and limits from a config file and flags, changes them
// over HTTP, and reloads the file with SIGHUP.
func TestContractXDPControl(t *testing.T) {
	iface := bpftest.Veth(t)
	bin := buildCommands(t)
	conf := filepath.Join(t.TempDir(), "node.json")
	write := func(s string) {
		if err := os.WriteFile(conf, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"xdp_deny": ["198.51.100.0/24"], "xdp_limits": {"prefix_rate": 50, "prefix_burst": 60}}`)
	_, httpAddr, data, proc := startEdgeProcess(t, bin, "-config", conf, "-workers", "1", "-xdp-iface", iface,
		"-xdp-allow", "192.0.2.1, 2001:db8:a11::/64", "-xdp-global-rate", "500")
	base := "http://" + httpAddr
	waitHTTP(t, base)
	expect := func(method, path, body string, status int, want string) {
		t.Helper()
		if s, b := request(t, method, base+path, body, operator(t, data)...); s != status || b != want {
			t.Errorf("%s %s: %d %s\nwant %d %s", method, path, s, b, status, want)
		}
	}
	expect("GET", "/xdp/lists", "", 200, `{"allow":["192.0.2.1/32","2001:db8:a11::/64"],"deny":["198.51.100.0/24"]}`)
	expect("GET", "/xdp/limits", "", 200, `{"prefix_rate":50,"prefix_burst":60,"global_rate":500,"global_burst":4000,"prefix4":24,"prefix6":56}`)
	expect("POST", "/xdp/deny?prefix=203.0.113.0/24", "", 200, `{"list":"deny","prefix":"203.0.113.0/24","changed":true,"entries":2}`)
	expect("DELETE", "/xdp/allow?prefix=192.0.2.1", "", 200, `{"list":"allow","prefix":"192.0.2.1/32","changed":true,"entries":1}`)
	expect("PUT", "/xdp/limits", `{"global_rate": 0}`, 200, `{"prefix_rate":50,"prefix_burst":60,"global_rate":0,"global_burst":4000,"prefix4":24,"prefix6":56}`)
	expect("POST", "/xdp/deny?prefix=203.0.113.1/24", "", 400, `{"error":"prefix \"203.0.113.1/24\": address has bits set past /24 (the prefix would be 203.0.113.0/24)"}`)

	// SIGHUP: the file's lists and limits again, the flags over them;
	// what HTTP changed is gone.
	write(`{"xdp_deny": ["10.0.0.0/8", "2001:db8:dead::/48"]}`)
	if err := proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reload after SIGHUP", func() string {
		if _, b := request(t, "GET", base+"/xdp/lists", "", operator(t, data)...); b != `{"allow":["192.0.2.1/32","2001:db8:a11::/64"],"deny":["10.0.0.0/8","2001:db8:dead::/48"]}` {
			return "lists " + b
		}
		return ""
	})
	expect("GET", "/xdp/limits", "", 200, `{"prefix_rate":100,"prefix_burst":200,"global_rate":500,"global_burst":4000,"prefix4":24,"prefix6":56}`)

	// A bad file is refused, counted, and changes nothing.
	write(`{"xdp_deny": ["10.0.0.1/8"]}`)
	if err := proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "refused reload counted", func() string {
		if v := metricValue(t, get(t, base+"/metrics"), `v2x_xdp_reloads_total{result="invalid"}`); v != 1 {
			return "v2x_xdp_reloads_total{result=\"invalid\"} is not 1"
		}
		return ""
	})
	expect("GET", "/xdp/lists", "", 200, `{"allow":["192.0.2.1/32","2001:db8:a11::/64"],"deny":["10.0.0.0/8","2001:db8:dead::/48"]}`)
	expect("GET", "/healthz", "", 200, "ok")
	body := get(t, base+"/metrics")
	for series, want := range map[string]float64{
		`v2x_xdp_reloads_total{result="ok"}`: 1, `v2x_xdp_list_entries{list="allow"}`: 2, `v2x_xdp_list_entries{list="deny"}`: 2,
		`v2x_xdp_control_requests_total{op="deny_add",result="ok"}`: 1, `v2x_xdp_control_requests_total{op="deny_add",result="invalid"}`: 1,
		`v2x_xdp_control_requests_total{op="allow_remove",result="ok"}`: 1, `v2x_xdp_control_requests_total{op="limits_set",result="ok"}`: 1,
	} {
		if got := metricValue(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
}

// TestContractXDPWithoutGuard needs no privilege: without -xdp-iface the
// control answers 409, and bad lists on the command line or in the file
// stop the node before it starts, naming the flag or field and the value.
func TestContractXDPWithoutGuard(t *testing.T) {
	bin := buildCommands(t)
	_, httpAddr, data := startEdge(t, bin)
	waitHTTP(t, "http://"+httpAddr)
	s, b := request(t, "GET", "http://"+httpAddr+"/xdp/lists", "", operator(t, data)...)
	if s != http.StatusConflict || !strings.Contains(b, "no xdp guard attached") {
		t.Errorf("GET /xdp/lists without a guard: %d %s", s, b)
	}
	conf := filepath.Join(t.TempDir(), "node.json")
	if err := os.WriteFile(conf, []byte(`{"xdp_limits": {"prefix4": 40}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-xdp-deny", "198.51.100.0/24,10.0.0.1/8"}, `v2x-edge: invalid value "198.51.100.0/24,10.0.0.1/8" for flag -xdp-deny: "10.0.0.1/8": address has bits set past /8 (the prefix would be 10.0.0.0/8)`},
		{[]string{"-xdp-allow", "example.com"}, `v2x-edge: invalid value "example.com" for flag -xdp-allow: "example.com": not an address: `},
		{[]string{"-config", conf}, `xdp_limits: prefix4 40 outside 1..32`},
	} {
		out, err := exec.Command(filepath.Join(bin, "v2x-edge"), append([]string{"-http", "", "-listen", "127.0.0.1:0", "-data", t.TempDir()}, c.args...)...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("v2x-edge %v: %v\n%s\nwant %s", c.args, err, out, c.want)
		}
	}
}

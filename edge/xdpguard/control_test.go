package xdpguard

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/bpf"
	"github.com/v2x-edge/v2x-edge/bpf/bpftest"
	"github.com/v2x-edge/v2x-edge/edge/steer"
	"github.com/v2x-edge/v2x-edge/edge/steer/steertest"
)

const guardTestPort = 4433

// syncBuffer is a log sink the HTTP server's goroutines may write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// controlled is a guard loaded without an interface (judging frames only
// through BPF_PROG_TEST_RUN), with its control served over real HTTP.
type controlled struct {
	gd  *bpf.Guard
	g   *Guard
	srv *httptest.Server
	log *syncBuffer
}

func newControlled(t *testing.T, lim Limits) *controlled {
	t.Helper()
	steertest.RequireRoot(t)
	gd, err := bpf.LoadGuard("", lim.WithDefaults().apply(bpf.GuardOptions{Port: guardTestPort, CIDLen: steer.CIDLen, CIDPrefix: steer.CIDPrefix(0)}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gd.Close() })
	return serveControl(t, gd, "")
}

// serveControl serves the control of a Guard around gd (nil: none
// attached, for the reason fallback).
func serveControl(t *testing.T, gd *bpf.Guard, fallback string) *controlled {
	c := &controlled{gd: gd, log: &syncBuffer{}}
	c.g = newGuard(gd, fallback, slog.New(slog.NewTextHandler(c.log, nil)))
	c.srv = httptest.NewServer(c.g)
	t.Cleanup(c.srv.Close)
	return c
}

// do sends one request and returns the status and the body.
func (c *controlled) do(t *testing.T, method, path, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// lists reads GET /xdp/lists.
func (c *controlled) lists(t *testing.T) Lists {
	t.Helper()
	status, body := c.do(t, "GET", "/xdp/lists", "")
	var l Lists
	if err := json.Unmarshal([]byte(body), &l); status != 200 || err != nil {
		t.Fatalf("GET /xdp/lists: %d %s (%v)", status, body, err)
	}
	return l
}

// limits reads GET /xdp/limits.
func (c *controlled) limits(t *testing.T) Limits {
	t.Helper()
	status, body := c.do(t, "GET", "/xdp/limits", "")
	var l Limits
	if err := json.Unmarshal([]byte(body), &l); status != 200 || err != nil {
		t.Fatalf("GET /xdp/limits: %d %s (%v)", status, body, err)
	}
	return l
}

// verdict runs the guard on f through BPF_PROG_TEST_RUN and returns the
// reason whose counter moved, checking the XDP action agrees.
func verdict(t *testing.T, gd *bpf.Guard, f []byte) bpf.GuardReason {
	t.Helper()
	before, err := gd.Counters()
	if err != nil {
		t.Fatal(err)
	}
	pass, err := gd.Test(f)
	if err != nil {
		t.Fatal(err)
	}
	after, err := gd.Counters()
	if err != nil {
		t.Fatal(err)
	}
	for r := range after {
		if after[r] != before[r] {
			if got := bpf.GuardReason(r); pass != got.Drops() {
				return got
			}
			t.Fatalf("XDP action pass=%v disagrees with the counted reason %v", pass, bpf.GuardReason(r))
		}
	}
	t.Fatal("no counter moved")
	return 0
}

var (
	inDenied  = netip.MustParseAddr("198.51.100.7")
	elsewhere = netip.MustParseAddr("203.0.113.9")
	v6Denied  = netip.MustParseAddr("2001:db8:dead::1")
)

func initial(src netip.Addr, id byte) []byte { return bpftest.Initial(src, guardTestPort, id) }
func short(src netip.Addr) []byte            { return bpftest.Short(src, guardTestPort, steer.CIDPrefix(0)) }

// TestGuardControlDenyList adds and removes deny-list entries over HTTP
// and checks each step on crafted frames run through the program, the
// lists read back from the kernel, the answers, the log and the counters.
func TestGuardControlDenyList(t *testing.T) {
	c := newControlled(t, Limits{})
	type check struct {
		f    []byte
		want bpf.GuardReason
	}
	steps := []struct {
		name, method, path string
		status             int
		answer             string // JSON the answer must equal, after trimming
		deny               []string
		frames             []check
	}{
		{"before", "GET", "/xdp/lists", 200, `{"allow":[],"deny":[]}`, nil,
			[]check{{initial(inDenied, 1), bpf.GuardPassNew}, {short(inDenied), bpf.GuardPass}}},
		{"deny a /24", "POST", "/xdp/deny?prefix=198.51.100.0/24", 200, `{"list":"deny","prefix":"198.51.100.0/24","changed":true,"entries":1}`,
			[]string{"198.51.100.0/24"},
			[]check{{initial(inDenied, 2), bpf.GuardDropDeny}, {short(inDenied), bpf.GuardDropDeny},
				{initial(elsewhere, 3), bpf.GuardPassNew}, {short(elsewhere), bpf.GuardPass}}},
		{"deny it again", "POST", "/xdp/deny?prefix=198.51.100.0/24", 200, `{"list":"deny","prefix":"198.51.100.0/24","changed":false,"entries":1}`,
			[]string{"198.51.100.0/24"}, []check{{short(inDenied), bpf.GuardDropDeny}}},
		{"deny an ipv6 /48", "POST", "/xdp/deny?prefix=2001:db8:dead::/48", 200, `{"list":"deny","prefix":"2001:db8:dead::/48","changed":true,"entries":2}`,
			[]string{"198.51.100.0/24", "2001:db8:dead::/48"},
			[]check{{initial(v6Denied, 4), bpf.GuardDropDeny}, {initial(netip.MustParseAddr("2001:db8:beef::1"), 5), bpf.GuardPassNew}}},
		{"deny a bare address", "POST", "/xdp/deny?prefix=192.0.2.1", 200, `{"list":"deny","prefix":"192.0.2.1/32","changed":true,"entries":3}`,
			[]string{"192.0.2.1/32", "198.51.100.0/24", "2001:db8:dead::/48"},
			[]check{{short(netip.MustParseAddr("192.0.2.1")), bpf.GuardDropDeny}, {short(netip.MustParseAddr("192.0.2.2")), bpf.GuardPass}}},
		{"lift the /24", "DELETE", "/xdp/deny?prefix=198.51.100.0/24", 200, `{"list":"deny","prefix":"198.51.100.0/24","changed":true,"entries":2}`,
			[]string{"192.0.2.1/32", "2001:db8:dead::/48"},
			[]check{{initial(inDenied, 6), bpf.GuardPassNew}, {short(inDenied), bpf.GuardPass}, {initial(v6Denied, 7), bpf.GuardDropDeny}}},
		{"lift it again", "DELETE", "/xdp/deny?prefix=198.51.100.0/24", 200, `{"list":"deny","prefix":"198.51.100.0/24","changed":false,"entries":2}`,
			[]string{"192.0.2.1/32", "2001:db8:dead::/48"}, nil},
	}
	for _, s := range steps {
		status, body := c.do(t, s.method, s.path, "")
		if status != s.status || strings.TrimSpace(body) != s.answer {
			t.Errorf("%s: %s %s answered %d %s, want %d %s", s.name, s.method, s.path, status, body, s.status, s.answer)
		}
		if s.method != "GET" {
			got := c.lists(t)
			if strings.Join(prefixStrings(got.Deny), " ") != strings.Join(s.deny, " ") || len(got.Allow) != 0 {
				t.Errorf("%s: lists read back %+v, want deny %v", s.name, got, s.deny)
			}
		}
		for i, f := range s.frames {
			if got := verdict(t, c.gd, f.f); got != f.want {
				t.Errorf("%s: frame %d: %v, want %v", s.name, i, got, f.want)
			}
		}
	}
	// The lists come from the kernel: an entry the Go API put there shows.
	if err := c.gd.Add(bpf.Allow, netip.MustParsePrefix("10.9.0.0/16")); err != nil {
		t.Fatal(err)
	}
	if got := c.lists(t); strings.Join(prefixStrings(got.Allow), " ") != "10.9.0.0/16" {
		t.Errorf("allow list read back %v, want the entry added through bpf.Guard", got.Allow)
	}
	for _, want := range []string{
		`msg="xdp guard list changed" op=add list=deny prefix=198.51.100.0/24 changed=true entries=1`,
		`msg="xdp guard list changed" op=remove list=deny prefix=198.51.100.0/24 changed=true entries=2`,
	} {
		if !strings.Contains(c.log.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, c.log.String())
		}
	}
	for _, x := range []struct {
		op, result string
		want       float64
	}{{"deny_add", "ok", 4}, {"deny_remove", "ok", 2}, {"lists", "ok", 8}, {"deny_add", "invalid", 0}} {
		if got := testutil.ToFloat64(c.g.reqs.WithLabelValues(x.op, x.result)); got != x.want {
			t.Errorf("v2x_xdp_control_requests_total{op=%q,result=%q} = %v, want %v", x.op, x.result, got, x.want)
		}
	}
	const want = `
# HELP v2x_xdp_list_entries Prefixes on the XDP guard's allow and deny lists (IPv4 and IPv6), read from the kernel at each scrape.
# TYPE v2x_xdp_list_entries gauge
v2x_xdp_list_entries{list="allow"} 1
v2x_xdp_list_entries{list="deny"} 2
`
	if err := testutil.CollectAndCompare(c.g.Collector(), strings.NewReader(want), "v2x_xdp_list_entries"); err != nil {
		t.Error(err)
	}
}

func prefixStrings(ps []netip.Prefix) []string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return s
}

// TestGuardControlAllowAndLimits tightens the limits over HTTP, sees the
// per-prefix bucket run dry, and lets an allow-listed address past it.
func TestGuardControlAllowAndLimits(t *testing.T) {
	c := newControlled(t, Limits{})
	if got := c.limits(t); got != DefaultLimits {
		t.Fatalf("limits at start %+v, want DefaultLimits %+v", got, DefaultLimits)
	}
	// Fields left out keep their values; a rate of 0 turns its limit off.
	status, body := c.do(t, "PUT", "/xdp/limits", `{"prefix_rate": 1, "prefix_burst": 2, "global_rate": 0}`)
	want := Limits{PrefixRate: 1, PrefixBurst: 2, GlobalRate: 0, GlobalBurst: 4000, Prefix4: 24, Prefix6: 56}
	var got Limits
	if err := json.Unmarshal([]byte(body), &got); status != 200 || err != nil || got != want {
		t.Fatalf("PUT /xdp/limits: %d %s, want 200 %+v", status, body, want)
	}
	if got := c.limits(t); got != want {
		t.Errorf("limits read back %+v, want %+v", got, want)
	}
	if !strings.Contains(c.log.String(), `msg="xdp guard limits changed" old="prefix_rate=100 prefix_burst=200 global_rate=2000 global_burst=4000 prefix4=24 prefix6=56" new="prefix_rate=1 prefix_burst=2 global_rate=0`) {
		t.Errorf("limits change not logged:\n%s", c.log.String())
	}
	a, b := netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("198.51.100.8")
	steps := []struct {
		do   string // "METHOD path" before the frame, or ""
		f    []byte
		want bpf.GuardReason
	}{
		{"", initial(a, 1), bpf.GuardPassNew},
		{"", initial(b, 2), bpf.GuardPassNew}, // the /24's burst of 2 spent
		{"", initial(a, 3), bpf.GuardDropRatePrefix},
		{"", short(a), bpf.GuardPass}, // established traffic is not limited
		{"POST /xdp/allow?prefix=198.51.100.7", initial(a, 4), bpf.GuardPassAllow},
		{"", initial(a, 5), bpf.GuardPassAllow},
		{"", initial(b, 6), bpf.GuardDropRatePrefix},
		{"DELETE /xdp/allow?prefix=198.51.100.7/32", initial(a, 7), bpf.GuardDropRatePrefix},
		// Per-prefix off, a global bucket of one token: the first new
		// connection from anywhere passes, the next does not.
		{`PUT /xdp/limits {"prefix_rate": 0, "global_rate": 1, "global_burst": 1}`, initial(a, 8), bpf.GuardPassNew},
		{"", initial(elsewhere, 9), bpf.GuardDropRateGlobal},
		{"POST /xdp/allow?prefix=203.0.113.0/24", initial(elsewhere, 10), bpf.GuardPassAllow},
	}
	for i, s := range steps {
		if s.do != "" {
			method, rest, _ := strings.Cut(s.do, " ")
			path, body, _ := strings.Cut(rest, " ")
			if status, answer := c.do(t, method, path, body); status != 200 {
				t.Fatalf("step %d: %s: %d %s", i, s.do, status, answer)
			}
		}
		if got := verdict(t, c.gd, s.f); got != s.want {
			t.Errorf("step %d (%s): %v, want %v", i, s.do, got, s.want)
		}
	}
	if got := c.lists(t); strings.Join(prefixStrings(got.Allow), " ") != "203.0.113.0/24" || len(got.Deny) != 0 {
		t.Errorf("lists %+v", got)
	}
}

// TestGuardControlRefuses sends bad requests: each is answered with its
// status and reason, counted, and changes nothing.
func TestGuardControlRefuses(t *testing.T) {
	c := newControlled(t, Limits{})
	cases := []struct {
		name, method, path, body string
		header                   []string
		status                   int
		reason                   string
		op, result               string
	}{
		{"no prefix", "POST", "/xdp/deny", "", nil, 400, "give exactly one prefix parameter (got 0)", "deny_add", "invalid"},
		{"two prefixes", "POST", "/xdp/deny?prefix=192.0.2.0/24&prefix=192.0.2.1", "", nil, 400, "exactly one prefix parameter (got 2)", "deny_add", "invalid"},
		{"host bits", "POST", "/xdp/deny?prefix=198.51.100.7/24", "", nil, 400,
			`prefix \"198.51.100.7/24\": address has bits set past /24 (the prefix would be 198.51.100.0/24)`, "deny_add", "invalid"},
		{"bad address", "POST", "/xdp/allow?prefix=10.0.0.300", "", nil, 400, `prefix \"10.0.0.300\": not an address`, "allow_add", "invalid"},
		{"bad length", "DELETE", "/xdp/allow?prefix=10.0.0.0/33", "", nil, 400, `prefix \"10.0.0.0/33\": not a prefix`, "allow_remove", "invalid"},
		{"ipv6 length", "DELETE", "/xdp/deny?prefix=2001:db8::/129", "", nil, 400, `not a prefix`, "deny_remove", "invalid"},
		{"zone", "POST", "/xdp/deny?prefix=fe80::1%25eth0", "", nil, 400, "zone", "deny_add", "invalid"},
		{"mapped too wide", "POST", "/xdp/deny?prefix=::ffff:0.0.0.0/80", "", nil, 400, "wider than ipv4", "deny_add", "invalid"},
		{"empty prefix", "POST", "/xdp/deny?prefix=", "", nil, 400, "not an address", "deny_add", "invalid"},
		{"rate too high", "PUT", "/xdp/limits", `{"prefix_rate": 200000000}`, nil, 400, "prefix_rate 200000000 above 100000000", "limits_set", "invalid"},
		{"two bad limits", "PUT", "/xdp/limits", `{"global_burst": 1000001, "prefix6": 129}`, nil, 400,
			"global_burst 1000001 above 1000000; prefix6 129 outside 1..128", "limits_set", "invalid"},
		{"prefix length 0", "PUT", "/xdp/limits", `{"prefix4": 0}`, nil, 400, "prefix4 0 outside 1..32", "limits_set", "invalid"},
		{"unknown field", "PUT", "/xdp/limits", `{"prefix_rat": 5}`, nil, 400, `body: json: unknown field \"prefix_rat\"`, "limits_set", "invalid"},
		{"negative", "PUT", "/xdp/limits", `{"global_rate": -1}`, nil, 400, "cannot unmarshal number -1", "limits_set", "invalid"},
		{"not json", "PUT", "/xdp/limits", `prefix_rate=5`, nil, 400, "body: invalid character", "limits_set", "invalid"},
		{"empty body", "PUT", "/xdp/limits", "", nil, 400, "body: want a JSON object of limits", "limits_set", "invalid"},
		{"two objects", "PUT", "/xdp/limits", `{"prefix_rate": 5} {}`, nil, 400, "body: more than one JSON value", "limits_set", "invalid"},
		{"huge body", "PUT", "/xdp/limits", `{"prefix_rate": 5` + strings.Repeat(" ", 5000) + `}`, nil, 400, "request body too large", "limits_set", "invalid"},
		{"cross-origin browser", "POST", "/xdp/allow?prefix=0.0.0.0/0", "", []string{"Sec-Fetch-Site", "cross-site"}, 403, "cross-origin", "allow_add", "forbidden"},
		{"cross-origin limits", "PUT", "/xdp/limits", `{"prefix_rate": 0}`, []string{"Origin", "http://evil.example"}, 403, "cross-origin", "limits_set", "forbidden"},
	}
	for _, x := range cases {
		t.Run(x.name, func(t *testing.T) {
			before := testutil.ToFloat64(c.g.reqs.WithLabelValues(x.op, x.result))
			status, body := c.do(t, x.method, x.path, x.body, x.header...)
			if status != x.status || !strings.Contains(body, x.reason) || !strings.HasPrefix(body, `{"error":"`) {
				t.Errorf("answered %d %s, want %d with %q", status, body, x.status, x.reason)
			}
			if got := testutil.ToFloat64(c.g.reqs.WithLabelValues(x.op, x.result)); got != before+1 {
				t.Errorf("%s/%s counted %v times, want %v", x.op, x.result, got, before+1)
			}
			if l := c.lists(t); len(l.Allow)+len(l.Deny) != 0 {
				t.Errorf("lists changed: %+v", l)
			}
			if l := c.limits(t); l != DefaultLimits {
				t.Errorf("limits changed: %+v", l)
			}
		})
	}
	for _, x := range []struct{ method, path string }{{"GET", "/xdp/deny"}, {"POST", "/xdp/lists"}, {"DELETE", "/xdp/limits"}} {
		if status, _ := c.do(t, x.method, x.path, ""); status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d, want 405", x.method, x.path, status)
		}
	}
	if status, _ := c.do(t, "POST", "/xdp/block?prefix=192.0.2.0/24", ""); status != http.StatusNotFound {
		t.Errorf("unknown list: %d, want 404", status)
	}
}

// TestGuardControlFullList fills the deny list's IPv4 trie through the Go
// API; one more over HTTP is 507, and IPv6 still goes in.
func TestGuardControlFullList(t *testing.T) {
	c := newControlled(t, Limits{})
	for i := range bpf.GuardListCapacity {
		if err := c.gd.Add(bpf.Deny, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)); err != nil {
			t.Fatal(err)
		}
	}
	if status, body := c.do(t, "POST", "/xdp/deny?prefix=192.0.2.0/24", ""); status != http.StatusInsufficientStorage || !strings.Contains(body, "list full") {
		t.Errorf("POST to a full list: %d %s, want 507 naming the full list", status, body)
	}
	if status, body := c.do(t, "POST", "/xdp/deny?prefix=2001:db8::/32", ""); status != 200 {
		t.Errorf("POST ipv6 to a list whose ipv4 trie is full: %d %s", status, body)
	}
	if got := testutil.ToFloat64(c.g.reqs.WithLabelValues("deny_add", "full")); got != 1 {
		t.Errorf("deny_add/full counted %v, want 1", got)
	}
}

// TestGuardControlNoGuard: without a guard every endpoint answers 409 and
// says why; this needs no privilege.
func TestGuardControlNoGuard(t *testing.T) {
	for _, g := range []struct {
		fallback string
		reason   string
	}{
		{"", "no xdp guard attached: start the node with -xdp-iface"},
		{"bpf: load guard program: operation not permitted", "no xdp guard attached: eBPF programs cannot be loaded: bpf: load guard program: operation not permitted"},
	} {
		c := serveControl(t, nil, g.fallback)
		for _, x := range []struct{ method, path, body, op string }{
			{"GET", "/xdp/lists", "", "lists"}, {"POST", "/xdp/allow?prefix=192.0.2.1", "", "allow_add"},
			{"DELETE", "/xdp/deny?prefix=192.0.2.1", "", "deny_remove"}, {"GET", "/xdp/limits", "", "limits_get"},
			{"PUT", "/xdp/limits", `{"prefix_rate": 5}`, "limits_set"},
		} {
			status, body := c.do(t, x.method, x.path, x.body)
			if status != http.StatusConflict || !strings.Contains(body, g.reason) {
				t.Errorf("%s %s: %d %s, want 409 with %q", x.method, x.path, status, body, g.reason)
			}
			if got := testutil.ToFloat64(c.g.reqs.WithLabelValues(x.op, "no_guard")); got != 1 {
				t.Errorf("%s/no_guard counted %v, want 1", x.op, got)
			}
		}
		if _, err := c.g.Set(Settings{}); err != ErrNoGuard {
			t.Errorf("Set without a guard: %v, want ErrNoGuard", err)
		}
	}
}

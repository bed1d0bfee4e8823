package xdpguard

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/bpf"
	"github.com/v2x-edge/v2x-edge/bpf/bpftest"
	"github.com/v2x-edge/v2x-edge/edge/steer"
	"github.com/v2x-edge/v2x-edge/edge/steer/steertest"
)

func TestGuardLimitsDefaultsAndValidate(t *testing.T) {
	for _, c := range []struct {
		in, want Limits
		err      string
	}{
		{Limits{}, DefaultLimits, ""},
		{Limits{PrefixRate: 5}, Limits{PrefixRate: 5, PrefixBurst: 5, Prefix4: 24, Prefix6: 56}, ""},
		{Limits{GlobalRate: 7, Prefix4: 16}, Limits{GlobalRate: 7, GlobalBurst: 7, Prefix4: 16, Prefix6: 56}, ""},
		// Both rates 0 (limits off) is not the zero value once any other
		// field is set.
		{Limits{Prefix4: 24}, Limits{Prefix4: 24, Prefix6: 56}, ""},
		{Limits{PrefixRate: bpf.MaxGuardRate, PrefixBurst: bpf.MaxGuardBurst, Prefix4: 32, Prefix6: 128},
			Limits{PrefixRate: bpf.MaxGuardRate, PrefixBurst: bpf.MaxGuardBurst, Prefix4: 32, Prefix6: 128}, ""},
		{Limits{PrefixRate: bpf.MaxGuardRate + 1, Prefix4: 33}, Limits{}, "prefix_rate 100000001 above 100000000; prefix_burst 100000001 above 1000000; prefix4 33 outside 1..32"},
		{Limits{GlobalRate: 1, GlobalBurst: bpf.MaxGuardBurst + 1, Prefix6: 129}, Limits{}, "global_burst 1000001 above 1000000; prefix6 129 outside 1..128"},
	} {
		got := c.in.WithDefaults()
		err := got.Validate()
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%+v: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%+v: WithDefaults %+v (%v), want %+v", c.in, got, err, c.want)
		}
	}
}

// detachedGuard makes Listen load the guard without attaching it, so that
// tests judge frames through BPF_PROG_TEST_RUN and touch no interface.
func detachedGuard(t *testing.T) {
	orig := loadGuard
	loadGuard = func(_ string, o bpf.GuardOptions) (*bpf.Guard, error) { return bpf.LoadGuard("", o) }
	t.Cleanup(func() { loadGuard = orig })
}

// listen starts a group of workers on loopback for the guard to stand in
// front of.
func listen(t *testing.T, workers int) *steer.Group {
	t.Helper()
	stls, _, _ := steertest.TLS(t)
	grp, err := steer.Listen(steer.Options{Addr: "127.0.0.1:0", Workers: workers, TLS: stls, QUIC: steertest.QUICConfig()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { grp.Close() })
	return grp
}

// TestAttachAppliesSettings: the lists and limits given to Attach are in
// the kernel when it returns, and Set replaces them.
func TestAttachAppliesSettings(t *testing.T) {
	steertest.RequireRoot(t)
	detachedGuard(t)
	s := Settings{
		Allow:  []netip.Prefix{mustPrefix("192.0.2.0/24"), mustPrefix("::ffff:203.0.113.7/128")},
		Deny:   []netip.Prefix{mustPrefix("198.51.100.0/24"), mustPrefix("2001:db8:dead::/48")},
		Limits: Limits{PrefixRate: 1, PrefixBurst: 1, Prefix4: 24, Prefix6: 56},
	}
	grp := listen(t, 1)
	g, err := Attach(grp, Options{Iface: "detached", Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	gd := g.Kernel()
	entries := func(l bpf.List) string {
		ps, err := gd.Entries(l)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(prefixStrings(ps), " ")
	}
	if a, d := entries(bpf.Allow), entries(bpf.Deny); a != "192.0.2.0/24 203.0.113.7/32" || d != "198.51.100.0/24 2001:db8:dead::/48" {
		t.Errorf("after Listen: allow %s, deny %s", a, d)
	}
	o, err := gd.Options()
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(grp.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port())
	if limitsOf(o) != s.Limits || o.Port != port || o.CIDLen != steer.CIDLen || o.CIDPrefix != steer.CIDPrefix(0) {
		t.Errorf("options in the kernel %+v, want limits %+v on port %d", o, s.Limits, port)
	}
	initialTo := func(src string, id byte) []byte { return bpftest.Initial(netip.MustParseAddr(src), port, id) }
	for i, c := range []struct {
		f    []byte
		want bpf.GuardReason
	}{
		{initialTo("198.51.100.9", 1), bpf.GuardDropDeny},
		{initialTo("10.1.1.1", 2), bpf.GuardPassNew},
		{initialTo("10.1.1.2", 3), bpf.GuardDropRatePrefix},
		{initialTo("192.0.2.200", 4), bpf.GuardPassAllow},
		{initialTo("203.0.113.7", 5), bpf.GuardPassAllow},
	} {
		if got := verdict(t, gd, c.f); got != c.want {
			t.Errorf("frame %d: %v, want %v", i, got, c.want)
		}
	}

	// Set (what SIGHUP does) makes the lists exactly the new ones.
	if err := gd.Add(bpf.Deny, mustPrefix("10.66.0.0/16")); err != nil { // as if added over HTTP
		t.Fatal(err)
	}
	sync, err := g.Set(Settings{Deny: []netip.Prefix{mustPrefix("198.51.100.0/24"), mustPrefix("192.0.2.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	want := Sync{AllowRemoved: 2, DenyAdded: 1, DenyRemoved: 2, Limits: DefaultLimits}
	if sync != want {
		t.Errorf("Set changed %+v, want %+v", sync, want)
	}
	if a, d := entries(bpf.Allow), entries(bpf.Deny); a != "" || d != "192.0.2.0/24 198.51.100.0/24" {
		t.Errorf("after Set: allow %q, deny %q", a, d)
	}
	if o, _ := gd.Options(); limitsOf(o) != DefaultLimits || o.Port != port {
		t.Errorf("after Set: options %+v", o)
	}
	if got := verdict(t, gd, initialTo("192.0.2.1", 6)); got != bpf.GuardDropDeny {
		t.Errorf("newly denied source: %v", got)
	}
	if _, err := g.Set(Settings{Allow: []netip.Prefix{mustPrefix("192.0.2.1/24")}}); err == nil ||
		!strings.Contains(err.Error(), "allow[0] 192.0.2.1/24: address has bits set past /24") {
		t.Errorf("Set with a bad prefix: %v", err)
	}
	if d := entries(bpf.Deny); d != "192.0.2.0/24 198.51.100.0/24" {
		t.Errorf("a refused Set changed the deny list: %s", d)
	}
}

// TestAttachRefusesBadSettings needs no privilege: the settings are
// checked before anything is loaded.
func TestAttachRefusesBadSettings(t *testing.T) {
	grp := listen(t, 1)
	for _, c := range []struct {
		s   Settings
		err string
	}{
		{Settings{Deny: []netip.Prefix{{}}}, "xdpguard: deny[0] invalid Prefix: invalid prefix"},
		{Settings{Limits: Limits{Prefix4: 40}}, "xdpguard: limits: prefix4 40 outside 1..32"},
	} {
		g, err := Attach(grp, Options{Iface: "v2x-none", Settings: c.s})
		if err == nil {
			g.Close()
		}
		if err == nil || err.Error() != c.err {
			t.Errorf("%+v: %v, want %q", c.s, err, c.err)
		}
	}
}

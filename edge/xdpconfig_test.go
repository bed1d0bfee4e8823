package edge

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/edge/xdpguard"
)

func TestConfigXDPDefaults(t *testing.T) {
	c := DefaultConfig()
	if c.XDPLimits != xdpguard.DefaultLimits || c.XDPAllow != nil || c.XDPDeny != nil {
		t.Errorf("defaults: limits %+v allow %v deny %v", c.XDPLimits, c.XDPAllow, c.XDPDeny)
	}
	var z Config
	z.SetDefaults()
	if z.XDPLimits != xdpguard.DefaultLimits {
		t.Errorf("zero config with defaults: limits %+v", z.XDPLimits)
	}
}

func TestConfigXDPFromFile(t *testing.T) {
	cases := []struct {
		name, file string
		allow      string
		deny       string
		limits     xdpguard.Limits
		err        string // LoadConfigFile or Validate error, after the path
	}{
		{"lists", `{"xdp_allow": ["192.0.2.1", "2001:db8:a11::/64"], "xdp_deny": ["198.51.100.0/24", "::ffff:203.0.113.0/120"]}`,
			"192.0.2.1/32 2001:db8:a11::/64", "198.51.100.0/24 203.0.113.0/24", xdpguard.DefaultLimits, ""},
		{"limits merged over the defaults", `{"xdp_limits": {"prefix_rate": 0, "global_rate": 50}}`, "", "",
			xdpguard.Limits{PrefixRate: 0, PrefixBurst: 200, GlobalRate: 50, GlobalBurst: 4000, Prefix4: 24, Prefix6: 56}, ""},
		{"burst 0 is the rate", `{"xdp_limits": {"prefix_rate": 30, "prefix_burst": 0, "prefix4": 20, "prefix6": 48}}`, "", "",
			xdpguard.Limits{PrefixRate: 30, PrefixBurst: 30, GlobalRate: 2000, GlobalBurst: 4000, Prefix4: 20, Prefix6: 48}, ""},
		{"every limit off", `{"xdp_limits": {"prefix_rate": 0, "prefix_burst": 0, "global_rate": 0, "global_burst": 0}}`, "", "",
			xdpguard.Limits{Prefix4: 24, Prefix6: 56}, ""},
		{"empty lists", `{"xdp_allow": [], "xdp_deny": null}`, "", "", xdpguard.DefaultLimits, ""},
		{"host bits", `{"xdp_deny": ["198.51.100.0/24", "198.51.100.7/24"]}`, "", "", xdpguard.Limits{},
			`xdp_deny[1] "198.51.100.7/24": address has bits set past /24 (the prefix would be 198.51.100.0/24)`},
		{"not an address", `{"xdp_allow": ["10.0.0.300"]}`, "", "", xdpguard.Limits{}, `xdp_allow[0] "10.0.0.300": not an address: `},
		{"not a string", `{"xdp_allow": [17]}`, "", "", xdpguard.Limits{}, `xdp_allow[0] 17: not a string (want a prefix or address such as "192.0.2.0/24")`},
		{"rate too high", `{"xdp_limits": {"global_rate": 100000001}}`, "", "", xdpguard.Limits{}, `xdp_limits: global_rate 100000001 above 100000000`},
		{"prefix lengths", `{"xdp_limits": {"prefix4": 33, "prefix6": 200}}`, "", "", xdpguard.Limits{}, `xdp_limits: prefix4 33 outside 1..32; prefix6 200 outside 1..128`},
		{"unknown limit", `{"xdp_limits": {"rate": 5}}`, "", "", xdpguard.Limits{}, `unknown field "rate"`},
	}
	for _, x := range cases {
		t.Run(x.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "node.json")
			if err := os.WriteFile(path, []byte(x.file), 0o644); err != nil {
				t.Fatal(err)
			}
			c := DefaultConfig()
			err := LoadConfigFile(path, &c)
			if err == nil {
				c.SetDefaults()
				err = c.Validate()
			}
			if x.err != "" {
				if err == nil || !strings.Contains(err.Error(), x.err) {
					t.Fatalf("error %v, want one with %q", err, x.err)
				}
				if !wraps(err) {
					t.Errorf("error %v wraps nothing with %%w", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a, d := join(c.XDPAllow), join(c.XDPDeny); a != x.allow || d != x.deny || c.XDPLimits != x.limits {
				t.Errorf("allow %q deny %q limits %+v; want %q %q %+v", a, d, c.XDPLimits, x.allow, x.deny, x.limits)
			}
		})
	}
}

// TestConfigXDPValidate checks prefixes set in Go, not parsed from a file.
func TestConfigXDPValidate(t *testing.T) {
	c := DefaultConfig()
	c.XDPAllow = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), {}}
	c.XDPDeny = []netip.Prefix{netip.MustParsePrefix("2001:db8::1/32")}
	c.XDPLimits.PrefixBurst = 2e6
	err := c.Validate()
	for _, want := range []string{
		"xdp_allow[1] invalid Prefix: invalid prefix",
		"xdp_deny[0] 2001:db8::1/32: address has bits set past /32 (the prefix would be 2001:db8::/32)",
		"xdp_limits: prefix_burst 2000000 above 1000000",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want %q", err, want)
		}
	}
}

// wraps reports whether err's tree holds an error wrapped with %w
// (errors.Join's list alone does not count).
func wraps(err error) bool {
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		return e.Unwrap() != nil
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			if wraps(x) {
				return true
			}
		}
	}
	return false
}

func join(ps []netip.Prefix) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, " ")
}

package xdpguard

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParsePrefix(t *testing.T) {
	for _, c := range []struct {
		in, want string // want "" with err: refused
		err      string
	}{
		{"198.51.100.0/24", "198.51.100.0/24", ""},
		{"198.51.100.7", "198.51.100.7/32", ""},
		{"0.0.0.0/0", "0.0.0.0/0", ""},
		{"2001:db8::/32", "2001:db8::/32", ""},
		{"2001:db8::1", "2001:db8::1/128", ""},
		{"::/0", "::/0", ""},
		{"::ffff:198.51.100.0/120", "198.51.100.0/24", ""},
		{"::ffff:198.51.100.7", "198.51.100.7/32", ""},
		{"198.51.100.7/24", "", "address has bits set past /24 (the prefix would be 198.51.100.0/24)"},
		{"2001:db8::1/64", "", "address has bits set past /64 (the prefix would be 2001:db8::/64)"},
		{"::ffff:198.51.100.7/120", "", "(the prefix would be 198.51.100.0/24)"},
		{"::ffff:0.0.0.0/95", "", "ipv4-mapped prefix /95 is wider than ipv4 (at least /96)"},
		{"198.51.100.0/33", "", "not a prefix"},
		{"10.0.0.300", "", "not an address"},
		{"fe80::1%eth0", "", "an address with a zone cannot go on a list"},
		{"fe80::1%eth0/64", "", "not a prefix"},
		{"", "", "not an address"},
		{"example.com", "", "not an address"},
		{" 198.51.100.0/24", "", "not a prefix"},
	} {
		p, err := ParsePrefix(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ParsePrefix(%q) = %v, %v; want an error with %q", c.in, p, err, c.err)
		case c.err == "" && (err != nil || p.String() != c.want):
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", c.in, p, err, c.want)
		}
	}
}

func TestParsePrefixList(t *testing.T) {
	got, err := ParsePrefixList(" 198.51.100.0/24, 2001:db8::1,,192.0.2.1 ,")
	if err != nil || strings.Join(prefixStrings(got), " ") != "198.51.100.0/24 2001:db8::1/128 192.0.2.1/32" {
		t.Errorf("got %v, %v", got, err)
	}
	if got, err := ParsePrefixList(""); err != nil || got != nil {
		t.Errorf("empty: %v, %v", got, err)
	}
	_, err = ParsePrefixList("192.0.2.0/24,192.0.2.1/24")
	if err == nil || err.Error() != `"192.0.2.1/24": address has bits set past /24 (the prefix would be 192.0.2.0/24)` {
		t.Errorf("error %v", err)
	}
}

func TestCheckPrefix(t *testing.T) {
	for _, c := range []struct {
		p   netip.Prefix
		err string
	}{
		{netip.Prefix{}, "invalid prefix"},
		{netip.PrefixFrom(netip.MustParseAddr("192.0.2.1"), 33), "invalid prefix"},
		{netip.MustParsePrefix("192.0.2.1/24"), "bits set past /24"},
		{netip.MustParsePrefix("192.0.2.0/24"), ""},
		{netip.MustParsePrefix("::ffff:192.0.2.0/120"), ""},
	} {
		err := CheckPrefix(c.p)
		if (c.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("CheckPrefix(%v) = %v, want %q", c.p, err, c.err)
		}
	}
}

package xdpguard

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ParsePrefix parses one entry of the guard's allow or deny list: a CIDR
// prefix ("198.51.100.0/24", "2001:db8::/32") or a bare address, which
// stands for /32 or /128. An IPv4-mapped IPv6 prefix becomes the IPv4
// one. Address bits past the prefix length must be zero:
// "198.51.100.7/24" is refused as a likely mistake, not widened.
func ParsePrefix(s string) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, fmt.Errorf("not a prefix: %w", err)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return p, fmt.Errorf("not an address: %w", err)
		}
		if a.Zone() != "" {
			return p, errors.New("an address with a zone cannot go on a list")
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if err := CheckPrefix(p); err != nil {
		return netip.Prefix{}, err
	}
	return canonical(p), nil
}

// CheckPrefix reports why p cannot go on the guard's lists, or nil.
func CheckPrefix(p netip.Prefix) error {
	if !p.IsValid() {
		return errors.New("invalid prefix")
	}
	if p.Addr().Is4In6() && p.Bits() < 96 {
		return fmt.Errorf("ipv4-mapped prefix /%d is wider than ipv4 (at least /96)", p.Bits())
	}
	if m := p.Masked(); m != p {
		return fmt.Errorf("address has bits set past /%d (the prefix would be %v)", p.Bits(), canonical(m))
	}
	return nil
}

// ParsePrefixList parses a comma-separated list of ParsePrefix entries
// (the -xdp-allow and -xdp-deny flags); spaces around entries and empty
// entries are ignored.
func ParsePrefixList(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for e := range strings.SplitSeq(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		p, err := ParsePrefix(e)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", e, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// canonical is p as the guard stores it: IPv4-mapped IPv6 as IPv4.
func canonical(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}

package bpf

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
)

// TestGuardEntriesReadBack puts prefixes of both families on both lists
// and reads them back from the tries, sorted, with an IPv4-mapped IPv6
// prefix stored (and read back) as IPv4 and removals gone.
func TestGuardEntriesReadBack(t *testing.T) {
	requireBPF(t)
	g, err := LoadGuard("", GuardOptions{Port: testPort, CIDLen: 12, CIDPrefix: testPrefix})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, l := range []List{Allow, Deny} {
		if got, err := g.Entries(l); err != nil || len(got) != 0 {
			t.Fatalf("fresh %s list: %v, %v", l, got, err)
		}
	}
	add := map[List][]string{
		Deny:  {"2001:db8:dead::/48", "198.51.100.0/24", "10.0.0.0/8", "198.51.100.7/32", "::ffff:203.0.113.0/120", "10.0.0.0/16"},
		Allow: {"2001:db8:a11::/64", "192.0.2.1/32"},
	}
	for l, ps := range add {
		for _, p := range ps {
			if err := g.Add(l, netip.MustParsePrefix(p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := g.Remove(Deny, netip.MustParsePrefix("10.0.0.0/16")); err != nil {
		t.Fatal(err)
	}
	want := map[List][]string{
		Deny:  {"10.0.0.0/8", "198.51.100.0/24", "198.51.100.7/32", "203.0.113.0/24", "2001:db8:dead::/48"},
		Allow: {"192.0.2.1/32", "2001:db8:a11::/64"},
	}
	for l, w := range want {
		got, err := g.Entries(l)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if !slices.Equal(s, w) {
			t.Errorf("%s list read back %v, want %v", l, s, w)
		}
	}
}

func TestGuardOptionsReadBack(t *testing.T) {
	requireBPF(t)
	g, err := LoadGuard("", GuardOptions{Port: testPort, CIDLen: 12, CIDPrefix: testPrefix, PrefixRate: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	got, err := g.Options()
	if err != nil {
		t.Fatal(err)
	}
	// Defaults as the program got them: bucket prefixes /24 and /56, a
	// burst of 0 the rate, the global limit off.
	want := GuardOptions{Port: testPort, CIDLen: 12, CIDPrefix: testPrefix, Prefix4: 24, Prefix6: 56, PrefixRate: 7, PrefixBurst: 7}
	if got != want {
		t.Errorf("read back %+v, want %+v", got, want)
	}
	want = GuardOptions{Port: 9, CIDLen: 20, CIDPrefix: 0xff, Prefix4: 32, Prefix6: 128, PrefixRate: MaxGuardRate, PrefixBurst: MaxGuardBurst, GlobalRate: 1, GlobalBurst: 3}
	if err := g.SetOptions(want); err != nil {
		t.Fatal(err)
	}
	if got, err = g.Options(); err != nil || got != want {
		t.Errorf("after SetOptions: %+v, %v; want %+v", got, err, want)
	}
}

// TestGuardListFull fills the deny list's IPv4 trie: the next IPv4 prefix
// is refused with ErrListFull, while its IPv6 trie still takes one.
func TestGuardListFull(t *testing.T) {
	requireBPF(t)
	g, err := LoadGuard("", GuardOptions{Port: testPort, CIDLen: 12, CIDPrefix: testPrefix})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for i := range GuardListCapacity {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)
		if err := g.Add(Deny, p); err != nil {
			t.Fatalf("prefix %d (%v): %v", i, p, err)
		}
	}
	err = g.Add(Deny, netip.MustParsePrefix("192.0.2.0/24"))
	if !errors.Is(err, ErrListFull) {
		t.Fatalf("adding to a full list: %v, want ErrListFull", err)
	}
	t.Logf("full list: %v", err)
	if err := g.Add(Deny, netip.MustParsePrefix("2001:db8::/32")); err != nil {
		t.Errorf("the IPv6 trie is not full: %v", err)
	}
	// Re-adding a prefix that is there replaces it: not an error.
	if err := g.Add(Deny, netip.MustParsePrefix("10.0.0.0/24")); err != nil {
		t.Errorf("re-adding a present prefix to a full list: %v", err)
	}
	got, err := g.Entries(Deny)
	if err != nil || len(got) != GuardListCapacity+1 {
		t.Errorf("read back %d entries (%v), want %d", len(got), err, GuardListCapacity+1)
	}
}

package bpf

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/cilium/ebpf"
)

// GuardListCapacity is how many prefixes one list holds per address
// family (GUARD_LIST_ENTRIES in guard.c): the IPv4 and the IPv6 trie each
// hold this many.
const GuardListCapacity = 65536

// ErrListFull is returned (wrapped) by Add when the list's trie for the
// prefix's address family holds GuardListCapacity prefixes.
var ErrListFull = errors.New("list full")

// Entries reads list l back from the kernel: every prefix in its IPv4 and
// its IPv6 trie, IPv4 first, each family in address order with shorter
// prefixes first.
func (g *Guard) Entries(l List) ([]netip.Prefix, error) {
	m4, m6 := g.objs.GuardAllow4, g.objs.GuardAllow6
	if l == Deny {
		m4, m6 = g.objs.GuardDeny4, g.objs.GuardDeny6
	}
	var out []netip.Prefix
	err := eachKey(m4, func(k *guardLpm4) {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4(k.Addr), int(k.Prefixlen)))
	})
	if err != nil {
		return nil, fmt.Errorf("bpf: read %s list (ipv4): %w", l, err)
	}
	err = eachKey(m6, func(k *guardLpm6) {
		out = append(out, netip.PrefixFrom(netip.AddrFrom16(k.Addr), int(k.Prefixlen)))
	})
	if err != nil {
		return nil, fmt.Errorf("bpf: read %s list (ipv6): %w", l, err)
	}
	slices.SortFunc(out, comparePrefixes)
	return out, nil
}

// comparePrefixes orders IPv4 before IPv6, then by address, then shorter
// prefixes first.
func comparePrefixes(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

// eachKey calls fn with every key of an LPM trie, walking it with
// BPF_MAP_GET_NEXT_KEY alone (the values are all 1). It stops with an
// error after more keys than the trie can hold, which only a concurrent
// writer restarting the walk could cause.
func eachKey[K any](m *ebpf.Map, fn func(*K)) error {
	var cur, next K
	err := m.NextKey(nil, &cur)
	for n := 0; err == nil; n++ {
		if n > GuardListCapacity {
			return errors.New("walk did not end: the trie changed during it")
		}
		fn(&cur)
		err = m.NextKey(&cur, &next)
		cur = next
	}
	if errors.Is(err, ebpf.ErrKeyNotExist) {
		return nil
	}
	return err
}

// Options reads back from the kernel the options the program runs with.
func (g *Guard) Options() (GuardOptions, error) {
	var k guardGuardConfig
	if err := g.objs.GuardConfigMap.Lookup(uint32(0), &k); err != nil {
		return GuardOptions{}, fmt.Errorf("bpf: read guard config: %w", err)
	}
	return GuardOptions{Port: uint16(k.Port), CIDLen: int(k.CidLen), CIDPrefix: byte(k.CidPrefix),
		Prefix4: int(k.Prefix4), Prefix6: int(k.Prefix6),
		PrefixRate: k.PrefixRate, PrefixBurst: k.PrefixBurst, GlobalRate: k.GlobalRate, GlobalBurst: k.GlobalBurst}, nil
}

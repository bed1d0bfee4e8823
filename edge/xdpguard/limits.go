package xdpguard

import (
	"errors"
	"fmt"
	"strings"

	"github.com/v2x-edge/v2x-edge/bpf"
)

// Limits are the XDP guard's limits on new connections (QUIC
// Initials to a connection id the node did not issue) as an operator sets
// them: in the config file (xdp_limits), with flags, and over HTTP
// (/xdp/limits). Each source prefix has a token bucket and the node one
// more. A rate of 0 turns its limit off; a burst of 0 takes the rate.
// Established traffic is never limited.
type Limits struct {
	PrefixRate  uint64 `json:"prefix_rate"`  // new connections per second per source prefix; 0: no limit
	PrefixBurst uint64 `json:"prefix_burst"` // tokens a prefix's bucket holds; 0: PrefixRate
	GlobalRate  uint64 `json:"global_rate"`  // new connections per second in all; 0: no limit
	GlobalBurst uint64 `json:"global_burst"` // tokens the global bucket holds; 0: GlobalRate
	Prefix4     int    `json:"prefix4"`      // IPv4 sources sharing a bucket: /Prefix4, 1..32
	Prefix6     int    `json:"prefix6"`      // IPv6 sources sharing a bucket: /Prefix6, 1..128
}

// DefaultLimits are the guard's limits unless configured: generous
// per source prefix, since a carrier NAT puts many vehicles behind one
// /24, and a node-wide ceiling on handshakes.
var DefaultLimits = Limits{PrefixRate: 100, PrefixBurst: 200, GlobalRate: 2000, GlobalBurst: 4000, Prefix4: 24, Prefix6: 56}

// WithDefaults fills what l leaves unset: the zero Limits becomes
// DefaultLimits; otherwise a zero prefix length takes the default's
// and a zero burst its rate. Zero rates stay zero: their limits are off.
func (l Limits) WithDefaults() Limits {
	if l == (Limits{}) {
		return DefaultLimits
	}
	if l.Prefix4 == 0 {
		l.Prefix4 = DefaultLimits.Prefix4
	}
	if l.Prefix6 == 0 {
		l.Prefix6 = DefaultLimits.Prefix6
	}
	if l.PrefixBurst == 0 {
		l.PrefixBurst = l.PrefixRate
	}
	if l.GlobalBurst == 0 {
		l.GlobalBurst = l.GlobalRate
	}
	return l
}

// Validate reports every limit out of range in one error, naming each by
// its JSON field.
func (l Limits) Validate() error {
	var bad []string
	for _, r := range []struct {
		name     string
		v, limit uint64
	}{{"prefix_rate", l.PrefixRate, bpf.MaxGuardRate}, {"prefix_burst", l.PrefixBurst, bpf.MaxGuardBurst},
		{"global_rate", l.GlobalRate, bpf.MaxGuardRate}, {"global_burst", l.GlobalBurst, bpf.MaxGuardBurst}} {
		if r.v > r.limit {
			bad = append(bad, fmt.Sprintf("%s %d above %d", r.name, r.v, r.limit))
		}
	}
	if l.Prefix4 < 1 || l.Prefix4 > 32 {
		bad = append(bad, fmt.Sprintf("prefix4 %d outside 1..32", l.Prefix4))
	}
	if l.Prefix6 < 1 || l.Prefix6 > 128 {
		bad = append(bad, fmt.Sprintf("prefix6 %d outside 1..128", l.Prefix6))
	}
	if len(bad) == 0 {
		return nil
	}
	return errors.New(strings.Join(bad, "; "))
}

// String is the limits as one log value.
func (l Limits) String() string {
	return fmt.Sprintf("prefix_rate=%d prefix_burst=%d global_rate=%d global_burst=%d prefix4=%d prefix6=%d",
		l.PrefixRate, l.PrefixBurst, l.GlobalRate, l.GlobalBurst, l.Prefix4, l.Prefix6)
}

// apply sets l's fields in o, keeping o's port and connection-id fields.
func (l Limits) apply(o bpf.GuardOptions) bpf.GuardOptions {
	o.PrefixRate, o.PrefixBurst, o.GlobalRate, o.GlobalBurst = l.PrefixRate, l.PrefixBurst, l.GlobalRate, l.GlobalBurst
	o.Prefix4, o.Prefix6 = l.Prefix4, l.Prefix6
	return o
}

// limitsOf takes the limits out of the guard's options.
func limitsOf(o bpf.GuardOptions) Limits {
	return Limits{PrefixRate: o.PrefixRate, PrefixBurst: o.PrefixBurst, GlobalRate: o.GlobalRate, GlobalBurst: o.GlobalBurst,
		Prefix4: o.Prefix4, Prefix6: o.Prefix6}
}

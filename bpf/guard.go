package bpf

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// GuardReason is the verdict of the XDP guard on one frame. Its values are
// the enum guard_reason of guard.c.
type GuardReason uint32

// Guard verdicts: the first four pass, the rest drop.
const (
	GuardPass             GuardReason = iota // QUIC, established or continuing a handshake
	GuardPassNew                             // a new connection within its buckets
	GuardPassAllow                           // a new connection from the allow list
	GuardPassOther                           // not UDP to the QUIC port
	GuardDropFragment                        // IPv4 or IPv6 UDP fragment
	GuardDropMalformed                       // truncated IP, UDP or QUIC header
	GuardDropFixedBit                        // QUIC fixed bit clear
	GuardDropVersion                         // long header, version neither v1 nor v2
	GuardDropCIDLen                          // impossible connection id length
	GuardDropShortInitial                    // Initial in a datagram under 1200 bytes
	GuardDropDeny                            // source on the deny list
	GuardDropRatePrefix                      // new connection over its source prefix's bucket
	GuardDropRateGlobal                      // new connection over the global bucket
	NumGuardReasons
)

var guardReasonNames = [NumGuardReasons]string{"pass", "pass_new", "pass_allow", "pass_other",
	"fragment", "malformed", "fixed_bit", "version", "cid_len", "short_initial", "deny", "rate_prefix", "rate_global"}

func (r GuardReason) String() string {
	if r < NumGuardReasons {
		return guardReasonNames[r]
	}
	return fmt.Sprintf("guard_reason(%d)", uint32(r))
}

// Drops reports whether the verdict drops the frame.
func (r GuardReason) Drops() bool { return r > GuardPassOther && r < NumGuardReasons }

// XDP actions as BPF_PROG_TEST_RUN reports them.
const (
	xdpDrop = 1
	xdpPass = 2
)

// GuardOptions configure the guard. The rates count new connections:
// Initials to a connection id the node did not issue. A zero rate turns
// its limit off.
type GuardOptions struct {
	Port        uint16 // guarded UDP destination port
	CIDLen      int    // length of the node's connection ids
	CIDPrefix   byte   // first byte of the node's connection ids
	Prefix4     int    // IPv4 sources sharing a bucket: /Prefix4 (default 24)
	Prefix6     int    // IPv6 sources sharing a bucket: /Prefix6 (default 56)
	PrefixRate  uint64 // new connections per second per prefix
	PrefixBurst uint64
	GlobalRate  uint64 // new connections per second in all
	GlobalBurst uint64
}

func (o *GuardOptions) setDefaults() {
	if o.Prefix4 == 0 {
		o.Prefix4 = 24
	}
	if o.Prefix6 == 0 {
		o.Prefix6 = 56
	}
	if o.PrefixRate != 0 && o.PrefixBurst == 0 {
		o.PrefixBurst = o.PrefixRate
	}
	if o.GlobalRate != 0 && o.GlobalBurst == 0 {
		o.GlobalBurst = o.GlobalRate
	}
}

// MaxGuardRate and MaxGuardBurst bound the rates (per second) and bursts
// of GuardOptions: they keep the program's nano-token arithmetic in 64
// bits.
const (
	MaxGuardRate  = 1e8
	MaxGuardBurst = 1e6
)

func (o GuardOptions) validate() error {
	var errs []error
	if o.Port == 0 {
		errs = append(errs, errors.New("port is 0"))
	}
	if o.CIDLen < 2 || o.CIDLen > 20 {
		errs = append(errs, fmt.Errorf("connection id length %d outside 2..20", o.CIDLen))
	}
	if o.Prefix4 < 1 || o.Prefix4 > 32 || o.Prefix6 < 1 || o.Prefix6 > 128 {
		errs = append(errs, fmt.Errorf("bucket prefixes /%d, /%d outside /1../32, /1../128", o.Prefix4, o.Prefix6))
	}
	if o.PrefixRate > MaxGuardRate || o.GlobalRate > MaxGuardRate || o.PrefixBurst > MaxGuardBurst || o.GlobalBurst > MaxGuardBurst {
		errs = append(errs, fmt.Errorf("rates above %g/s or bursts above %g", float64(MaxGuardRate), float64(MaxGuardBurst)))
	}
	return errors.Join(errs...)
}

func (o GuardOptions) kernel() guardGuardConfig {
	return guardGuardConfig{Port: uint32(o.Port), CidLen: uint32(o.CIDLen), CidPrefix: uint32(o.CIDPrefix),
		Prefix4: uint32(o.Prefix4), Prefix6: uint32(o.Prefix6),
		PrefixRate: o.PrefixRate, PrefixBurst: o.PrefixBurst, GlobalRate: o.GlobalRate, GlobalBurst: o.GlobalBurst}
}

// Guard is a loaded XDP guard, attached to an interface or not.
type Guard struct {
	objs  guardObjects
	link  link.Link
	iface string
	mode  string
}

// LoadGuard loads the guard with opts and attaches it to iface, in native
// (driver) mode where the driver allows and in generic mode otherwise. An
// empty iface loads without attaching (for BPF_PROG_TEST_RUN). It needs
// CAP_BPF and CAP_NET_ADMIN (or root).
func LoadGuard(iface string, opts GuardOptions) (*Guard, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("bpf: guard options: %w", err)
	}
	if err := supported(); err != nil {
		return nil, err
	}
	g := &Guard{iface: iface}
	if err := loadGuardObjects(&g.objs, nil); err != nil {
		return nil, fmt.Errorf("bpf: load guard program: %w", err)
	}
	if err := g.SetOptions(opts); err != nil {
		g.objs.Close()
		return nil, err
	}
	if iface == "" {
		return g, nil
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		g.objs.Close()
		return nil, fmt.Errorf("bpf: guard interface: %w", err)
	}
	if g.link, g.mode, err = attachXDP(g.objs.GuardXdp, ifi.Index); err != nil {
		g.objs.Close()
		return nil, fmt.Errorf("bpf: attach guard to %s: %w", iface, err)
	}
	return g, nil
}

// Mode is "native" or "generic" when attached, "" otherwise.
func (g *Guard) Mode() string { return g.mode }

// Interface is the interface the guard is attached to, or "".
func (g *Guard) Interface() string { return g.iface }

// SetOptions replaces the guard's options; they take effect with the next
// frame.
func (g *Guard) SetOptions(opts GuardOptions) error {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return fmt.Errorf("bpf: guard options: %w", err)
	}
	k := opts.kernel()
	if err := g.objs.GuardConfigMap.Put(uint32(0), &k); err != nil {
		return fmt.Errorf("bpf: guard config: %w", err)
	}
	return nil
}

// List names the guard's address lists.
type List int

// The guard's lists: denied sources are dropped before any other check;
// allowed sources open new connections without the rate limits.
const (
	Allow List = iota
	Deny
)

func (l List) String() string {
	if l == Allow {
		return "allow"
	}
	return "deny"
}

func (g *Guard) lpm(l List, p netip.Prefix) (*ebpf.Map, any, error) {
	if !p.IsValid() {
		return nil, nil, fmt.Errorf("bpf: invalid prefix %v", p)
	}
	p = p.Masked()
	if p.Addr().Is4() || p.Addr().Is4In6() {
		a := p.Addr().Unmap()
		bits := p.Bits()
		if p.Addr().Is4In6() {
			bits -= 96
			if bits < 0 {
				return nil, nil, fmt.Errorf("bpf: prefix %v is wider than IPv4", p)
			}
		}
		k := guardLpm4{Prefixlen: uint32(bits), Addr: a.As4()}
		if l == Allow {
			return g.objs.GuardAllow4, &k, nil
		}
		return g.objs.GuardDeny4, &k, nil
	}
	k := guardLpm6{Prefixlen: uint32(p.Bits()), Addr: p.Addr().As16()}
	if l == Allow {
		return g.objs.GuardAllow6, &k, nil
	}
	return g.objs.GuardDeny6, &k, nil
}

// Add puts prefix on list l; it applies from the next frame. A full list
// gives an error wrapping ErrListFull.
func (g *Guard) Add(l List, prefix netip.Prefix) error {
	m, k, err := g.lpm(l, prefix)
	if err != nil {
		return err
	}
	if err := m.Put(k, uint8(1)); err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return fmt.Errorf("bpf: add %v to %s list: %w (%d prefixes of its family): %w", prefix, l, ErrListFull, GuardListCapacity, err)
		}
		return fmt.Errorf("bpf: add %v to %s list: %w", prefix, l, err)
	}
	return nil
}

// Remove takes prefix off list l; removing one that is not there is not an
// error.
func (g *Guard) Remove(l List, prefix netip.Prefix) error {
	m, k, err := g.lpm(l, prefix)
	if err != nil {
		return err
	}
	if err := m.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("bpf: remove %v from %s list: %w", prefix, l, err)
	}
	return nil
}

// Counters reads the per-CPU verdict counters and sums them.
func (g *Guard) Counters() ([NumGuardReasons]uint64, error) {
	var c [NumGuardReasons]uint64
	for r := range c {
		v, err := sumPerCPU(g.objs.GuardReasons, uint32(r))
		if err != nil {
			return c, fmt.Errorf("bpf: guard counter %s: %w", GuardReason(r), err)
		}
		c[r] = v
	}
	return c, nil
}

// Test runs the guard once on an Ethernet frame through BPF_PROG_TEST_RUN
// and reports whether it passed the frame. Counters and buckets change as
// for a real frame.
func (g *Guard) Test(frame []byte) (pass bool, err error) {
	ret, err := g.objs.GuardXdp.Run(&ebpf.RunOptions{Data: frame})
	if err != nil {
		return false, fmt.Errorf("bpf: test run guard: %w", err)
	}
	switch ret {
	case xdpPass:
		return true, nil
	case xdpDrop:
		return false, nil
	}
	return false, fmt.Errorf("bpf: guard returned XDP action %d", ret)
}

// Close detaches the guard and releases its maps.
func (g *Guard) Close() error {
	var err error
	if g.link != nil {
		err = g.link.Close()
	}
	return errors.Join(err, g.objs.Close())
}

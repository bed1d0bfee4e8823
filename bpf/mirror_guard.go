package bpf

import (
	"encoding/binary"
	"net/netip"
)

const nsPerToken = 1_000_000_000

// GuardMirror is the pure-Go mirror of guard.c: the same verdict for the
// same frame, lists and buckets, with time given by the caller.
type GuardMirror struct {
	opts    GuardOptions
	lists   [2][]netip.Prefix // by List
	buckets map[netip.Prefix]*mirrorBucket
	global  mirrorBucket
}

type mirrorBucket struct {
	lastNS, tokens uint64
}

// NewGuardMirror returns a mirror of a guard loaded with opts.
func NewGuardMirror(opts GuardOptions) *GuardMirror {
	opts.setDefaults()
	return &GuardMirror{opts: opts, buckets: make(map[netip.Prefix]*mirrorBucket)}
}

// Add puts prefix on list l.
func (m *GuardMirror) Add(l List, prefix netip.Prefix) {
	m.lists[l] = append(m.lists[l], prefix.Masked())
}

func (m *GuardMirror) listed(l List, a netip.Addr) bool {
	for _, p := range m.lists[l] {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// take mirrors take() in guard.c.
func (b *mirrorBucket) take(now, rate, burst uint64) bool {
	capacity := burst * nsPerToken
	var el uint64
	if now > b.lastNS {
		el = now - b.lastNS
	}
	if elMax := capacity/rate + 1; el > elMax {
		el = elMax
	}
	tokens := min(b.tokens+el*rate, capacity)
	b.lastNS = now
	if tokens < nsPerToken {
		b.tokens = tokens
		return false
	}
	b.tokens = tokens - nsPerToken
	return true
}

// Decide returns the guard's verdict on an Ethernet frame at now
// (nanoseconds on the clock the buckets use).
func (m *GuardMirror) Decide(frame []byte, now uint64) GuardReason {
	if len(frame) < 14 {
		return GuardPassOther
	}
	proto := binary.BigEndian.Uint16(frame[12:])
	l3 := frame[14:]
	if proto == 0x8100 || proto == 0x88a8 {
		if len(l3) < 4 {
			return GuardPassOther
		}
		proto = binary.BigEndian.Uint16(l3[2:])
		l3 = l3[4:]
	}
	var udp []byte
	var l4len int
	var src netip.Addr
	switch proto {
	case 0x0800:
		if len(l3) < 20 {
			return GuardPassOther
		}
		if l3[9] != 17 {
			return GuardPassOther
		}
		if binary.BigEndian.Uint16(l3[6:])&0x3fff != 0 {
			return GuardDropFragment
		}
		ihl := int(l3[0]&0x0f) * 4
		tot := int(binary.BigEndian.Uint16(l3[2:]))
		if ihl < 20 || tot < ihl {
			return GuardDropMalformed
		}
		if len(l3) < ihl {
			return GuardDropMalformed
		}
		udp, l4len = l3[ihl:], tot-ihl
		src = netip.AddrFrom4([4]byte(l3[12:16]))
	case 0x86dd:
		if len(l3) < 40 {
			return GuardPassOther
		}
		l4len = int(binary.BigEndian.Uint16(l3[4:]))
		udp = l3[40:]
		if l3[6] == 44 {
			if len(udp) < 8 {
				return GuardDropMalformed
			}
			if udp[0] == 17 {
				return GuardDropFragment
			}
			return GuardPassOther
		}
		if l3[6] != 17 {
			return GuardPassOther
		}
		src = netip.AddrFrom16([16]byte(l3[8:24]))
	default:
		return GuardPassOther
	}
	if len(udp) < 8 {
		return GuardDropMalformed
	}
	if binary.BigEndian.Uint16(udp[2:]) != m.opts.Port {
		return GuardPassOther
	}
	ulen := int(binary.BigEndian.Uint16(udp[4:]))
	if ulen < 8 || ulen > l4len {
		return GuardDropMalformed
	}
	if m.listed(Deny, src) {
		return GuardDropDeny
	}
	return m.quic(udp[8:], ulen-8, src, m.listed(Allow, src), now)
}

// quic mirrors quic() in guard.c: p holds what the frame has of the
// payload, plen is its length by the UDP header.
func (m *GuardMirror) quic(p []byte, plen int, src netip.Addr, allowed bool, now uint64) GuardReason {
	if plen < 1 || len(p) < 1 {
		return GuardDropMalformed
	}
	b0 := p[0]
	if b0&quicFixedBit == 0 {
		return GuardDropFixedBit
	}
	if b0&quicLongHeader == 0 {
		if plen < quicMinShort {
			return GuardDropMalformed
		}
		return GuardPass
	}
	if plen < 7 || len(p) < 7 {
		return GuardDropMalformed
	}
	version := binary.BigEndian.Uint32(p[1:])
	if version != quicV1 && version != quicV2 {
		return GuardDropVersion
	}
	dl := int(p[5])
	if dl > quicMaxCIDLen {
		return GuardDropCIDLen
	}
	if plen < 7+dl || len(p) < 7+dl {
		return GuardDropMalformed
	}
	if p[6+dl] > quicMaxCIDLen {
		return GuardDropCIDLen
	}
	if !isInitial(b0, version) {
		return GuardPass
	}
	if dl < quicMinInitialDCIDLen {
		return GuardDropCIDLen
	}
	if plen < quicMinInitial {
		return GuardDropShortInitial
	}
	if dl == m.opts.CIDLen && p[6] == m.opts.CIDPrefix {
		return GuardPass
	}
	return m.admit(src, allowed, now)
}

func (m *GuardMirror) admit(src netip.Addr, allowed bool, now uint64) GuardReason {
	if allowed {
		return GuardPassAllow
	}
	o := m.opts
	if o.PrefixRate != 0 {
		bits := o.Prefix6
		if src.Is4() {
			bits = o.Prefix4
		}
		key, _ := src.Prefix(bits)
		b, ok := m.buckets[key]
		if !ok {
			b = &mirrorBucket{lastNS: now, tokens: o.PrefixBurst * nsPerToken}
			m.buckets[key] = b
		}
		if !b.take(now, o.PrefixRate, o.PrefixBurst) {
			return GuardDropRatePrefix
		}
	}
	if o.GlobalRate != 0 {
		if m.global.lastNS == 0 {
			m.global = mirrorBucket{lastNS: now, tokens: o.GlobalBurst * nsPerToken}
		}
		if !m.global.take(now, o.GlobalRate, o.GlobalBurst) {
			return GuardDropRateGlobal
		}
	}
	return GuardPassNew
}

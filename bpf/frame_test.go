package bpf

import (
	"encoding/binary"
	"net/netip"
	"os"
	"testing"
)

// requireBPF skips a test that loads programs when the process lacks the
// privilege to.
func requireBPF(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_BPF and CAP_NET_ADMIN) to load eBPF programs")
	}
}

// frame describes one crafted Ethernet frame.
type frame struct {
	src      netip.Addr // IPv4 or IPv6 source
	dport    uint16
	proto    byte   // IP protocol; 0: UDP
	fragOff  uint16 // IPv4 flags and fragment offset field
	v6Frag   bool   // IPv6 fragment header before UDP
	udpExtra int    // added to the UDP length field
	vlan     bool
	payload  []byte
}

func (f frame) bytes() []byte {
	proto := f.proto
	if proto == 0 {
		proto = 17
	}
	udp := make([]byte, 8+len(f.payload))
	binary.BigEndian.PutUint16(udp[0:], 40000)
	binary.BigEndian.PutUint16(udp[2:], f.dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)+f.udpExtra))
	copy(udp[8:], f.payload)
	b := make([]byte, 12, 14+48+len(udp))
	copy(b[0:6], []byte{2, 0, 0, 0, 0, 1})
	copy(b[6:12], []byte{2, 0, 0, 0, 0, 2})
	if f.vlan {
		b = binary.BigEndian.AppendUint16(b, 0x8100)
		b = binary.BigEndian.AppendUint16(b, 7)
	}
	if f.src.Is4() {
		b = binary.BigEndian.AppendUint16(b, 0x0800)
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
		binary.BigEndian.PutUint16(ip[6:], f.fragOff)
		ip[8] = 64
		ip[9] = proto
		a := f.src.As4()
		copy(ip[12:16], a[:])
		copy(ip[16:20], []byte{198, 18, 0, 1})
		b = append(b, ip...)
		return append(b, udp...)
	}
	b = binary.BigEndian.AppendUint16(b, 0x86dd)
	ip := make([]byte, 40)
	ip[0] = 0x60
	next := proto
	plen := len(udp)
	if f.v6Frag {
		next = 44
		plen += 8
	}
	binary.BigEndian.PutUint16(ip[4:], uint16(plen))
	ip[6] = next
	ip[7] = 64
	a := f.src.As16()
	copy(ip[8:24], a[:])
	ip[39] = 1
	b = append(b, ip...)
	if f.v6Frag {
		b = append(b, proto, 0, 0, 1, 0, 0, 0, 9)
	}
	return append(b, udp...)
}

// longHeader builds a long-header QUIC packet of size bytes (at least its
// header): first byte, version, DCID, SCID, then filler.
func longHeader(first byte, version uint32, dcid, scid []byte, size int) []byte {
	p := []byte{first}
	p = binary.BigEndian.AppendUint32(p, version)
	p = append(p, byte(len(dcid)))
	p = append(p, dcid...)
	p = append(p, byte(len(scid)))
	p = append(p, scid...)
	for len(p) < size {
		p = append(p, 0xa5)
	}
	return p
}

// shortHeader builds a short-header packet of size bytes with dcid.
func shortHeader(first byte, dcid []byte, size int) []byte {
	p := append([]byte{first}, dcid...)
	for len(p) < size {
		p = append(p, 0x5a)
	}
	return p
}

// serverCID is a connection id as edge/steer issues it.
func serverCID(prefix, slot byte) []byte {
	c := []byte{prefix, slot, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	return c
}

func seq(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

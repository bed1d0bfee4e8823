// Package bpftest builds crafted Ethernet frames for running the XDP guard
// through BPF_PROG_TEST_RUN (bpf.Guard.Test), for the tests of bpf and of
// the packages that drive the guard.
package bpftest

import (
	"encoding/binary"
	"net/netip"
)

// QUIC versions.
const (
	QUICv1 = 0x00000001
	QUICv2 = 0x6b3343cf
)

// Frame describes one crafted Ethernet frame carrying an IPv4 or IPv6
// packet from Src to 198.18.0.1 (or ::1).
type Frame struct {
	Src      netip.Addr // IPv4 or IPv6 source
	DPort    uint16
	Proto    byte   // IP protocol; 0: UDP
	FragOff  uint16 // IPv4 flags and fragment offset field
	V6Frag   bool   // IPv6 fragment header before UDP
	UDPExtra int    // added to the UDP length field
	VLAN     bool
	Payload  []byte
}

// Bytes returns the frame, from the Ethernet header on.
func (f Frame) Bytes() []byte {
	proto := f.Proto
	if proto == 0 {
		proto = 17
	}
	udp := make([]byte, 8+len(f.Payload))
	binary.BigEndian.PutUint16(udp[0:], 40000)
	binary.BigEndian.PutUint16(udp[2:], f.DPort)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)+f.UDPExtra))
	copy(udp[8:], f.Payload)
	b := make([]byte, 12, 14+48+len(udp))
	copy(b[0:6], []byte{2, 0, 0, 0, 0, 1})
	copy(b[6:12], []byte{2, 0, 0, 0, 0, 2})
	if f.VLAN {
		b = binary.BigEndian.AppendUint16(b, 0x8100)
		b = binary.BigEndian.AppendUint16(b, 7)
	}
	if f.Src.Is4() {
		b = binary.BigEndian.AppendUint16(b, 0x0800)
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
		binary.BigEndian.PutUint16(ip[6:], f.FragOff)
		ip[8] = 64
		ip[9] = proto
		a := f.Src.As4()
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
	if f.V6Frag {
		next = 44
		plen += 8
	}
	binary.BigEndian.PutUint16(ip[4:], uint16(plen))
	ip[6] = next
	ip[7] = 64
	a := f.Src.As16()
	copy(ip[8:24], a[:])
	ip[39] = 1
	b = append(b, ip...)
	if f.V6Frag {
		b = append(b, proto, 0, 0, 1, 0, 0, 0, 9)
	}
	return append(b, udp...)
}

// LongHeader builds a long-header QUIC packet of size bytes (at least its
// header): first byte, version, DCID, SCID, then filler.
func LongHeader(first byte, version uint32, dcid, scid []byte, size int) []byte {
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

// ShortHeader builds a short-header packet of size bytes with dcid.
func ShortHeader(first byte, dcid []byte, size int) []byte {
	p := append([]byte{first}, dcid...)
	for len(p) < size {
		p = append(p, 0x5a)
	}
	return p
}

// ServerCID is a 12-byte connection id as edge/steer issues it: prefix
// (the configuration byte), slot, then fixed filler.
func ServerCID(prefix, slot byte) []byte {
	return []byte{prefix, slot, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
}

// Seq returns n bytes counting up from start.
func Seq(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// Initial is a frame carrying a 1200-byte QUIC v1 Initial from src to
// dport, to a client-chosen connection id (8 bytes from id): a new
// connection, which the guard's lists and buckets judge.
func Initial(src netip.Addr, dport uint16, id byte) []byte {
	return Frame{Src: src, DPort: dport, Payload: LongHeader(0xc0, QUICv1, Seq(8, id), nil, 1200)}.Bytes()
}

// Short is a frame carrying a short-header packet from src to dport, to
// the server connection id ServerCID(prefix, 0): established traffic.
func Short(src netip.Addr, dport uint16, prefix byte) []byte {
	return Frame{Src: src, DPort: dport, Payload: ShortHeader(0x41, ServerCID(prefix, 0), 80)}.Bytes()
}

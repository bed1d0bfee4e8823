package bpf

import (
	"net/netip"
	"os"
	"testing"

	"github.com/v2x-edge/v2x-edge/bpf/bpftest"
)

// requireBPF skips a test that loads programs when the process lacks the
// privilege to.
func requireBPF(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_BPF and CAP_NET_ADMIN) to load eBPF programs")
	}
}

// frame describes one crafted Ethernet frame (bpftest.Frame, kept under
// short names for the tables of this package's tests).
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
	return bpftest.Frame{Src: f.src, DPort: f.dport, Proto: f.proto, FragOff: f.fragOff, V6Frag: f.v6Frag,
		UDPExtra: f.udpExtra, VLAN: f.vlan, Payload: f.payload}.Bytes()
}

var (
	longHeader  = bpftest.LongHeader
	shortHeader = bpftest.ShortHeader
	serverCID   = bpftest.ServerCID
	seq         = bpftest.Seq
)

package edge

import (
	"net"
	"runtime"
	"testing"
)

// TestUDPDrops: a socket with a small receive buffer that nobody reads
// drops datagrams, and udpDropsFunc reads how many.
func TestUDPDrops(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/net/udp")
	}
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	pc.SetReadBuffer(4096)
	drops := udpDropsFunc(pc)
	if drops == nil {
		t.Fatal("no drop counter for a UDP socket on Linux")
	}
	if d := drops(); d != 0 {
		t.Fatalf("%v drops before anything was sent", d)
	}
	conn, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b := make([]byte, 1000)
	for range 500 {
		conn.Write(b)
	}
	if d := drops(); d == 0 {
		t.Error("500 unread datagrams into a 4 KiB buffer: no drops read")
	}
}

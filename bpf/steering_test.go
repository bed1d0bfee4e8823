package bpf

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// reuseportGroup binds n UDP sockets with SO_REUSEPORT to one loopback port.
func reuseportGroup(t *testing.T, n int) []*net.UDPConn {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) })
		if err != nil {
			return err
		}
		return serr
	}}
	addr := "127.0.0.1:0"
	var socks []*net.UDPConn
	for range n {
		pc, err := lc.ListenPacket(context.Background(), "udp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		c := pc.(*net.UDPConn)
		t.Cleanup(func() { c.Close() })
		socks = append(socks, c)
		addr = c.LocalAddr().String()
	}
	return socks
}

type sent struct {
	payload []byte
	src     int // index of the client socket
}

// TestSteeringSockets sends crafted datagrams from many source ports to a
// reuseport group with the steering program attached and checks which
// socket gets each against SteerDecide, and the counters against the
// mirror's reasons.
func TestSteeringSockets(t *testing.T) {
	requireBPF(t)
	const workers = 4
	socks := reuseportGroup(t, workers)
	cfg := SteerConfig{CIDLen: 12, CIDPrefix: testPrefix, Working: []int{0, 1, 2, 3}}
	s, err := LoadSteering(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, c := range socks {
		if err := s.SetSocket(i, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Attach(socks[0]); err != nil {
		t.Fatal(err)
	}

	const clients = 48
	var from []*net.UDPConn
	for range clients {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		from = append(from, c)
	}

	r := rand.New(rand.NewPCG(3, 4))
	var phase1 []sent
	for i := range clients {
		slot := byte(i % workers)
		phase1 = append(phase1,
			sent{shortHeader(0x41|byte(r.IntN(32)), serverCID(testPrefix, slot), 40+r.IntN(1000)), i},
			sent{longHeader(0xe0, quicV1, serverCID(testPrefix, slot), seq(8, 1), 60+r.IntN(100)), i},
			sent{longHeader(0xc0, quicV1, randBytes(r, 8+r.IntN(13)), seq(8, 1), 1200), i},
			sent{longHeader(0xd0, quicV2, randBytes(r, 8+r.IntN(13)), nil, 1200), i},
			sent{shortHeader(0x41, append([]byte{0x2b, 0}, seq(10, 0)...), 80), i}, // another configuration's id
			sent{shortHeader(0x41, serverCID(testPrefix, 9), 80), i},               // a slot with no socket
			sent{[]byte{0xc0, 0, 0, 0, 1, 0}, i},                                   // zero-length DCID
			sent{shortHeader(0x41, serverCID(testPrefix, 1)[:5], 6), i},            // shorter than a server id
		)
	}
	runSteering(t, s, cfg, socks, from, phase1)

	// Fewer working slots: new flows go to them only; connection ids still
	// reach their slot.
	cfg.Working = []int{1, 3}
	if err := s.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	var phase2 []sent
	for i := range clients {
		phase2 = append(phase2,
			sent{longHeader(0xc0, quicV1, randBytes(r, 8+r.IntN(13)), nil, 1200), i},
			sent{shortHeader(0x41, serverCID(testPrefix, 2), 100), i},
		)
	}
	runSteering(t, s, cfg, socks, from, phase2)
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// runSteering sends every datagram (each tagged in its last four bytes)
// and checks where it lands and what the program counted.
func runSteering(t *testing.T, s *Steering, cfg SteerConfig, socks, from []*net.UDPConn, pkts []sent) {
	t.Helper()
	before, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	populated := func(slot int) bool { return slot < len(socks) }
	type landing struct{ tag, sock int }
	got := make(chan landing, len(pkts))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i, c := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 2048)
			for {
				c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				n, err := c.Read(buf)
				select {
				case <-stop:
					return
				default:
				}
				if err != nil {
					continue
				}
				if n >= 4 {
					got <- landing{int(binary.BigEndian.Uint32(buf[n-4:])), i}
				}
			}
		}()
	}
	var wantReasons [NumSteerReasons]uint64
	var wantSlots [MaxSlots]uint64
	where := map[int]int{}
	// One datagram at a time, each awaited, so that no socket buffer
	// overflows however slow the readers are.
	for tag, p := range pkts {
		b := binary.BigEndian.AppendUint32(append([]byte(nil), p.payload...), uint32(tag))
		reason, slot := SteerDecide(cfg, b, populated)
		wantReasons[reason]++
		if slot >= 0 {
			wantSlots[slot]++
		}
		if _, err := from[p.src].WriteTo(b, socks[0].LocalAddr()); err != nil {
			t.Fatal(err)
		}
		select {
		case l := <-got:
			if l.tag != tag {
				t.Fatalf("datagram %d arrived while waiting for %d", l.tag, tag)
			}
			where[l.tag] = l.sock
		case <-time.After(5 * time.Second):
			t.Errorf("datagram %d (%v) never arrived", tag, reason)
		}
	}
	close(stop)
	wg.Wait()
	hashed := map[SteerReason]map[int]bool{}
	for tag, p := range pkts {
		b := binary.BigEndian.AppendUint32(append([]byte(nil), p.payload...), uint32(tag))
		reason, slot := SteerDecide(cfg, b, populated)
		sock, ok := where[tag]
		switch {
		case !ok:
			t.Errorf("datagram %d (%v) never arrived", tag, reason)
		case slot >= 0 && sock != slot:
			t.Errorf("datagram %d (%v): socket %d, mirror says %d", tag, reason, sock, slot)
		case slot < 0:
			if hashed[reason] == nil {
				hashed[reason] = map[int]bool{}
			}
			hashed[reason][sock] = true
		}
	}
	// The kernel's hash spreads what the program leaves to it over source
	// ports: 48 ports on one socket of four would be a 4^-47 chance.
	for reason, socks := range hashed {
		if len(socks) < 2 {
			t.Errorf("%v: kernel hash used only sockets %v", reason, socks)
		}
	}
	after, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	for r := range wantReasons {
		if d := after.Reasons[r] - before.Reasons[r]; d != wantReasons[r] {
			t.Errorf("counter %v moved %d, mirror says %d", SteerReason(r), d, wantReasons[r])
		}
	}
	for i := range wantSlots {
		if d := after.Slots[i] - before.Slots[i]; d != wantSlots[i] {
			t.Errorf("slot %d counter moved %d, mirror says %d", i, d, wantSlots[i])
		}
	}
	t.Logf("%d datagrams: reasons %s", len(pkts), fmtReasons(wantReasons))
}

func fmtReasons(r [NumSteerReasons]uint64) string {
	s := ""
	for i, n := range r {
		s += fmt.Sprintf("%v=%d ", SteerReason(i), n)
	}
	return s
}

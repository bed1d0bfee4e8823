package xdpguard

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bpf"
	"github.com/v2x-edge/v2x-edge/edge/steer"
	"github.com/v2x-edge/v2x-edge/edge/steer/steertest"
)

// TestGuardLiveOnLoopback attaches the guard to lo in front of a group and
// sends it real datagrams: a flood of new-connection Initials from one
// source is cut at the default per-prefix burst, junk is dropped, and a
// real client still connects from an allow-listed address.
func TestGuardLiveOnLoopback(t *testing.T) {
	steertest.RequireRoot(t)
	stls, ctls, _ := steertest.TLS(t)
	grp, err := steer.Listen(steer.Options{Addr: "127.0.0.1:0", Workers: 2, TLS: stls, QUIC: steertest.QUICConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer grp.Close()
	g, err := Attach(grp, Options{Iface: "lo"})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	before, err := g.Kernel().Counters()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := net.DialUDP("udp4", nil, grp.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	r := rand.New(rand.NewPCG(5, 6))
	const flood = 300 // well over the burst; refill at 100/s adds a few
	start := time.Now()
	for range flood {
		p := make([]byte, 1200)
		p[0] = 0xc0
		binary.BigEndian.PutUint32(p[1:], 1)
		p[5] = 8
		for i := 6; i < 14; i++ {
			p[i] = byte(r.Uint32())
		}
		if _, err := tx.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	el := time.Since(start)
	for _, junk := range [][]byte{{0x00, 1, 2, 3}, make([]byte, 600)} {
		junk[0] &^= 0x40
		tx.Write(junk)
	}
	short := make([]byte, 900) // an Initial under 1200 bytes
	short[0], short[4], short[5] = 0xc0, 1, 8
	tx.Write(short)

	after, err := g.Kernel().Counters()
	if err != nil {
		t.Fatal(err)
	}
	d := func(r bpf.GuardReason) uint64 { return after[r] - before[r] }
	maxPass := DefaultLimits.PrefixBurst + uint64(el.Seconds()*float64(DefaultLimits.PrefixRate)) + 1
	if d(bpf.GuardPassNew) < DefaultLimits.PrefixBurst || d(bpf.GuardPassNew) > maxPass {
		t.Errorf("%d new connections passed in %v, want %d..%d", d(bpf.GuardPassNew), el, DefaultLimits.PrefixBurst, maxPass)
	}
	if d(bpf.GuardPassNew)+d(bpf.GuardDropRatePrefix) != flood {
		t.Errorf("passed %d + dropped by prefix %d != %d sent", d(bpf.GuardPassNew), d(bpf.GuardDropRatePrefix), flood)
	}
	if d(bpf.GuardDropFixedBit) != 2 || d(bpf.GuardDropShortInitial) != 1 {
		t.Errorf("fixed_bit %d short_initial %d, want 2 and 1", d(bpf.GuardDropFixedBit), d(bpf.GuardDropShortInitial))
	}
	// 127.0.0.1's /24 has no tokens left; allow-listed at run time, a
	// real client's new connection bypasses the buckets.
	if err := g.Kernel().Add(bpf.Allow, mustPrefix("127.0.0.1/32")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextTimeout(10 * time.Second)
	defer cancel()
	steertest.ServeEcho(ctx, grp)
	c, _ := steertest.DialEcho(ctx, t, grp.Addr(), ctls)
	c.CloseWithError(0, "")
	final, _ := g.Kernel().Counters()
	if final[bpf.GuardPassAllow] == after[bpf.GuardPassAllow] {
		t.Error("the allow-listed client's Initial was not counted as pass_allow")
	}
}

package steer

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bpf"
)

// TestGuardLiveOnLoopback attaches the guard to lo through Listen and
// sends it real datagrams: a flood of new-connection Initials from one
// source is cut at the default per-prefix burst, junk is dropped, and a
// real client still connects from an allow-listed address.
func TestGuardLiveOnLoopback(t *testing.T) {
	requireRoot(t)
	stls, ctls, _ := testTLS(t)
	g, err := Listen(Options{Addr: "127.0.0.1:0", Workers: 2, XDPIface: "lo", TLS: stls, QUIC: testQUICConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	before, err := g.Guard().Counters()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := net.DialUDP("udp4", nil, g.Addr().(*net.UDPAddr))
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

	after, err := g.Guard().Counters()
	if err != nil {
		t.Fatal(err)
	}
	d := func(r bpf.GuardReason) uint64 { return after[r] - before[r] }
	maxPass := DefaultGuardLimits.PrefixBurst + uint64(el.Seconds()*float64(DefaultGuardLimits.PrefixRate)) + 1
	if d(bpf.GuardPassNew) < DefaultGuardLimits.PrefixBurst || d(bpf.GuardPassNew) > maxPass {
		t.Errorf("%d new connections passed in %v, want %d..%d", d(bpf.GuardPassNew), el, DefaultGuardLimits.PrefixBurst, maxPass)
	}
	if d(bpf.GuardPassNew)+d(bpf.GuardDropRatePrefix) != flood {
		t.Errorf("passed %d + dropped by prefix %d != %d sent", d(bpf.GuardPassNew), d(bpf.GuardDropRatePrefix), flood)
	}
	if d(bpf.GuardDropFixedBit) != 2 || d(bpf.GuardDropShortInitial) != 1 {
		t.Errorf("fixed_bit %d short_initial %d, want 2 and 1", d(bpf.GuardDropFixedBit), d(bpf.GuardDropShortInitial))
	}
	// 127.0.0.1's /24 has no tokens left; allow-listed at run time, a
	// real client's new connection bypasses the buckets.
	if err := g.Guard().Add(bpf.Allow, mustPrefix("127.0.0.1/32")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextTimeout(10 * time.Second)
	defer cancel()
	serveEcho(ctx, g)
	c, _ := dialEcho(ctx, t, g.Addr(), ctls)
	c.CloseWithError(0, "")
	final, _ := g.Guard().Counters()
	if final[bpf.GuardPassAllow] == after[bpf.GuardPassAllow] {
		t.Error("the allow-listed client's Initial was not counted as pass_allow")
	}
}

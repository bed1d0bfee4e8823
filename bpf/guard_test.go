package bpf

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

const (
	testPort   = 4433
	testPrefix = 0x0b // generation 0, length 12 (see edge/steer)
)

var (
	v4Client = netip.MustParseAddr("198.18.7.9")
	v6Client = netip.MustParseAddr("2001:db8:1:2::9")
)

// runGuard runs g on f through BPF_PROG_TEST_RUN and returns the one
// reason whose counter moved, checking that the XDP action agrees with it.
func runGuard(t *testing.T, g *Guard, f []byte) GuardReason {
	t.Helper()
	before, err := g.Counters()
	if err != nil {
		t.Fatal(err)
	}
	pass, err := g.Test(f)
	if err != nil {
		t.Fatal(err)
	}
	after, err := g.Counters()
	if err != nil {
		t.Fatal(err)
	}
	got := NumGuardReasons
	for r := range after {
		switch d := after[r] - before[r]; d {
		case 0:
		case 1:
			if got != NumGuardReasons {
				t.Fatalf("two counters moved: %v and %v", got, GuardReason(r))
			}
			got = GuardReason(r)
		default:
			t.Fatalf("counter %v moved by %d", GuardReason(r), d)
		}
	}
	if got == NumGuardReasons {
		t.Fatal("no counter moved")
	}
	if pass == got.Drops() {
		t.Fatalf("XDP action pass=%v disagrees with counted reason %v", pass, got)
	}
	return got
}

func TestGuardDecisions(t *testing.T) {
	requireBPF(t)
	opts := GuardOptions{Port: testPort, CIDLen: 12, CIDPrefix: testPrefix}
	g, err := LoadGuard("", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	m := NewGuardMirror(opts)
	clientDCID := seq(8, 0x30)
	ours := serverCID(testPrefix, 3)
	q := func(p []byte) frame { return frame{Src: v4Client, DPort: testPort, Payload: p} }
	q6 := func(p []byte) frame { return frame{Src: v6Client, DPort: testPort, Payload: p} }
	cases := []struct {
		name string
		f    frame
		raw  []byte // instead of f
		want GuardReason
	}{
		{"short header", q(shortHeader(0x41, ours, 60)), nil, GuardPass},
		{"short header ipv6", q6(shortHeader(0x5f, ours, 60)), nil, GuardPass},
		{"short header in vlan", func() frame { f := q(shortHeader(0x41, ours, 60)); f.VLAN = true; return f }(), nil, GuardPass},
		{"v1 initial new", q(longHeader(0xc0, quicV1, clientDCID, seq(4, 1), 1200)), nil, GuardPassNew},
		{"v1 initial new ipv6", q6(longHeader(0xc3, quicV1, seq(20, 0), nil, 1350)), nil, GuardPassNew},
		{"v2 initial new", q(longHeader(0xd0, quicV2, clientDCID, nil, 1252)), nil, GuardPassNew},
		{"v1 initial to our id", q(longHeader(0xc0, quicV1, ours, seq(8, 1), 1200)), nil, GuardPass},
		{"v1 handshake small", q(longHeader(0xe0, quicV1, ours, seq(8, 1), 90)), nil, GuardPass},
		{"v1 0-rtt", q(longHeader(0xd0, quicV1, clientDCID, seq(8, 1), 300)), nil, GuardPass},
		{"v2 type 0 is 0-rtt", q(longHeader(0xc0, quicV2, clientDCID, nil, 300)), nil, GuardPass},
		{"other port", frame{Src: v4Client, DPort: 53, Payload: []byte{0, 1, 2}}, nil, GuardPassOther},
		{"tcp", frame{Src: v4Client, DPort: testPort, Proto: 6, Payload: seq(20, 0)}, nil, GuardPassOther},
		{"arp", frame{}, append(make([]byte, 12), 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1), GuardPassOther},
		{"runt frame", frame{}, make([]byte, 14), GuardPassOther},
		{"ipv4 more fragments", func() frame { f := q(shortHeader(0x41, ours, 60)); f.FragOff = 0x2000; return f }(), nil, GuardDropFragment},
		{"ipv4 later fragment", func() frame { f := q(shortHeader(0x41, ours, 60)); f.FragOff = 0x00b9; return f }(), nil, GuardDropFragment},
		{"ipv4 fragment other port", frame{Src: v4Client, DPort: 53, FragOff: 0x2000, Payload: seq(30, 0)}, nil, GuardDropFragment},
		{"ipv4 dont fragment", func() frame { f := q(shortHeader(0x41, ours, 60)); f.FragOff = 0x4000; return f }(), nil, GuardPass},
		{"ipv6 fragment", func() frame { f := q6(shortHeader(0x41, ours, 60)); f.V6Frag = true; return f }(), nil, GuardDropFragment},
		{"udp length past ip", func() frame { f := q(shortHeader(0x41, ours, 60)); f.UDPExtra = 4; return f }(), nil, GuardDropMalformed},
		{"udp length under header", func() frame { f := q(nil); f.UDPExtra = -4; return f }(), nil, GuardDropMalformed},
		{"empty payload", q(nil), nil, GuardDropMalformed},
		{"short header runt", q(shortHeader(0x41, ours[:4], 20)), nil, GuardDropMalformed},
		{"long header runt", q([]byte{0xc0, 0, 0, 0, 1, 8}), nil, GuardDropMalformed},
		{"long header truncated dcid", q([]byte{0xc0, 0, 0, 0, 1, 8, 1, 2, 3}), nil, GuardDropMalformed},
		{"fixed bit clear short", q(shortHeader(0x01, ours, 60)), nil, GuardDropFixedBit},
		{"fixed bit clear long", q(longHeader(0x80, quicV1, clientDCID, nil, 1200)), nil, GuardDropFixedBit},
		{"dns to quic port", q([]byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w', 0, 0, 1, 0, 1}), nil, GuardDropFixedBit},
		{"version negotiation", q(longHeader(0xc0, 0, clientDCID, nil, 1200)), nil, GuardDropVersion},
		{"unknown version", q(longHeader(0xc0, 0xff00001d, clientDCID, nil, 1200)), nil, GuardDropVersion},
		{"grease version", q(longHeader(0xc0, 0x1a2a3a4a, clientDCID, nil, 1200)), nil, GuardDropVersion},
		{"dcid 21", q(longHeader(0xc0, quicV1, seq(21, 0), nil, 1200)), nil, GuardDropCIDLen},
		{"scid 21", q(longHeader(0xe0, quicV1, ours, seq(21, 0), 200)), nil, GuardDropCIDLen},
		{"initial dcid 7", q(longHeader(0xc0, quicV1, seq(7, 0), nil, 1200)), nil, GuardDropCIDLen},
		{"initial 1199", q(longHeader(0xc0, quicV1, clientDCID, nil, 1199)), nil, GuardDropShortInitial},
		{"initial to our id 1199", q(longHeader(0xc0, quicV1, ours, nil, 1199)), nil, GuardDropShortInitial},
		{"v2 initial 600", q(longHeader(0xd0, quicV2, clientDCID, nil, 600)), nil, GuardDropShortInitial},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := c.raw
			if f == nil {
				f = c.f.Bytes()
			}
			mirror := m.Decide(f, uint64(time.Now().UnixNano()))
			got := runGuard(t, g, f)
			if got != c.want || mirror != c.want {
				t.Errorf("program %v, mirror %v, want %v", got, mirror, c.want)
			}
		})
	}
}

// TestGuardListsAndBuckets changes the lists and limits at run time and
// checks the program and its mirror over a sequence of new connections.
func TestGuardListsAndBuckets(t *testing.T) {
	requireBPF(t)
	opts := GuardOptions{Port: testPort, CIDLen: 12, CIDPrefix: testPrefix,
		PrefixRate: 1, PrefixBurst: 2, GlobalRate: 1, GlobalBurst: 5}
	g, err := LoadGuard("", GuardOptions{Port: testPort, CIDLen: 12, CIDPrefix: testPrefix})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := g.SetOptions(opts); err != nil {
		t.Fatal(err)
	}
	m := NewGuardMirror(opts)
	lists := []struct {
		l List
		p string
	}{{Deny, "198.18.66.0/24"}, {Deny, "2001:db8:dead::/48"}, {Allow, "198.18.99.7/32"}, {Allow, "2001:db8:a11::/64"}}
	for _, x := range lists {
		if err := g.Add(x.l, netip.MustParsePrefix(x.p)); err != nil {
			t.Fatal(err)
		}
		m.Add(x.l, netip.MustParsePrefix(x.p))
	}
	initial := func(src string, dcid byte) []byte {
		return frame{Src: netip.MustParseAddr(src), DPort: testPort, Payload: longHeader(0xc0, quicV1, seq(8, dcid), nil, 1200)}.Bytes()
	}
	short := func(src string) []byte {
		return frame{Src: netip.MustParseAddr(src), DPort: testPort, Payload: shortHeader(0x41, serverCID(testPrefix, 0), 80)}.Bytes()
	}
	steps := []struct {
		f    []byte
		want GuardReason
	}{
		{initial("198.18.66.5", 1), GuardDropDeny},
		{short("198.18.66.5"), GuardDropDeny},
		{initial("2001:db8:dead:1::1", 1), GuardDropDeny},
		{initial("198.18.1.1", 1), GuardPassNew},   // prefix 198.18.1/24: 1 of 2; global 1 of 5
		{initial("198.18.1.200", 2), GuardPassNew}, // prefix 2 of 2; global 2
		{initial("198.18.1.3", 3), GuardDropRatePrefix},
		{short("198.18.1.3"), GuardPass}, // established traffic is never limited
		{initial("198.18.99.7", 4), GuardPassAllow},
		{initial("198.18.99.7", 5), GuardPassAllow},
		{initial("198.18.99.7", 6), GuardPassAllow},
		{initial("2001:db8:a11::5", 6), GuardPassAllow},
		{initial("198.18.2.1", 7), GuardPassNew},           // global 3
		{initial("2001:db8:1:2::1", 8), GuardPassNew},      // global 4
		{initial("2001:db8:1:2:ffff::1", 9), GuardPassNew}, // same /56, 2 of 2; global 5
		{initial("2001:db8:1:2:ffff::2", 10), GuardDropRatePrefix},
		{initial("198.18.3.1", 11), GuardDropRateGlobal}, // its prefix has tokens, the node has none
		{frame{Src: netip.MustParseAddr("198.18.3.1"), DPort: testPort, Payload: longHeader(0xc0, quicV1, serverCID(testPrefix, 1), nil, 1200)}.Bytes(), GuardPass},
	}
	for i, s := range steps {
		mirror := m.Decide(s.f, uint64(time.Now().UnixNano()))
		got := runGuard(t, g, s.f)
		if got != s.want || mirror != s.want {
			t.Errorf("step %d: program %v, mirror %v, want %v", i, got, mirror, s.want)
		}
	}
	// Lifting the deny list takes effect with the next frame.
	if err := g.Remove(Deny, netip.MustParsePrefix("198.18.66.0/24")); err != nil {
		t.Fatal(err)
	}
	if got := runGuard(t, g, short("198.18.66.5")); got != GuardPass {
		t.Errorf("after removing the deny entry: %v, want pass", got)
	}
	if err := g.Remove(Deny, netip.MustParsePrefix("198.18.66.0/24")); err != nil {
		t.Errorf("removing an absent entry: %v", err)
	}
}

// TestGuardMirrorRandom holds the mirror against the program on mutated
// frames, without rate limits (their clocks differ).
func TestGuardMirrorRandom(t *testing.T) {
	requireBPF(t)
	opts := GuardOptions{Port: testPort, CIDLen: 12, CIDPrefix: testPrefix}
	g, err := LoadGuard("", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	m := NewGuardMirror(opts)
	deny := netip.MustParsePrefix("198.18.6.0/24")
	g.Add(Deny, deny)
	m.Add(Deny, deny)
	r := rand.New(rand.NewPCG(1, 2))
	seeds := [][]byte{
		frame{Src: v4Client, DPort: testPort, Payload: longHeader(0xc0, quicV1, seq(8, 1), nil, 1200)}.Bytes(),
		frame{Src: v6Client, DPort: testPort, Payload: longHeader(0xd0, quicV2, seq(12, 1), seq(3, 0), 1250)}.Bytes(),
		frame{Src: v4Client, DPort: testPort, Payload: shortHeader(0x41, serverCID(testPrefix, 1), 40)}.Bytes(),
		frame{Src: v4Client, DPort: testPort, VLAN: true, Payload: longHeader(0xe0, quicV1, seq(12, 1), seq(3, 0), 60)}.Bytes(),
	}
	seen := map[GuardReason]int{}
	for i := range 3000 {
		f := append([]byte(nil), seeds[r.IntN(len(seeds))]...)
		for range 1 + r.IntN(3) {
			switch r.IntN(3) {
			case 0: // flip a byte in the headers
				f[r.IntN(min(len(f), 80))] ^= byte(1 + r.IntN(255))
			case 1: // truncate
				f = f[:14+r.IntN(len(f)-13)]
			case 2: // set a byte to an edge value
				f[r.IntN(min(len(f), 80))] = []byte{0, 0x40, 0x80, 0xc0, 20, 21, 0xff}[r.IntN(7)]
			}
		}
		mirror := m.Decide(f, 0)
		if len(f) < 14 {
			continue
		}
		if got := runGuard(t, g, f); got != mirror {
			t.Fatalf("frame %d %x: program %v, mirror %v", i, f, got, mirror)
		}
		seen[mirror]++
	}
	t.Logf("mirror verdicts over random frames: %v", seen)
	if len(seen) < 6 {
		t.Errorf("random frames reached only %d verdicts: %v", len(seen), seen)
	}
}

package steer

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bpf"
)

// BenchmarkIngest measures 256-byte messages echoed by the group for 16
// concurrent client connections on loopback, with one worker and with
// several, steered. Clients run in the same process on the same cores, so
// the figures are a comparison between worker counts, not a capacity.
func BenchmarkIngest(b *testing.B) {
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			if workers > 1 {
				requireRoot(b)
			}
			benchIngest(b, workers)
		})
	}
}

func benchIngest(b *testing.B, workers int) {
	const clients = 16
	stls, ctls, _ := testTLS(b)
	g, err := Listen(Options{Addr: "127.0.0.1:0", Workers: workers, TLS: stls, QUIC: testQUICConfig()})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	if g.Workers() != workers || (workers > 1 && !g.Steered()) {
		b.Fatalf("workers %d steered %v", g.Workers(), g.Steered())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serveEcho(ctx, g)
	var echoes []*echoClient
	for range clients {
		c, e := dialEcho(ctx, b, g.Addr(), ctls)
		defer c.CloseWithError(0, "")
		echoes = append(echoes, e)
	}
	lat := make([][]time.Duration, clients)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i, e := range echoes {
		n := b.N / clients
		if i < b.N%clients {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := make([]time.Duration, 0, n)
			for range n {
				t0 := time.Now()
				if err := e.roundTrip(5 * time.Second); err != nil {
					b.Error(err)
					return
				}
				l = append(l, time.Since(t0))
			}
			lat[i] = l
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(len(all))/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50_µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99_µs")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkJunkFlood sends b.N datagrams of non-QUIC junk (fixed bit
// clear) to a one-worker group, with the XDP guard and without, over a
// veth pair from another namespace (the guard in native mode) and over lo
// (generic mode). It reports how many datagrams reached user space (UDP
// InDatagrams of /proc/net/snmp), how many the guard dropped, and the
// machine's CPU time per datagram from /proc/stat, all CPUs, softirqs
// included; the sender's share is the same with and without the guard.
func BenchmarkJunkFlood(b *testing.B) {
	for _, c := range []struct {
		iface string
		guard bool
	}{{"veth", true}, {"veth", false}, {"lo", true}, {"lo", false}} {
		b.Run(fmt.Sprintf("iface=%s/guard=%v", c.iface, c.guard), func(b *testing.B) {
			requireRoot(b)
			benchJunk(b, c.iface, c.guard)
		})
	}
}

func benchJunk(b *testing.B, iface string, guard bool) {
	stls, _, _ := testTLS(b)
	opts := Options{Addr: "127.0.0.1:0", Workers: 1, TLS: stls, QUIC: testQUICConfig()}
	var pair *pairTopology
	if iface == "veth" {
		pair = newPairTopology(b, "j")
		opts.Addr = pair.serverIP + ":0"
		iface = pair.hostIf
	}
	if guard {
		opts.XDPIface = iface
	}
	g, err := Listen(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	raddr := g.Addr().(*net.UDPAddr)
	var tx *net.UDPConn
	if pair != nil {
		tx, err = dialUDPIn(pair.ns, raddr)
	} else {
		tx, err = net.DialUDP("udp4", nil, raddr)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Close()
	junk := make([]byte, 200)
	for i := range junk {
		junk[i] = byte(i) &^ 0x40 // fixed bit clear in every byte
	}
	var gBefore [bpf.NumGuardReasons]uint64
	if guard {
		gBefore, _ = g.Guard().Counters()
	}
	inBefore := udpInDatagrams(b)
	cpuBefore := busyCPU(b)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := tx.Write(junk); err != nil {
			b.Fatal(err)
		}
	}
	el := time.Since(start)
	time.Sleep(50 * time.Millisecond) // let the receiver drain
	b.StopTimer()
	cpu := busyCPU(b) - cpuBefore
	delivered := udpInDatagrams(b) - inBefore
	var dropped uint64
	if guard {
		gAfter, _ := g.Guard().Counters()
		dropped = gAfter[bpf.GuardDropFixedBit] - gBefore[bpf.GuardDropFixedBit]
		if dropped < uint64(b.N) {
			b.Errorf("the guard (%s) dropped %d of %d junk datagrams", g.Guard().Mode(), dropped, b.N)
		}
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "sent/s")
	b.ReportMetric(float64(dropped)/el.Seconds(), "xdp_dropped/s")
	b.ReportMetric(float64(delivered)/el.Seconds(), "userspace_delivered/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "machine_cpu_ns/pkt")
}

// busyCPU is the time all CPUs spent not idle, from /proc/stat.
func busyCPU(b *testing.B) time.Duration {
	b.Helper()
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		b.Fatalf("/proc/stat begins %q", line)
	}
	var ticks uint64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseUint(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// udpInDatagrams reads the namespace's count of UDP datagrams delivered
// to sockets. It reads through /proc/thread-self: /proc/self/net follows
// the main thread, which dialUDPIn may have left in another namespace.
func udpInDatagrams(b *testing.B) uint64 {
	b.Helper()
	f, err := os.Open("/proc/thread-self/net/snmp")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var head []string
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "Udp:" {
			continue
		}
		if head == nil {
			head = fields
			continue
		}
		for i, h := range head {
			if h == "InDatagrams" && i < len(fields) {
				v, _ := strconv.ParseUint(fields[i], 10, 64)
				return v
			}
		}
	}
	b.Fatal("no Udp InDatagrams in /proc/net/snmp")
	return 0
}

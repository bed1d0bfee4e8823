package xdpguard

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bpf"
	"github.com/v2x-edge/v2x-edge/edge/steer"
	"github.com/v2x-edge/v2x-edge/edge/steer/steertest"
)

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
			steertest.RequireRoot(b)
			benchJunk(b, c.iface, c.guard)
		})
	}
}

func benchJunk(b *testing.B, iface string, guard bool) {
	stls, _, _ := steertest.TLS(b)
	opts := steer.Options{Addr: "127.0.0.1:0", Workers: 1, TLS: stls, QUIC: steertest.QUICConfig()}
	var pair *pairTopology
	if iface == "veth" {
		pair = newPairTopology(b, "j")
		opts.Addr = pair.serverIP + ":0"
		iface = pair.hostIf
	}
	grp, err := steer.Listen(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer grp.Close()
	var gopts Options
	if guard {
		gopts.Iface = iface
	}
	g, err := Attach(grp, gopts)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	raddr := grp.Addr().(*net.UDPAddr)
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
		gBefore, _ = g.Kernel().Counters()
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
		gAfter, _ := g.Kernel().Counters()
		dropped = gAfter[bpf.GuardDropFixedBit] - gBefore[bpf.GuardDropFixedBit]
		if dropped < uint64(b.N) {
			b.Errorf("the guard (%s) dropped %d of %d junk datagrams", g.Kernel().Mode(), dropped, b.N)
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

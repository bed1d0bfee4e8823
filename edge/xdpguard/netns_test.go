package xdpguard

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// pairTopology is one namespace joined to the test's by a veth pair:
//
//	[peer: eth0 peerIP] ── [host: hostIf serverIP]
type pairTopology struct {
	ns       string
	hostIf   string
	serverIP string
	peerIP   string
}

func newPairTopology(t testing.TB, tag string) *pairTopology {
	t.Helper()
	id := os.Getpid() % 100000
	octet := 20 + (id+len(tag)*53+7)%200
	p := &pairTopology{
		ns:       fmt.Sprintf("v2x-peer-%d-%s", id, tag),
		hostIf:   fmt.Sprintf("v2x%d%s", id, tag),
		serverIP: fmt.Sprintf("198.18.%d.1", octet),
		peerIP:   fmt.Sprintf("198.18.%d.2", octet),
	}
	if len(p.hostIf) > 15 {
		p.hostIf = p.hostIf[:15]
	}
	t.Cleanup(func() {
		exec.Command("ip", "netns", "del", p.ns).Run()
		exec.Command("ip", "link", "del", p.hostIf).Run()
	})
	for _, c := range [][]string{
		{"ip", "netns", "add", p.ns},
		{"ip", "link", "add", p.hostIf, "type", "veth", "peer", "name", "eth0", "netns", p.ns},
		{"ip", "addr", "add", p.serverIP + "/24", "dev", p.hostIf},
		{"ip", "link", "set", p.hostIf, "up"},
		{"ip", "-n", p.ns, "link", "set", "lo", "up"},
		{"ip", "-n", p.ns, "addr", "add", p.peerIP + "/24", "dev", "eth0"},
		{"ip", "-n", p.ns, "link", "set", "eth0", "up"},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	return p
}

// dialUDPIn opens a UDP socket inside namespace ns, connected to raddr:
// an OS thread locked to this goroutine enters ns, makes the socket and
// returns to its own namespace before it is unlocked (a thread that cannot
// return ends with the goroutine, as Go discards threads that exit
// locked). The socket stays in ns.
func dialUDPIn(ns string, raddr *net.UDPAddr) (*net.UDPConn, error) {
	type result struct {
		c   *net.UDPConn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer home.Close()
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{nil, fmt.Errorf("setns %s: %w", ns, err)}
			return
		}
		c, err := net.DialUDP("udp4", nil, raddr)
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

package steer

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// natTopology is a client namespace behind a NAT namespace that
// masquerades it, with fully random source ports, towards a veth in the
// test's own namespace, where the server runs:
//
//	[cli: eth0 clientIP] ── [nat: lan | wan, masquerade] ── [host: hostIf serverIP]
type natTopology struct {
	nat, cli string // namespace names
	hostIf   string
	serverIP string
	natIP    string // the NAT's address towards the server
	clientIP string
}

// requireNetAdmin skips unless the test is root and has the tools.
func requireNetAdmin(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_NET_ADMIN, CAP_BPF) for network namespaces, nftables and eBPF")
	}
	for _, tool := range []string{"ip", "nft", "conntrack"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (Debian packages iproute2, nftables, conntrack): %v", tool, err)
		}
	}
}

// newNATTopology builds the namespaces with names unique to this process
// and tag and removes them at cleanup, also when the test fails.
func newNATTopology(t *testing.T, tag string) *natTopology {
	t.Helper()
	id := os.Getpid() % 100000
	octet := 20 + (id+len(tag)*37)%200 // third octet, unlikely to meet another run's
	n := &natTopology{
		nat:      fmt.Sprintf("v2x-nat-%d-%s", id, tag),
		cli:      fmt.Sprintf("v2x-cli-%d-%s", id, tag),
		hostIf:   fmt.Sprintf("v2x%d%s", id, tag),
		serverIP: fmt.Sprintf("198.18.%d.1", octet),
		natIP:    fmt.Sprintf("198.18.%d.2", octet),
		clientIP: fmt.Sprintf("198.19.%d.2", octet),
	}
	if len(n.hostIf) > 15 {
		n.hostIf = n.hostIf[:15]
	}
	t.Cleanup(func() {
		exec.Command("ip", "netns", "del", n.cli).Run()
		exec.Command("ip", "netns", "del", n.nat).Run()
		exec.Command("ip", "link", "del", n.hostIf).Run()
	})
	gw := fmt.Sprintf("198.19.%d.1", octet)
	for _, c := range [][]string{
		{"ip", "netns", "add", n.nat},
		{"ip", "netns", "add", n.cli},
		{"ip", "link", "add", n.hostIf, "type", "veth", "peer", "name", "wan", "netns", n.nat},
		{"ip", "addr", "add", n.serverIP + "/24", "dev", n.hostIf},
		{"ip", "link", "set", n.hostIf, "up"},
		{"ip", "-n", n.nat, "link", "set", "lo", "up"},
		{"ip", "-n", n.nat, "addr", "add", n.natIP + "/24", "dev", "wan"},
		{"ip", "-n", n.nat, "link", "set", "wan", "up"},
		{"ip", "-n", n.nat, "link", "add", "lan", "type", "veth", "peer", "name", "eth0", "netns", n.cli},
		{"ip", "-n", n.nat, "addr", "add", gw + "/24", "dev", "lan"},
		{"ip", "-n", n.nat, "link", "set", "lan", "up"},
		{"ip", "-n", n.cli, "link", "set", "lo", "up"},
		{"ip", "-n", n.cli, "addr", "add", n.clientIP + "/24", "dev", "eth0"},
		{"ip", "-n", n.cli, "link", "set", "eth0", "up"},
		{"ip", "-n", n.cli, "route", "add", "default", "via", gw},
		{"ip", "netns", "exec", n.nat, "sysctl", "-qw", "net.ipv4.ip_forward=1"},
	} {
		run(t, c...)
	}
	rules := `table ip v2xnat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" masquerade fully-random
	}
}
`
	cmd := exec.Command("ip", "netns", "exec", n.nat, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v\n%s", err, out)
	}
	return n
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// forget drops the NAT's mappings: the client's next datagram gets a new
// random source port. Odd rounds flush the whole table (conntrack -F),
// even ones delete the UDP entries (conntrack -D).
func (n *natTopology) forget(t *testing.T, round int) {
	t.Helper()
	args := []string{"ip", "netns", "exec", n.nat, "conntrack", "-F"}
	if round%2 == 0 {
		args = []string{"ip", "netns", "exec", n.nat, "conntrack", "-D", "-p", "udp"}
	}
	// conntrack -D exits 1 when nothing matched; the mapping check below
	// tells whether the NAT really rebinds.
	exec.Command(args[0], args[1:]...).Run()
}

var replyPort = regexp.MustCompile(`dport=(\d+)`)

// mappedPorts lists the NAT's current source ports for the client's UDP
// flows to the server.
func (n *natTopology) mappedPorts(t *testing.T) []string {
	t.Helper()
	out, _ := exec.Command("ip", "netns", "exec", n.nat, "conntrack", "-L", "-p", "udp", "-s", n.clientIP).CombinedOutput()
	var ports []string
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.Contains(l, "dst="+n.serverIP) {
			continue
		}
		m := replyPort.FindAllStringSubmatch(l, -1)
		if len(m) == 2 { // original dport, then the reply's: the mapped port
			ports = append(ports, m[1][1])
		}
	}
	return ports
}

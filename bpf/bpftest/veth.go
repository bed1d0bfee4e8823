package bpftest

import (
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"
)

var vethSeq atomic.Uint32

// Veth creates a veth pair for the test to attach the XDP guard to, so
// that it attaches to no interface others use (lo carries every local
// test and benchmark), and removes it at cleanup. No traffic crosses it:
// frames reach the guard through BPF_PROG_TEST_RUN. It skips the test
// without root or without ip(8).
func Veth(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_NET_ADMIN, CAP_BPF) to create a veth pair and attach the XDP guard")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skipf("needs ip (Debian package iproute2): %v", err)
	}
	id := fmt.Sprintf("%d%d", os.Getpid()%100000, vethSeq.Add(1))
	name, peer := "v2xg"+id, "v2xh"+id
	if len(name) > 15 {
		name, peer = name[:15], peer[:15]
	}
	if out, err := exec.Command("ip", "link", "add", name, "type", "veth", "peer", "name", peer).CombinedOutput(); err != nil {
		t.Fatalf("ip link add %s type veth: %v\n%s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", name).Run() })
	return name
}

// Package cmdtest is what the commands' process-level tests share:
// building the commands into a temporary directory and picking free
// loopback ports.
package cmdtest

import (
	"net"
	"os/exec"
	"path/filepath"
	"testing"
)

// Build builds the command packages (import paths or patterns, such as
// "github.com/v2x-edge/v2x-edge/cmd/...") into a temporary directory and
// returns it. With -short the test is skipped: it builds and runs binaries.
func Build(t *testing.T, pkgs ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binaries; skipped with -short")
	}
	dir := t.TempDir()
	cmd := exec.Command("go", append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// FreePort returns a loopback port that was free a moment ago, for
// network "udp" or "tcp".
func FreePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

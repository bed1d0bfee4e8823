package edge

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestConfigWorkers(t *testing.T) {
	c := DefaultConfig()
	if c.Workers != runtime.NumCPU() || c.XDPIface != "" {
		t.Errorf("defaults: workers %d (want %d), xdp_iface %q", c.Workers, runtime.NumCPU(), c.XDPIface)
	}
	for _, w := range []struct {
		n  int
		ok bool
	}{{1, true}, {256, true}, {-1, false}, {257, false}} {
		c := DefaultConfig()
		c.Workers = w.n
		err := c.Validate()
		if (err == nil) != w.ok {
			t.Errorf("workers %d: %v", w.n, err)
		}
		if err != nil && !strings.Contains(err.Error(), "workers") {
			t.Errorf("workers %d: error %q does not name the field", w.n, err)
		}
	}
	path := filepath.Join(t.TempDir(), "node.json")
	if err := os.WriteFile(path, []byte(`{"workers": 3, "xdp_iface": "eth1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c = DefaultConfig()
	if err := LoadConfigFile(path, &c); err != nil {
		t.Fatal(err)
	}
	if c.Workers != 3 || c.XDPIface != "eth1" {
		t.Errorf("from file: workers %d xdp_iface %q", c.Workers, c.XDPIface)
	}
}

package main

import (
	"flag"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/edge"
)

// parse parses args as run does and returns the loader.
func parse(t *testing.T, args ...string) func() (edge.Config, error) {
	t.Helper()
	cfg := defaults(false)
	fs := flag.NewFlagSet("v2x-edge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("config", "", "")
	cfg.BindFlags(fs)
	fs.Bool("demo", false, "")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return loader(*file, cli.Visited(fs))
}

// TestConfigFileThenFlags: the file over the defaults, the flags given
// over the file, and on a reload (SIGHUP) the file read again with the
// same flags over it.
func TestConfigFileThenFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.json")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"listen": "127.0.0.1:5000", "max_frame": 4096, "xdp_deny": ["192.0.2.0/24"], "xdp_limits": {"prefix_rate": 7, "global_rate": 9},
		"ref_lat": 1, "ref_lon": 2, "keyframe_interval": "2s"}`)
	load := parse(t, "-config", path, "-max-frame", "8192", "-xdp-deny", "198.51.100.7", "-xdp-global-rate", "11", "-ref", "22.5,114.1", "-demo")
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	deny := func(c edge.Config) string {
		var s []string
		for _, p := range c.XDPDeny {
			s = append(s, p.String())
		}
		return strings.Join(s, ",")
	}
	if c.Listen != "127.0.0.1:5000" || c.MaxFrame != 8192 || deny(c) != "198.51.100.7/32" || c.XDPLimits.PrefixRate != 7 ||
		c.XDPLimits.GlobalRate != 11 || c.RefLat != 22.5 || c.RefLon != 114.1 || c.KeyframeInterval != 2*time.Second || c.HTTP != "" {
		t.Errorf("file then flags: %+v", c)
	}
	// SIGHUP: the file changed; the flags still win where given.
	write(`{"listen": "127.0.0.1:5001", "max_frame": 2048, "xdp_limits": {"prefix_rate": 8}}`)
	if c, err = load(); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:5001" || c.MaxFrame != 8192 || deny(c) != "198.51.100.7/32" || c.XDPLimits.PrefixRate != 8 ||
		c.XDPLimits.GlobalRate != 11 || c.KeyframeInterval != time.Second {
		t.Errorf("reload: %+v", c)
	}
	write(`{"max_frame": "big"}`)
	if _, err = load(); err == nil || !strings.Contains(err.Error(), `"max_frame": "big" is not a number`) {
		t.Errorf("reload of a bad file: %v", err)
	}
}

// TestConfigFlagsOnly: without -config the flags' defaults are the
// configuration, metrics listener included.
func TestConfigFlagsOnly(t *testing.T) {
	c, err := parse(t)()
	if err != nil {
		t.Fatal(err)
	}
	want := edge.DefaultConfig()
	if c.HTTP != defaultHTTP || c.Listen != want.Listen || c.MaxFrame != want.MaxFrame || !math.IsNaN(c.RefLat) || c.XDPAllow != nil {
		t.Errorf("defaults: %+v", c)
	}
	c, err = parse(t, "-http", "", "-xdp-allow", "192.0.2.1,2001:db8::/32", "-no-datagrams")()
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP != "" || !c.NoDatagrams || len(c.XDPAllow) != 2 || c.XDPAllow[1] != netip.MustParsePrefix("2001:db8::/32") {
		t.Errorf("flags: %+v", c)
	}
}

package main

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/devca"
)

// TestFlagsCheckedBeforeDialling: a bad flag is reported at once, naming
// it, not after a dial to an address where nothing answers.
func TestFlagsCheckedBeforeDialling(t *testing.T) {
	dir := t.TempDir()
	if _, err := devca.Ensure(dir, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := c.LocalAddr().String() // bound, never answers
	defer c.Close()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-encoding", "asn1"}, "-encoding"},
		{[]string{"-reorder", "1.5"}, "-reorder"},
		{[]string{"-duration", "-1s"}, "-duration"},
		{[]string{"-log-level", "loud"}, "-log-level"},
		{[]string{"-attack", "dos"}, "-attack"},
		{[]string{"-attack", "ghost", "-attack-cert", "a.pem"}, "-attack-key"},
		{[]string{"-attack", "ghost", "-attack-key", "a-key.pem"}, "-attack-cert"},
		{[]string{"-attack-cert", "a.pem", "-attack-key", "a-key.pem"}, "-attack"},
		{[]string{"-attack", "ghost", "-attack-cert", "missing.pem", "-attack-key", "missing-key.pem"}, "-attack-cert"},
		{[]string{"-sweep", "-1", "-duration", "1s"}, "-sweep"},
		{[]string{"-sweep", "3"}, "-duration"},
		{[]string{"-sweep", "3", "-duration", "1s", "-attack", "ghost"}, "-attack"},
		{[]string{"-sweep", "3", "-duration", "1s", "-truth", "t.json"}, "-truth"},
	} {
		begin := time.Now()
		err := run(append([]string{"-edge", addr, "-ca", filepath.Join(dir, devca.CAFile)}, c.args...), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error naming %s", c.args, err, c.want)
		}
		if took := time.Since(begin); took > time.Second {
			t.Errorf("%q: took %v: it dialled first", c.args, took)
		}
	}
}

package bpf

import (
	"os"
	"testing"

	"github.com/v2x-edge/v2x-edge/bpf/bpftest"
)

// requireBPF skips a test that loads programs when the process lacks the
// privilege to.
func requireBPF(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_BPF and CAP_NET_ADMIN) to load eBPF programs")
	}
}

// frame is bpftest.Frame, under a short name for this package's tables.
type frame = bpftest.Frame

var (
	longHeader  = bpftest.LongHeader
	shortHeader = bpftest.ShortHeader
	serverCID   = bpftest.ServerCID
	seq         = bpftest.Seq
)

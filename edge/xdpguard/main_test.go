package xdpguard

import (
	"context"
	"net/netip"
	"os"
	"testing"
	"time"
)

// TestMain runs a re-executed test binary in the role its environment
// names (an unprivileged process), and the tests otherwise.
func TestMain(m *testing.M) {
	// Keep quic-go from warning about UDP buffer sizes in test output.
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	if os.Getenv(roleEnv) == "unprivileged" {
		os.Exit(unprivilegedMain())
	}
	os.Exit(m.Run())
}

// roleEnv selects the role of a re-executed test binary.
const roleEnv = "V2X_XDPGUARD_TEST_ROLE"

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func contextTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

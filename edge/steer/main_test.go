package steer

import (
	"errors"
	"os"
	"testing"

	"github.com/quic-go/quic-go"
)

// isStatelessReset reports whether err ended a connection by a stateless
// reset.
func isStatelessReset(err error) bool {
	var sr *quic.StatelessResetError
	return errors.As(err, &sr)
}

// TestMain runs a re-executed test binary in the role its environment
// names (a client in a network namespace, an unprivileged process), and
// the tests otherwise.
func TestMain(m *testing.M) {
	// Keep quic-go from warning about UDP buffer sizes in test output.
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	switch os.Getenv(roleEnv) {
	case "natclient":
		os.Exit(natClientMain())
	case "unprivileged":
		os.Exit(unprivilegedMain())
	}
	os.Exit(m.Run())
}

// roleEnv selects the role of a re-executed test binary.
const roleEnv = "V2X_STEER_TEST_ROLE"

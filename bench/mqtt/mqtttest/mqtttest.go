// Package mqtttest runs a real Mosquitto for tests (bench/mqtt starts it),
// skipping or failing as the environment says when it is not there.
package mqtttest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/mqtt"
)

// Require returns the broker binary for a test that runs a real
// Mosquitto, installing Debian's package when missing and running as
// root. Without it the test is skipped, saying what is missing, unless
// $V2X_REQUIRE_MOSQUITTO or $CI is set (.ci/run sets the first): there a
// missing broker fails the test instead of hiding it.
func Require(t testing.TB) string {
	t.Helper()
	if mqtt.FindMosquitto() == "" && os.Geteuid() != 0 {
		msg := "mosquitto is not installed (apt-get install mosquitto), and installing it needs root"
		if os.Getenv("V2X_REQUIRE_MOSQUITTO") != "" || os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI must install it: .ci/run)")
		}
		t.Skip("skipping: " + msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := mqtt.EnsureMosquitto(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// StartTest starts a broker for t (Require), stopped when t ends.
func StartTest(t testing.TB) *mqtt.Broker {
	t.Helper()
	b, err := mqtt.StartMosquitto(Require(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return b
}

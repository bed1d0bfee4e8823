package csae53

import (
	"math"
	"os"
	"testing"
)

func sample(t testing.TB, name string) *MessageFrame {
	t.Helper()
	raw, err := os.ReadFile("testdata/samples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	f := new(MessageFrame)
	if _, err := DecodeFrame(raw, f); err != nil {
		t.Fatal(err)
	}
	return f
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

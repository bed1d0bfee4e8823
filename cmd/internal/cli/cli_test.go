package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(&bytes.Buffer{})
	fs.Int("n", 0, "")
	if help, err := Parse(fs, []string{"-h"}); !help || err != nil {
		t.Errorf("-h: help %v err %v", help, err)
	}
	if _, err := Parse(fs, []string{"-n", "x"}); err == nil {
		t.Error("bad value accepted")
	}
	if _, err := Parse(fs, []string{"extra"}); err == nil {
		t.Error("stray argument accepted")
	}
}

// TestParseRejectsNegativeDuration: "-duration -1s" is an error naming
// the flag, not a run without end; 0 and positive durations pass.
func TestParseRejectsNegativeDuration(t *testing.T) {
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"-duration", "-1s"}, false},
		{[]string{"-warmup=-5ms"}, false},
		{[]string{"-duration", "0"}, true},
		{[]string{"-duration", "2s", "-warmup", "1ms"}, true},
		{nil, true},
	} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(&bytes.Buffer{})
		fs.Duration("duration", 0, "")
		fs.Duration("warmup", time.Second, "")
		_, err := Parse(fs, c.args)
		if (err == nil) != c.ok {
			t.Errorf("%q: err %v, want ok %v", c.args, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "negative") {
			t.Errorf("%q: error %q does not say the duration is negative", c.args, err)
		}
	}
}

func TestContextDuration(t *testing.T) {
	ctx, cancel := Context(20 * time.Millisecond)
	defer cancel()
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("context did not end after its duration")
	}
}

// TestOnSignal sends SIGHUP to the test process: the handler runs, and
// the process lives on.
func TestOnSignal(t *testing.T) {
	calls := make(chan struct{}, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := OnSignal(ctx, syscall.SIGHUP, func() { calls <- struct{}{} })
	defer stop()
	for i := range 2 {
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		select {
		case <-calls:
		case <-time.After(5 * time.Second):
			t.Fatalf("signal %d: handler not called", i)
		}
	}
	stop()
	stop() // a second stop is harmless
}

func TestLogger(t *testing.T) {
	var b bytes.Buffer
	l, err := Logger(&b, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown")
	if bytes.Contains(b.Bytes(), []byte("hidden")) || !bytes.Contains(b.Bytes(), []byte(`"msg":"shown"`)) {
		t.Errorf("output %q", b.String())
	}
	if _, err := Logger(&b, "loud", "text"); err == nil {
		t.Error("bad level accepted")
	}
	if _, err := Logger(&b, "info", "xml"); err == nil {
		t.Error("bad format accepted")
	}
}

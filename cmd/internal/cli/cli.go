// Package cli holds what the v2x-edge commands share: flag parsing with
// -h handled, a run context ended by SIGINT/SIGTERM or a duration, a
// handler for a signal such as SIGHUP, and the log/slog logger from
// -log-level and -log-format.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Parse parses args; help reports that -h was asked for (usage has been
// printed and the command should exit successfully). A negative value for
// any duration flag is an error: no command has a use for one, and
// "-duration -1s" must not quietly mean "forever".
func Parse(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		if d, ok := g.Get().(time.Duration); ok && d < 0 && err == nil {
			err = fmt.Errorf("-%s %v: a duration cannot be negative", f.Name, d)
		}
	})
	return false, err
}

// Context returns a context ended by SIGINT, SIGTERM or, when d > 0, after
// d, and the function that releases it.
func Context(d time.Duration) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if d <= 0 {
		return ctx, stop
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, func() { cancel(); stop() }
}

// OnSignal calls fn each time sig arrives, one call at a time, until ctx
// ends or the returned stop is called; stop waits for a call under way.
// From OnSignal to stop, sig does not take its default action (for
// SIGHUP: ending the process).
func OnSignal(ctx context.Context, sig os.Signal, fn func()) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sig)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ch:
				fn()
			case <-ctx.Done():
				return
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
			signal.Stop(ch)
		})
	}
}

// Logger returns a logger writing to w at the given level ("debug",
// "info", "warn", "error") in the given format ("text" or "json").
func Logger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level: %w", err)
	}
	o := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, fmt.Errorf("-log-format: %q is neither text nor json", format)
}

// ParseMetres reads a distance in metres, with or without an "m" suffix
// ("250m", "250").
func ParseMetres(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "m"), 64)
	if err != nil {
		return 0, fmt.Errorf("%q: want metres, e.g. 250m", s)
	}
	return v, nil
}

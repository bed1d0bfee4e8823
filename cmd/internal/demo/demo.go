// Package demo runs the built-in demonstration against a node: the
// simulated intersection feeding it over loopback QUIC, and a subscriber
// printing what comes back once a second.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/cmd/internal/render"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Options configure the demo.
type Options struct {
	Addr   string         // node QUIC address
	Client client.Options // the producer's connection
	// Subscriber is the subscriber's connection; by default Client.
	Subscriber client.Options
	Sim        sim.Config
	Out        io.Writer // one progress line a second
	Log        *slog.Logger
}

// Run feeds the node and watches its output until ctx ends.
func Run(ctx context.Context, o Options) error {
	s, err := sim.New(o.Sim)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	prodConn, err := client.Dial(dctx, o.Addr, o.Client)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer prodConn.Close()
	subOpts := o.Subscriber
	if subOpts == (client.Options{}) {
		subOpts = o.Client
	}
	subConn, err := client.Dial(dctx, o.Addr, subOpts)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer subConn.Close()
	sub, err := subConn.Subscribe(dctx, wire.Subscribe{Flags: wire.SubPacked})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer sub.WaitContext(ctx)()

	var st feed.Stats
	feedErr := make(chan error, 1)
	go func() { feedErr <- feed.Run(ctx, prodConn, s, feed.Options{Log: o.Log}, &st) }()

	start := time.Now()
	var last time.Time
	updates, lastUpdates := 0, 0
	for {
		u, err := sub.Next()
		if client.IsNodeError(err) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("demo: subscription: %w", err)
		}
		updates++
		if now := time.Now(); now.Sub(last) >= time.Second {
			rate := float64(updates-lastUpdates) / now.Sub(last).Seconds()
			if last.IsZero() {
				rate = 0
			}
			fmt.Fprintf(o.Out, "demo %5.1fs  sent %d frames (bsm %d, objects %d, spat %d, rejected %d)  %.0f updates/s  %s\n",
				now.Sub(start).Seconds(), st.Total(), st.Sent[wire.TypeBSM].Load(), st.Sent[wire.TypeObjectList].Load(),
				st.Sent[wire.TypeSPAT].Load(), st.Rejected.Load(), rate, render.Summary(u))
			last, lastUpdates = now, updates
		}
	}
	if err := <-feedErr; err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "demo done: %.1fs, %d frames sent, %d rejected, %d state updates received\n",
		time.Since(start).Seconds(), st.Total(), st.Rejected.Load(), updates)
	return nil
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/corridor"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
)

// runCorridor is v2x-bench -corridor N: the corridor on a NATS cluster,
// one JSON line.
func runCorridor(n int, spacing string, planStart, duration, kill time.Duration, seed int64, logLevel string, stdout, stderr io.Writer) error {
	sp, err := cli.ParseMetres(spacing)
	if err != nil {
		return fmt.Errorf("-spacing: %w", err)
	}
	if kill < 0 || (kill > 0 && kill >= duration) {
		return fmt.Errorf("-kill-nats %v: want a time within -duration %v", kill, duration)
	}
	log, err := cli.Logger(stderr, logLevel, "text")
	if err != nil {
		return err
	}
	base := sim.Config{Seed: seed}
	base.SetDefaults()
	cc := sim.CorridorConfig{Base: base, N: n, Spacing: sp, PlanStart: planStart}
	if err := cc.Validate(); err != nil {
		return err
	}
	ctx, stop := cli.Context(0)
	defer stop()
	r, err := corridor.Bench(ctx, corridor.Config{Sim: cc, Duration: duration, KillNATS: kill, Log: log,
		Progress: func(f string, a ...any) { fmt.Fprintf(stderr, "v2x-bench: "+f+"\n", a...) }})
	if err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, string(b))
	return err
}

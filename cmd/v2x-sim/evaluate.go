package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/sim"
)

// printJSON prints v as one JSON line.
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// sweepPause separates the runs of a sweep, so that the node has dropped
// the previous run's objects before the next run's judging starts.
const sweepPause = 3 * time.Second

// SweepSummary is the last line of -sweep.
type SweepSummary struct {
	Sweep                 int     `json:"sweep"` // runs
	FirstSeed             int64   `json:"first_seed"`
	MOTAMean              float64 `json:"mota_mean"`
	MOTAMin               float64 `json:"mota_min"`
	MOTAMax               float64 `json:"mota_max"`
	FalseFindings         int     `json:"false_findings"` // summed over the runs
	RunsWithFalseFindings int     `json:"runs_with_false_findings"`
}

// runSweep judges n clean runs, seeds cfg.Seed, cfg.Seed+1, ..., one after
// another, printing each run's evaluation line and then the summary.
func runSweep(ctx context.Context, cfg sim.Config, rc runConfig, n int, stdout, stderr io.Writer) error {
	sum := SweepSummary{Sweep: n, FirstSeed: cfg.Seed, MOTAMin: math.Inf(1), MOTAMax: math.Inf(-1)}
	var rs []eval.Result
	for i := range n {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(sweepPause):
			}
		}
		c := cfg
		c.Seed = cfg.Seed + int64(i)
		r, err := simulate(ctx, c, rc, stderr)
		if err != nil {
			return fmt.Errorf("seed %d: %w", c.Seed, err)
		}
		if ctx.Err() != nil {
			return ctx.Err() // interrupted: the run was cut short
		}
		if err := printJSON(stdout, r); err != nil {
			return err
		}
		rs = append(rs, *r)
	}
	for _, r := range rs {
		sum.MOTAMean += r.MOTA / float64(n)
		sum.MOTAMin, sum.MOTAMax = math.Min(sum.MOTAMin, r.MOTA), math.Max(sum.MOTAMax, r.MOTA)
		sum.FalseFindings += r.FalseFindings
		if r.FalseFindings > 0 {
			sum.RunsWithFalseFindings++
		}
	}
	sum.MOTAMean = math.Round(sum.MOTAMean*1e4) / 1e4
	return printJSON(stdout, sum)
}

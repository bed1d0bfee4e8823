//go:build !race

// The accuracy judgement runs in real time and needs the tracker at full
// speed, so it is left out of -race builds; `make test` runs it without.

package e2e

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestAccuracyAgainstGroundTruth runs the node with the tracker, fed by the
// default scenario, and judges its state the way v2x-sim -evaluate does.
func TestAccuracyAgainstGroundTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 20 s of simulated traffic in real time")
	}
	cfg := edge.DefaultConfig()
	cfg.Listen, cfg.HTTP, cfg.DataDir = "127.0.0.1:0", "", t.TempDir()
	n, err := edge.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	scfg := sim.Config{Seed: 11}
	scfg.SetDefaults()
	s, err := sim.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, n.Addr().String(), client.Options{CAFile: filepath.Join(cfg.DataDir, devca.CAFile)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub, err := c.Subscribe(ctx, wire.Subscribe{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ev := eval.New(s, eval.Options{})
	var truth []sim.TruthObject
	opts := feed.Options{
		OnStep: func(ts int64, s *sim.Sim) {
			truth = s.Truth(truth[:0])
			mu.Lock()
			ev.AddTruth(ts, truth)
			mu.Unlock()
		},
		OnOutput: func(o *sim.Output, tc int64) {
			mu.Lock()
			ev.AddOutput(o, tc)
			mu.Unlock()
		},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		stop := sub.WaitContext(ctx)
		defer stop()
		for {
			u, err := sub.Next()
			if err != nil {
				return
			}
			mu.Lock()
			ev.AddState(u.TimeNS-u.OffsetNS, u.State.Objects)
			mu.Unlock()
		}
	}()
	var st feed.Stats
	if err := feed.Run(ctx, c, s, opts, &st); err != nil {
		t.Fatal(err)
	}
	<-done
	mu.Lock()
	r := ev.Result()
	mu.Unlock()
	t.Logf("mota %.3f rmse %.3f m (best single source %s %.3f m, ratio %.2f) id switches %d false %d missed %d over %d frames",
		r.MOTA, r.RMSE, r.BestSingleSource, r.BestSingleSourceRMSE, r.RMSERatio, r.IDSwitches, r.FalseTracks, r.Missed, r.Frames)
	if r.Frames < 50 {
		t.Fatalf("only %d frames judged", r.Frames)
	}
	if r.MOTA < 0.95 {
		t.Errorf("MOTA %.3f, want >= 0.95", r.MOTA)
	}
	if r.BestSingleSourceRMSE == 0 || r.RMSE > 0.7*r.BestSingleSourceRMSE {
		t.Errorf("fused RMSE %.3f m, want <= 0.7 × best single source %.3f m", r.RMSE, r.BestSingleSourceRMSE)
	}
}

// Package corridor drives and judges a corridor of nodes: a simulated
// row of signalised intersections (sim.Corridor), each fed to its own
// node, judged per node with the CLEAR-MOT metrics and across nodes by
// handover continuity, the share of vehicles that keep one id from one
// intersection to the next. Bench adds the bus: a three-server NATS
// cluster with JetStream (real nats-server processes) that the nodes
// publish to and hand over on, with one server killed mid-run, and an
// audit of the events stream.
package corridor

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge/client"
)

// NodeResult is one node's evaluation.
type NodeResult struct {
	Node string `json:"node"`
	eval.Result
	Frames uint64 `json:"frames_sent"`
}

// Judged is what Drive found: each node's evaluation and the
// continuity across the boundaries.
type Judged struct {
	Nodes []NodeResult `json:"nodes"`
	eval.Continuity
	MinNodeMOTA float64 `json:"min_node_mota"`
}

// DriveOptions configure Drive.
type DriveOptions struct {
	Names []string // node names for the results; default n1, n2, ...
	Log   *slog.Logger
}

// Drive feeds intersection i of c to the node on conns[i] until ctx ends,
// judging every node, and returns the judgement.
func Drive(ctx context.Context, c *sim.Corridor, conns []*client.Conn, o DriveOptions) (*Judged, error) {
	if len(conns) != c.N() {
		return nil, fmt.Errorf("corridor: %d connections for %d intersections", len(conns), c.N())
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := c.N()
	trails := make([]eval.Trail, n)
	lives := make([]*eval.Live, n)
	stats := make([]feed.Stats, n)
	opts := make([]feed.Options, n)
	for i := range n {
		trails[i] = eval.Trail{}
		opts[i] = feed.Options{Log: log, Seed: int64(i)}
		l, err := eval.Attach(ctx, conns[i], c.View(i).Sim(), &opts[i], eval.Options{OnFrame: trails[i].Frame, Name: name(o.Names, i)})
		if err != nil {
			return nil, fmt.Errorf("corridor: node %d: %w", i+1, err)
		}
		lives[i] = l
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = feed.Run(ctx, conns[i], c.View(i), opts[i], &stats[i])
		}()
	}
	wg.Wait()
	j := &Judged{MinNodeMOTA: math.Inf(1)}
	for i := range n {
		if errs[i] != nil {
			return nil, fmt.Errorf("corridor: feed %d: %w", i+1, errs[i])
		}
		r, err := lives[i].Finish()
		if err != nil {
			return nil, fmt.Errorf("corridor: node %d: %w", i+1, err)
		}
		j.Nodes = append(j.Nodes, NodeResult{Node: name(o.Names, i), Result: r, Frames: stats[i].Total()})
		j.MinNodeMOTA = math.Min(j.MinNodeMOTA, r.MOTA)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = name(o.Names, i)
	}
	j.Continuity = eval.JudgeContinuity(c.Transfers(nil), trails, names)
	if math.IsInf(j.MinNodeMOTA, 1) {
		j.MinNodeMOTA = 0
	}
	return j, nil
}

// name returns node i's name.
func name(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("n%d", i+1)
}

// wait sleeps d or until ctx ends.
func wait(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

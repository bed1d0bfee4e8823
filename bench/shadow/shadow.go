// Package shadow starts the single-source nodes of the tracked baseline
// (bench/eval): one in-process node per object source of a scenario, with
// the judged node's fusion configuration, each fed by that source alone.
package shadow

import (
	"context"
	"fmt"
	"os"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
)

// Nodes are the running shadow nodes.
type Nodes struct {
	nodes []*edge.Node
	conns []*client.Conn
	dirs  []string
}

// Start starts one shadow node per object source of s (each camera and
// the vehicles' BSMs) with cfg's fusion configuration, and registers each
// with l (Live.AddShadow), which adds the mirrors that feed them to opts.
// Call it after eval.Attach and before feed.Run; Close the nodes after
// l.Finish.
func Start(ctx context.Context, l *eval.Live, s *sim.Sim, cfg edge.Config, opts *feed.Options) (ns *Nodes, err error) {
	ns = &Nodes{}
	defer func() {
		if err != nil {
			ns.Close()
			ns = nil
		}
	}()
	for _, src := range s.Sources() {
		if src.Kind != sim.SourceCamera && src.Kind != sim.SourceVehicles {
			continue
		}
		dir, err := os.MkdirTemp("", "v2x-shadow-")
		if err != nil {
			return nil, fmt.Errorf("shadow %s: %w", src.Name, err)
		}
		ns.dirs = append(ns.dirs, dir)
		n, err := edge.New(config(cfg, dir), nil)
		if err == nil {
			err = n.Start()
		}
		if err != nil {
			return nil, fmt.Errorf("shadow %s: %w", src.Name, err)
		}
		ns.nodes = append(ns.nodes, n)
		c, err := client.Dial(ctx, n.Addr().String(), client.DevOptions(dir, devca.SimIdentity))
		if err != nil {
			return nil, fmt.Errorf("shadow %s: %w", src.Name, err)
		}
		ns.conns = append(ns.conns, c)
		if err := l.AddShadow(ctx, src.Name, sim.SignalSourceID, src.ID, c, opts); err != nil {
			return nil, err
		}
	}
	return ns, nil
}

// config is the configuration of a shadow node: the default one on a
// loopback port with the development CA in dir, with cfg's fusion and
// timing (what decides the tracks).
func config(cfg edge.Config, dir string) edge.Config {
	c := edge.DefaultConfig()
	c.Listen, c.HTTP, c.DataDir, c.Workers = "127.0.0.1:0", "", dir, 1
	c.RefLat, c.RefLon, c.Fusion, c.Track, c.Trust = cfg.RefLat, cfg.RefLon, cfg.Fusion, cfg.Track, cfg.Trust
	c.StaleAfter, c.PublishTick, c.MaxClockSkew, c.MaxFuture, c.MaxRange = cfg.StaleAfter, cfg.PublishTick, cfg.MaxClockSkew, cfg.MaxFuture, cfg.MaxRange
	c.ClockInterval, c.InboxSize = cfg.ClockInterval, cfg.InboxSize
	return c
}

// Close stops the nodes.
func (ns *Nodes) Close() {
	if ns == nil {
		return
	}
	for _, c := range ns.conns {
		c.Close()
	}
	for _, n := range ns.nodes {
		n.Close()
	}
	for _, d := range ns.dirs {
		os.RemoveAll(d)
	}
}

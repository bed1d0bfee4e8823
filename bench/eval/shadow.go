package eval

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// shadow is one single-source node of the tracked baseline: an in-process
// node with the judged node's configuration, fed (through feed.Mirror) by
// the signal controller's MAP and SPAT and one source's messages alone,
// and judged by a shadow Evaluator.
type shadow struct {
	name string
	node *edge.Node
	dir  string
	conn *client.Conn
	sub  *client.Subscription
	done chan struct{}
	err  error
}

// AddShadows starts one shadow node per object source of s (each camera
// and the vehicles' BSMs) with configuration cfg (its listen, HTTP and
// data directory are replaced), subscribes to each, and adds the mirrors
// that feed them to opts. Call it after Attach and before feed.Run; Finish
// stops them.
func (l *Live) AddShadows(ctx context.Context, s *sim.Sim, cfg edge.Config, opts *feed.Options) (err error) {
	defer func() {
		if err != nil {
			l.closeShadows()
		}
	}()
	for _, src := range s.Sources() {
		if src.Kind != sim.SourceCamera && src.Kind != sim.SourceVehicles {
			continue
		}
		sh := &shadow{name: src.Name, done: make(chan struct{})}
		if sh.dir, err = os.MkdirTemp("", "v2x-shadow-"); err != nil {
			return fmt.Errorf("evaluate: shadow %s: %w", src.Name, err)
		}
		l.shadows = append(l.shadows, sh)
		if sh.node, err = edge.New(shadowConfig(cfg, sh.dir), nil); err != nil {
			return fmt.Errorf("evaluate: shadow %s: %w", src.Name, err)
		}
		if err = sh.node.Start(); err != nil {
			sh.node = nil
			return fmt.Errorf("evaluate: shadow %s: %w", src.Name, err)
		}
		if sh.conn, err = client.Dial(ctx, sh.node.Addr().String(), client.DevOptions(sh.dir, devca.SimIdentity)); err != nil {
			return fmt.Errorf("evaluate: shadow %s: %w", src.Name, err)
		}
		if sh.sub, err = sh.conn.Subscribe(ctx, wire.Subscribe{}); err != nil {
			return fmt.Errorf("evaluate: shadow %s: %w", src.Name, err)
		}
		l.mu.Lock()
		ev := l.ev.AddShadow(src.Name)
		l.mu.Unlock()
		opts.Mirrors = append(opts.Mirrors, feed.Mirror{Conn: sh.conn, Sources: []uint32{sim.SignalSourceID, src.ID}})
		go func() {
			defer close(sh.done)
			stop := sh.sub.WaitContext(ctx)
			defer stop()
			for {
				u, err := sh.sub.Next()
				if client.IsNodeError(err) {
					continue
				}
				if err != nil {
					if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
						sh.err = err
					}
					return
				}
				l.mu.Lock()
				ev.AddState(u.TimeNS-u.OffsetNS, u.State.Objects)
				l.mu.Unlock()
			}
		}()
	}
	return nil
}

// shadowConfig is the configuration of a shadow node: the default one on
// a loopback port with the development CA in dir, with cfg's fusion and
// timing (what decides the tracks).
func shadowConfig(cfg edge.Config, dir string) edge.Config {
	c := edge.DefaultConfig()
	c.Listen, c.HTTP, c.DataDir, c.Workers = "127.0.0.1:0", "", dir, 1
	c.RefLat, c.RefLon, c.Fusion, c.Track, c.Trust = cfg.RefLat, cfg.RefLon, cfg.Fusion, cfg.Track, cfg.Trust
	c.StaleAfter, c.PublishTick, c.MaxClockSkew, c.MaxFuture, c.MaxRange = cfg.StaleAfter, cfg.PublishTick, cfg.MaxClockSkew, cfg.MaxFuture, cfg.MaxRange
	c.ClockInterval, c.InboxSize = cfg.ClockInterval, cfg.InboxSize
	return c
}

// closeShadows stops the shadow nodes and returns the first subscription
// error.
func (l *Live) closeShadows() error {
	var first error
	for _, sh := range l.shadows {
		if sh.sub != nil {
			sh.sub.Close()
			<-sh.done
			if sh.err != nil && first == nil {
				first = fmt.Errorf("evaluate: shadow %s: %w", sh.name, sh.err)
			}
		}
		if sh.conn != nil {
			sh.conn.Close()
		}
		if sh.node != nil {
			sh.node.Close()
		}
		os.RemoveAll(sh.dir)
	}
	l.shadows = nil
	return first
}

package eval

import (
	"context"
	"fmt"
	"sync"

	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Live judges a node while a feed drives it: it subscribes to the node on
// conn and hooks the feed's options so that truth and the simulator's
// outputs reach the evaluator too.
type Live struct {
	mu    sync.Mutex
	ev    *Evaluator
	sub   *client.Subscription
	done  chan struct{}
	err   error
	truth []sim.TruthObject
}

// Attach subscribes to the node and sets opts.OnStep and opts.OnOutput;
// pass opts to feed.Run afterwards, then call Finish.
func Attach(ctx context.Context, conn *client.Conn, s *sim.Sim, opts *feed.Options, o Options) (*Live, error) {
	sub, err := conn.Subscribe(ctx, wire.Subscribe{})
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	l := &Live{ev: New(s, o), sub: sub, done: make(chan struct{})}
	opts.OnStep = func(t int64, s *sim.Sim) {
		l.truth = s.Truth(l.truth[:0])
		l.mu.Lock()
		l.ev.AddTruth(t, l.truth)
		l.mu.Unlock()
	}
	opts.OnOutput = func(out *sim.Output, trueCapture int64) {
		l.mu.Lock()
		l.ev.AddOutput(out, trueCapture)
		l.mu.Unlock()
	}
	go func() {
		defer close(l.done)
		stop := sub.WaitContext(ctx)
		defer stop()
		for {
			u, err := sub.Next()
			if client.IsNodeError(err) {
				continue
			}
			if err != nil {
				if ctx.Err() == nil {
					l.err = err
				}
				return
			}
			// The state's time on our clock: node time minus the node's offset.
			l.mu.Lock()
			l.ev.AddState(u.TimeNS-u.OffsetNS, u.State.Objects)
			l.mu.Unlock()
		}
	}()
	return l, nil
}

// Finish ends the subscription and returns the result.
func (l *Live) Finish() (Result, error) {
	l.sub.Close()
	<-l.done
	if l.err != nil {
		return Result{}, fmt.Errorf("evaluate: subscription: %w", l.err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.ev.Result()
	if r.Frames == 0 {
		return r, fmt.Errorf("evaluate: no state could be judged (run longer than the %v warm-up)", l.ev.opt.Warmup)
	}
	return r, nil
}

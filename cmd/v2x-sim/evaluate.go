package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// evaluation subscribes to the node and feeds an evaluator with truth,
// the simulator's outputs and the node's states.
type evaluation struct {
	mu    sync.Mutex
	ev    *eval.Evaluator
	sub   *client.Subscription
	done  chan struct{}
	err   error
	truth []sim.TruthObject
}

func startEvaluation(ctx context.Context, conn *client.Conn, s *sim.Sim, opts *feed.Options) (*evaluation, error) {
	sub, err := conn.Subscribe(ctx, wire.Subscribe{})
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	e := &evaluation{ev: eval.New(s, eval.Options{}), sub: sub, done: make(chan struct{})}
	opts.OnStep = func(t int64, s *sim.Sim) {
		e.truth = s.Truth(e.truth[:0])
		e.mu.Lock()
		e.ev.AddTruth(t, e.truth)
		e.mu.Unlock()
	}
	opts.OnOutput = func(o *sim.Output, trueCapture int64) {
		e.mu.Lock()
		e.ev.AddOutput(o, trueCapture)
		e.mu.Unlock()
	}
	go func() {
		defer close(e.done)
		stop := sub.WaitContext(ctx)
		defer stop()
		for {
			u, err := sub.Next()
			if client.IsNodeError(err) {
				continue
			}
			if err != nil {
				if ctx.Err() == nil {
					e.err = err
				}
				return
			}
			// State time on our clock: node time minus the node's offset.
			e.mu.Lock()
			e.ev.AddState(u.TimeNS-u.OffsetNS, u.State.Objects)
			e.mu.Unlock()
		}
	}()
	return e, nil
}

func (e *evaluation) finish(w io.Writer) error {
	e.sub.Close()
	<-e.done
	if e.err != nil {
		return fmt.Errorf("evaluate: subscription: %w", e.err)
	}
	e.mu.Lock()
	r := e.ev.Result()
	e.mu.Unlock()
	if r.Frames == 0 {
		return fmt.Errorf("evaluate: no state could be judged (run longer than the 2 s warm-up)")
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

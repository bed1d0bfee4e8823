package eval

import (
	"context"
	"errors"
	"fmt"
	"net"
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
	mu     sync.Mutex
	ev     *Evaluator
	sub    *client.Subscription
	events *client.Subscription // wire.SubEvents: findings
	done   chan struct{}
	err    error
	evErr  error
	truth  []sim.TruthObject
	forged []sim.ForgedObject

	shadows []*shadow // shadow.go
}

// Attach subscribes to the node twice, for states and for Event frames
// (wire.SubEvents, so that states are judged as without it), and sets
// opts.OnStep, opts.OnOutput and opts.OnAttack; pass opts (with its
// Attack, if any, already set) to feed.Run afterwards, then call Finish.
func Attach(ctx context.Context, conn *client.Conn, s *sim.Sim, opts *feed.Options, o Options) (*Live, error) {
	sub, err := conn.Subscribe(ctx, wire.Subscribe{})
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	events, err := conn.Subscribe(ctx, wire.Subscribe{Flags: wire.SubEvents})
	if err != nil {
		sub.Close()
		return nil, fmt.Errorf("evaluate: events: %w", err)
	}
	l := &Live{ev: New(s, o), sub: sub, events: events, done: make(chan struct{})}
	attack := opts.Attack
	opts.OnStep = func(t int64, s feed.Scene) {
		l.truth = s.Truth(l.truth[:0])
		if attack != nil {
			l.forged = attack.Forged(l.forged[:0])
		}
		l.mu.Lock()
		l.ev.AddScene(t, l.truth, l.forged)
		l.mu.Unlock()
	}
	opts.OnAttack = func(_ *sim.Output, sent int64) {
		l.mu.Lock()
		l.ev.AttackSent(sent)
		l.mu.Unlock()
	}
	evDone := make(chan struct{})
	go func() {
		defer close(evDone)
		l.evErr = follow(ctx, events, func(u *client.Update) {
			if u.IsEvent {
				l.ev.AddEvent(u.RecvNS, u.Event.TimeNS-u.OffsetNS, &u.Event)
			}
		}, &l.mu)
	}()
	opts.OnOutput = func(out *sim.Output, trueCapture int64) {
		l.mu.Lock()
		l.ev.AddOutput(out, trueCapture)
		l.mu.Unlock()
	}
	go func() {
		defer close(l.done)
		defer func() { <-evDone }()
		// The state's time on our clock: node time minus the node's offset.
		l.err = follow(ctx, sub, func(u *client.Update) { l.ev.AddState(u.TimeNS-u.OffsetNS, u.State.Objects) }, &l.mu)
	}()
	return l, nil
}

// follow hands sub's updates to fn, under mu, until the subscription or
// ctx ends; Error frames from the node are skipped. It returns the error
// that ended it, nil when that was ctx or a Close.
func follow(ctx context.Context, sub *client.Subscription, fn func(*client.Update), mu *sync.Mutex) error {
	stop := sub.WaitContext(ctx)
	defer stop()
	for {
		u, err := sub.Next()
		if client.IsNodeError(err) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		mu.Lock()
		fn(u)
		mu.Unlock()
	}
}

// Finish ends the subscription and returns the result.
func (l *Live) Finish() (Result, error) {
	l.sub.Close()
	l.events.Close()
	<-l.done
	shErr := l.closeShadows()
	if l.err != nil {
		return Result{}, fmt.Errorf("evaluate: subscription: %w", l.err)
	}
	if l.evErr != nil {
		return Result{}, fmt.Errorf("evaluate: events subscription: %w", l.evErr)
	}
	if shErr != nil {
		return Result{}, shErr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.ev.Result()
	if r.Frames == 0 {
		return r, fmt.Errorf("evaluate: no state could be judged (run longer than the %v warm-up)", l.ev.opt.Warmup)
	}
	return r, nil
}

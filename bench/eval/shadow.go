package eval

import (
	"context"
	"fmt"

	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// shadow is the subscription to one single-source node of the tracked
// baseline (started by bench/shadow): a node fed (through feed.Mirror) by
// the signal controller's MAP and SPAT and one source's messages alone,
// judged by a shadow Evaluator.
type shadow struct {
	name string
	sub  *client.Subscription
	done chan struct{}
	err  error
}

// AddShadow subscribes on conn to the shadow node of source name (id
// source), judges its state with a shadow Evaluator (AddShadow), and adds
// to opts the mirror that feeds it: the signal source's messages and the
// source's own. Call it after Attach and before feed.Run; Finish ends the
// subscription.
func (l *Live) AddShadow(ctx context.Context, name string, signal, source uint32, conn *client.Conn, opts *feed.Options) error {
	sub, err := conn.Subscribe(ctx, wire.Subscribe{})
	if err != nil {
		return fmt.Errorf("evaluate: shadow %s: %w", name, err)
	}
	sh := &shadow{name: name, sub: sub, done: make(chan struct{})}
	l.mu.Lock()
	ev := l.ev.AddShadow(name)
	l.shadows = append(l.shadows, sh)
	l.mu.Unlock()
	opts.Mirrors = append(opts.Mirrors, feed.Mirror{Conn: conn, Sources: []uint32{signal, source}})
	go func() {
		defer close(sh.done)
		sh.err = follow(ctx, sub, func(u *client.Update) { ev.AddState(u.TimeNS-u.OffsetNS, u.State.Objects) }, &l.mu)
	}()
	return nil
}

// closeShadows ends the shadow subscriptions and returns the first error.
func (l *Live) closeShadows() error {
	var first error
	for _, sh := range l.shadows {
		sh.sub.Close()
		<-sh.done
		if sh.err != nil && first == nil {
			first = fmt.Errorf("evaluate: shadow %s: %w", sh.name, sh.err)
		}
	}
	l.shadows = nil
	return first
}

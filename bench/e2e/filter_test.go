package e2e

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestApproachAndLaneFilter subscribes to one approach and to one lane of
// the simulated intersection, next to a full subscription: the filtered
// ones get only objects matched there, and objects they do get.
func TestApproachAndLaneFilter(t *testing.T) {
	const run = 4 * time.Second
	s, dial := startNodeAndSim(t, 5)
	// Approach 2, and the ingress lanes of approach 1 as a lane set.
	var approach, lanes wire.IDSet
	approach.Add(2)
	for _, l := range s.Map().Lanes {
		if l.Approach == 1 && l.Ingress {
			lanes.Add(l.ID)
		}
	}
	if lanes.IsEmpty() {
		t.Fatal("the simulated MAP has no ingress lane on approach 1")
	}
	subs := map[string]wire.Subscribe{
		"all":      {Flags: wire.SubPacked},
		"approach": {Flags: wire.SubPacked, Approaches: approach},
		"lane":     {Flags: wire.SubPacked, Lanes: lanes},
		"raw lane": {Lanes: lanes},
	}
	ctx, cancel := context.WithTimeout(context.Background(), run)
	defer cancel()
	type seen struct {
		objects, outside int
		approaches       map[uint8]int
	}
	results := make(map[string]*seen)
	done := make(chan struct{})
	for name, f := range subs {
		sub, err := dial().Subscribe(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		r := &seen{approaches: map[uint8]int{}}
		results[name] = r
		go func() {
			defer func() { done <- struct{}{} }()
			stop := sub.WaitContext(ctx)
			defer stop()
			for {
				u, err := sub.Next()
				if err != nil {
					if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
						t.Errorf("%s: %v", name, err)
					}
					return
				}
				for _, o := range u.State.Objects {
					r.objects++
					r.approaches[o.Approach]++
					if f.HasSets() && !f.Approaches.Has(o.Approach) && !f.Lanes.Has(o.Lane) {
						r.outside++
					}
				}
			}
		}()
	}
	var st feed.Stats
	if err := feed.Run(ctx, dial(), s, feed.Options{}, &st); err != nil {
		t.Fatal(err)
	}
	for range subs {
		<-done
	}
	all := results["all"]
	if len(all.approaches) < 3 {
		t.Fatalf("full subscription saw objects on approaches %v: the scene is too sparse to test a filter", all.approaches)
	}
	for _, name := range []string{"approach", "lane", "raw lane"} {
		r := results[name]
		if r.objects == 0 {
			t.Errorf("%s: no objects in %v", name, run)
		}
		if r.outside > 0 {
			t.Errorf("%s: %d of %d objects outside the subscribed set", name, r.outside, r.objects)
		}
		if r.objects >= all.objects {
			t.Errorf("%s: %d objects, the full subscription %d: the filter removed nothing", name, r.objects, all.objects)
		}
	}
}

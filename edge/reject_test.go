package edge

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Implausible measurements are refused with a counter per reason and never
// reach a track.
func TestImplausibleMeasurementsNeverReachATrack(t *testing.T) {
	n, opts := startNode(t, func(c *Config) { c.Fusion = FusionTrack })
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	// A first frame opens the stream and starts the clock exchange.
	ok := bsmAt(1, 0, 0)
	if err := p.SendBSM(1, clock.Now(), &ok); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)

	far := bsmAt(2, 5000, 0)
	fast := bsmAt(3, 20, 0)
	fast.Speed = 150
	future, past := bsmAt(4, 30, 0), bsmAt(5, 40, 0)
	cases := []struct {
		name   string
		reason rejectReason
		code   wire.Code // the Error frame expected, 0 if none (dropped in the fusion loop)
		send   func() error
	}{
		{name: "5 km outside the map", reason: reasonOutsideMap, send: func() error { return p.SendBSM(1, clock.Now(), &far) }},
		{name: "150 m/s", reason: reasonSpeed, code: wire.CodeInvalidValue, send: func() error { return p.SendBSM(1, clock.Now(), &fast) }},
		{name: "a minute in the future", reason: reasonTimeFuture, code: wire.CodeInvalidValue, send: func() error { return p.SendBSM(1, clock.Now()+60e9, &future) }},
		{name: "an hour in the past", reason: reasonTimePast, code: wire.CodeInvalidValue, send: func() error { return p.SendBSM(1, clock.Now()-3600e9, &past) }},
	}
	for _, tc := range cases {
		before := testutil.ToFloat64(n.m.valuesRejected[tc.reason])
		if err := tc.send(); err != nil {
			t.Fatal(err)
		}
		if tc.code != 0 {
			select {
			case e := <-p.Errors():
				if e.Code != tc.code {
					t.Errorf("%s: error %s (%s), want %s", tc.name, e.Code, e.Message, tc.code)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: no Error frame", tc.name)
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		for testutil.ToFloat64(n.m.valuesRejected[tc.reason]) != before+1 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: counter %s not incremented", tc.name, tc.reason)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// Only the plausible vehicle is tracked.
	time.Sleep(200 * time.Millisecond)
	u := nextUntil(t, sub, 5*time.Second, func(u *client.Update) bool { return len(u.State.Objects) > 0 })
	if len(u.State.Objects) != 1 {
		t.Fatalf("%d objects tracked, want only the plausible one", len(u.State.Objects))
	}
}

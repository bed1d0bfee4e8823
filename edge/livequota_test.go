package edge

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/quota"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestLiveObjectsQuota: an identity sending 20 vehicles under a
// live-objects quota of 5 gets 5 objects in the world, is told and
// counted; another identity's 3 vehicles all get through. Both fusers.
func TestLiveObjectsQuota(t *testing.T) {
	for _, fusion := range []string{FusionTrack, FusionLatest} {
		t.Run(fusion, func(t *testing.T) {
			n, opts := startNode(t, func(c *Config) {
				c.Fusion = fusion
				c.Trust.Disabled = true // this is about the quota, not plausibility
				c.Quotas.Producer.LiveObjects = 5
			})
			until := time.Now().Add(time.Hour)
			flooder := producerOf(t, n, issue(t, n, "v2x-edge:flooder?roles=producer&kinds=vehicle", until))
			honest := producerOf(t, n, issue(t, n, "v2x-edge:honest?roles=producer&kinds=vehicle", until))
			sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
			for range 5 {
				for i := range 20 { // 30 m apart, 100 m north
					b := bsmAt(uint64(1+i), float64(i*30-300), 100)
					if err := flooder.SendBSM(1, clock.Now(), &b); err != nil {
						t.Fatal(err)
					}
				}
				for i := range 3 { // 30 m apart, 50 m south
					b := bsmAt(uint64(101+i), float64(i*30), -50)
					if err := honest.SendBSM(2, clock.Now(), &b); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			var north, south int
			nextUntil(t, sub, 5*time.Second, func(u *client.Update) bool {
				north, south = 0, 0
				for _, o := range u.State.Objects {
					if o.N > 0 {
						north++
					} else {
						south++
					}
				}
				return south == 3 && north > 0
			})
			if north > 5 {
				t.Errorf("%d of the flooder's objects in the state, want at most its quota of 5", north)
			}
			if got := quotaExceeded(t, n, "flooder", quota.LiveObjects); got == 0 {
				t.Error("live-objects quota of the flooder exceeded, counted 0")
			}
			if got := quotaExceeded(t, n, "honest", quota.LiveObjects); got != 0 {
				t.Errorf("live-objects quota counted %v for the honest identity", got)
			}
			if r, _ := honest.Stats(); r != 0 {
				t.Errorf("honest identity refused %d frames", r)
			}
			told := false
			for !told {
				select {
				case e := <-flooder.Errors():
					told = e.Code == wire.CodeOverloaded && strings.Contains(e.Message, "live-objects")
				case <-time.After(2 * time.Second):
					t.Fatal("the flooder was not told of its live-objects quota")
				}
			}
		})
	}
}

// TestRateQuotaBackoff: MAPs as fast as a producer can write them, under
// a quota of 2 a second: after a refusal the stream stops reading for the
// time the quota needs (doubling while refusals go on), so in one second
// the node refuses a few MAPs, not the dozens the producer wrote.
func TestRateQuotaBackoff(t *testing.T) {
	n, _ := startNode(t, func(c *Config) { c.Quotas.Producer.MapsPerSec = 2 })
	p := producerOf(t, n, issue(t, n, "v2x-edge:mapper?roles=producer&kinds=map", time.Now().Add(time.Hour)))
	const sent = 40
	for i := range sent {
		mp := v2x.Map{IntersectionID: uint32(100 + i), RefLat: refLat, RefLon: refLon} // each one new
		if err := p.SendMap(9, clock.Now(), &mp); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second)
	refused := quotaExceeded(t, n, "mapper", quota.Maps)
	if refused == 0 || refused > 10 {
		t.Errorf("%v of %d MAPs refused within a second of a quota of 2/s, want 1..10 (the stream backs off)", refused, sent)
	}
	if testutil.ToFloat64(n.m.backoffs) == 0 {
		t.Error("no stream backoff counted")
	}
}

// producerOf opens a producer stream of a client with opts.
func producerOf(t *testing.T, n *Node, opts client.Options) *client.Producer {
	t.Helper()
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSubscribesPerStream: one stream sending Resyncs as fast as it can
// write them is held to its own Subscribe/Resync quota (and backs off), so
// it cannot spend its identity's; another stream of the same identity
// still subscribes at once.
func TestSubscribesPerStream(t *testing.T) {
	n, _ := startNode(t, func(c *Config) { c.Quotas.Subscriber.SubscribesPerStream = 5 })
	c := dial(t, n, issue(t, n, "v2x-edge:viewer?roles=subscriber", time.Now().Add(time.Hour)))
	st, err := c.QUIC().OpenStreamSync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer st.CancelRead(0)
	var perStream atomic.Int64
	go func() {
		r := wire.NewReader(st, 0)
		for {
			h, p, err := r.Next()
			if err != nil {
				return
			}
			var e wire.ErrorFrame
			if h.Type == wire.TypeError && wire.DecodeError(p, &e) == nil && e.Code == wire.CodeOverloaded &&
				strings.Contains(e.Message, "per-stream") {
				perStream.Add(1)
			}
		}
	}()
	write := func(typ wire.Type, fill func([]byte) []byte) {
		b := wire.AppendHeader(nil, &wire.Header{Type: typ})
		b = fill(b)
		wire.FinishFrame(b, 0)
		if _, err := st.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	sub := wire.Subscribe{Flags: wire.SubPacked}
	write(wire.TypeSubscribe, func(b []byte) []byte { return wire.AppendSubscribe(b, &sub) })
	const sent = 60
	for range sent {
		write(wire.TypeResync, func(b []byte) []byte { return wire.AppendResync(b, 0) })
	}
	time.Sleep(time.Second)
	got := perStream.Load()
	if got == 0 || got > 20 {
		t.Errorf("%d of %d Resyncs refused by the per-stream quota of 5/s within a second, want 1..20 (the stream backs off)", got, sent)
	}
	if q := quotaExceeded(t, n, "viewer", quota.Subscribes); q < float64(got) {
		t.Errorf("subscribes quota exceeded counted %v for the viewer, it saw %d refusals", q, got)
	}
	other, err := c.Subscribe(context.Background(), wire.Subscribe{Flags: wire.SubPacked})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	stop := other.WaitContext(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { _, err := other.Next(); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("another stream of the identity: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("another stream of the identity got no state within 3 s")
	}
}

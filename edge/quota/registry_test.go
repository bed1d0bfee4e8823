package quota

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestConnectionsQuota(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Producer.Connections = 2
	r := NewRegistry(cfg)
	a1, ok1 := r.Connect("cam", RoleProducer)
	a2, ok2 := r.Connect("cam", RoleProducer)
	_, ok3 := r.Connect("cam", RoleProducer)
	if !ok1 || !ok2 || ok3 || a1 != a2 {
		t.Fatalf("connects: %v %v %v, same account %v; want two allowed on one account, the third refused", ok1, ok2, ok3, a1 == a2)
	}
	if _, ok := r.Connect("other-cam", RoleProducer); !ok {
		t.Fatal("another identity refused: quotas must be per identity")
	}
	r.Disconnect(a1)
	if _, ok := r.Connect("cam", RoleProducer); !ok {
		t.Fatal("connect refused after one of two connections closed")
	}
	if got := testutil.ToFloat64(r.exceeded.WithLabelValues("cam", "connections")); got != 1 {
		t.Errorf("connections exceeded for cam = %v, want 1", got)
	}
}

func TestStreamsAndBytes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Subscriber.Streams, cfg.Subscriber.BytesInFlight = 1, 1000
	r := NewRegistry(cfg)
	a, _ := r.Connect("sub", RoleSubscriber)
	if !a.OpenStream() || a.OpenStream() {
		t.Fatal("streams quota of 1 not enforced")
	}
	a.CloseStream()
	if !a.OpenStream() {
		t.Fatal("stream refused after the first closed")
	}
	if !a.Take(600) || a.Take(600) || a.InFlight() != 600 {
		t.Fatalf("bytes in flight: %d, want 600 with the second take refused", a.InFlight())
	}
}

func TestLimitsForRoles(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Producer.FramesPerSec, cfg.Subscriber.FramesPerSec = 100, 10
	cfg.Producer.Streams, cfg.Subscriber.Streams = 5, 0
	r := NewRegistry(cfg)
	tests := []struct {
		roles  uint8
		frames float64
		stream int
	}{
		{RoleProducer, 100, 5},
		{RoleSubscriber, 10, 0},
		{RoleProducer | RoleSubscriber, 100, 0}, // 0 (no limit) is the most generous
		{0, cfg.Anonymous.FramesPerSec, cfg.Anonymous.Streams},
	}
	for _, tt := range tests {
		l := r.LimitsFor(tt.roles)
		if l.FramesPerSec != tt.frames || l.Streams != tt.stream {
			t.Errorf("roles %b: frames %v streams %d, want %v %d", tt.roles, l.FramesPerSec, l.Streams, tt.frames, tt.stream)
		}
	}
}

// TestLabelsBounded: past the label limit, identities count as "other",
// and the earlier ones keep their labels.
func TestLabelsBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LabelLimit = 3
	cfg.Producer.FramesPerSec = 1
	r := NewRegistry(cfg)
	for i := range 10 {
		a, _ := r.Connect(fmt.Sprintf("car-%d", i), RoleProducer)
		a.AllowFrame(0)
		a.AllowFrame(0) // over the burst of 1
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(r.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var id, q string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "identity":
					id = l.GetValue()
				case "quota":
					q = l.GetValue()
				}
			}
			if q == "frames" {
				ids[id] += m.GetCounter().GetValue()
			}
		}
	}
	if len(ids) != 4 || ids["car-0"] != 1 || ids["car-2"] != 1 || ids[Other] != 7 {
		t.Errorf("frames exceeded by identity label = %v, want car-0..car-2 at 1 and other at 7", ids)
	}
	for id := range ids {
		if id != Other && !strings.HasPrefix(id, "car-") {
			t.Errorf("unexpected label %q", id)
		}
	}
}

// TestOwnerAndLiveObjects: an identity's owner key survives reconnecting
// (a fresh account must not mean a fresh live-objects allowance); the
// fusion loop's refusals are counted by owner key under the identity and
// reported once to its producer streams; backoff follows the bucket.
func TestOwnerAndLiveObjects(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Producer.LiveObjects, cfg.Producer.MapsPerSec = 7, 2
	r := NewRegistry(cfg)
	a, _ := r.Connect("cam", RoleProducer)
	owner := a.Owner()
	if owner == 0 || a.LiveObjects() != 7 {
		t.Fatalf("owner %x, live objects %d; want non-zero and 7", owner, a.LiveObjects())
	}
	r.ExceededOwner(owner, LiveObjects, 3)
	if got := testutil.ToFloat64(r.exceeded.WithLabelValues("cam", "live_objects")); got != 3 {
		t.Errorf("live_objects exceeded for cam = %v, want 3", got)
	}
	if n, again := a.TakeUntracked(), a.TakeUntracked(); n != 3 || again != 0 {
		t.Errorf("TakeUntracked %d then %d, want 3 then 0", n, again)
	}
	r.Disconnect(a)
	b, _ := r.Connect("cam", RoleProducer)
	if b == a || b.Owner() != owner {
		t.Errorf("reconnected: same account %v, owner %x; want a new account with owner %x", b == a, b.Owner(), owner)
	}
	if o, _ := r.Connect("other", RoleProducer); o.Owner() == owner {
		t.Error("two identities share an owner key")
	}
	r.Disconnect(b)
	r.ExceededOwner(owner, LiveObjects, 2) // gone: counted as other
	if got := testutil.ToFloat64(r.exceeded.WithLabelValues(Other, "live_objects")); got != 2 {
		t.Errorf("live_objects exceeded for a gone identity counted %v as other, want 2", got)
	}
	c, _ := r.Connect("mapper", RoleProducer)
	c.AllowMap(0)
	c.AllowMap(0)
	if c.AllowMap(0) {
		t.Fatal("third MAP at once allowed under 2/s")
	}
	if d := c.Backoff(Maps, 0, 1); d < 499*time.Millisecond || d > 501*time.Millisecond {
		t.Errorf("backoff %v after the MAP quota refused, want 500 ms", d)
	}
	if d := c.Backoff(Connections, 0, 1); d != 0 {
		t.Errorf("backoff %v for a quota that is not a rate", d)
	}
	var none *Account
	if none.Owner() != 0 || none.Backoff(Maps, 0, 1) != 0 || none.TakeUntracked() != 0 {
		t.Error("a nil account has an owner, a backoff or untracked measurements")
	}
}

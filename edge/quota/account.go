package quota

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Kind names one quota, as the quota label of v2x_quota_exceeded_total.
type Kind uint8

// Quotas.
const (
	Frames Kind = iota
	Objects
	BytesInFlight
	Connections
	Streams
	Subscriptions
	Subscribes // Subscribe and Resync frames
	Maps
	InboxShare  // measurements shed because the identity exceeded its share of the fusion inbox
	LiveObjects // measurements that started no object because the identity holds its LiveObjects
	numKinds
)

var kindNames = [numKinds]string{"frames", "objects", "bytes_in_flight", "connections", "streams", "subscriptions",
	"subscribes", "maps", "inbox_share", "live_objects"}

// String returns the quota's label value.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

// Account is one identity's quota state, shared by all its connections
// and streams. Its methods are safe for concurrent use and allocate
// nothing. A nil *Account allows everything and counts nothing (sources
// without an identity).
type Account struct {
	name  string
	label string
	owner uint64 // Owner
	lim   Limits
	reg   *Registry
	refs  int // connections holding it; guarded by reg.mu

	mu                       sync.Mutex
	frames, objects, subs, m Bucket

	conns, streams, subscriptions atomic.Int64
	inFlight                      atomic.Int64
	// untracked is how many measurements started no object (LiveObjects)
	// since the identity's producer streams last said so (TakeUntracked).
	untracked atomic.Int64

	exceeded [numKinds]prometheus.Counter
}

// Name returns the identity's name.
func (a *Account) Name() string { return a.name }

// Label returns the identity's bounded metric label (its name, or Other).
func (a *Account) Label() string { return a.label }

// Limits returns the account's limits.
func (a *Account) Limits() Limits { return a.lim }

// Owner returns the identity's owner key for the fusion loop's per-identity
// bookkeeping (LiveObjects): a hash of its name, never 0, the same for
// every account of the name in the registry's life, so that reconnecting
// does not give an identity a fresh allowance; 0 for a nil account.
func (a *Account) Owner() uint64 {
	if a == nil {
		return 0
	}
	return a.owner
}

// LiveObjects returns the identity's LiveObjects limit (0: none).
func (a *Account) LiveObjects() int {
	if a == nil {
		return 0
	}
	return a.lim.LiveObjects
}

// Exceeded counts n refusals under quota k.
func (a *Account) Exceeded(k Kind, n int) {
	if a != nil && n > 0 {
		a.exceeded[k].Add(float64(n))
		if k == LiveObjects {
			a.untracked.Add(int64(n))
		}
	}
}

// TakeUntracked returns how many of the identity's measurements started no
// object for its LiveObjects limit since the last call, and resets it: a
// producer stream tells its sender.
func (a *Account) TakeUntracked() int64 {
	if a == nil || a.untracked.Load() == 0 {
		return 0
	}
	return a.untracked.Swap(0)
}

func (a *Account) allow(b *Bucket, k Kind, now int64, n float64) bool {
	if a == nil {
		return true
	}
	a.mu.Lock()
	ok := b.Allow(now, n)
	a.mu.Unlock()
	if !ok {
		a.exceeded[k].Inc()
	}
	return ok
}

// Backoff returns how long a stream of the identity should wait before
// reading on, after quota k (Frames, Objects, Subscribes or Maps) refused
// n at time now: until the bucket holds n again, at most MaxBackoff. A
// stream that waits instead of reading and refusing what follows leaves
// the sender to QUIC flow control: a flood then costs the node what the
// quota allows and not what the sender can write. 0 for other quotas and
// a nil account.
func (a *Account) Backoff(k Kind, now int64, n int) time.Duration {
	if a == nil {
		return 0
	}
	var b *Bucket
	switch k {
	case Frames:
		b = &a.frames
	case Objects:
		b = &a.objects
	case Subscribes:
		b = &a.subs
	case Maps:
		b = &a.m
	default:
		return 0
	}
	a.mu.Lock()
	d := b.Need(now, float64(n))
	a.mu.Unlock()
	return min(time.Duration(d), MaxBackoff)
}

// MaxBackoff bounds Backoff.
const MaxBackoff = time.Second

// AllowFrame takes one frame at time now (monotonic ns).
func (a *Account) AllowFrame(now int64) bool {
	return a == nil || a.allow(&a.frames, Frames, now, 1)
}

// AllowObjects takes n measurements.
func (a *Account) AllowObjects(now int64, n int) bool {
	return a == nil || a.allow(&a.objects, Objects, now, float64(n))
}

// AllowSubscribe takes one Subscribe or Resync frame.
func (a *Account) AllowSubscribe(now int64) bool {
	return a == nil || a.allow(&a.subs, Subscribes, now, 1)
}

// AllowMap takes one MAP frame.
func (a *Account) AllowMap(now int64) bool {
	return a == nil || a.allow(&a.m, Maps, now, 1)
}

// hold increments c if it stays within limit (0: none), counting a
// refusal under k.
func (a *Account) hold(c *atomic.Int64, limit int64, k Kind) bool {
	if a == nil {
		return true
	}
	if v := c.Add(1); limit > 0 && v > limit {
		c.Add(-1)
		a.exceeded[k].Inc()
		return false
	}
	return true
}

// OpenStream holds one stream; CloseStream gives it back.
func (a *Account) OpenStream() bool { return a.hold(&a.streams, int64(a.lim.Streams), Streams) }

// CloseStream gives back a stream held by OpenStream.
func (a *Account) CloseStream() {
	if a != nil {
		a.streams.Add(-1)
	}
}

// OpenSubscription holds one subscription.
func (a *Account) OpenSubscription() bool {
	if a == nil {
		return true
	}
	return a.hold(&a.subscriptions, int64(a.lim.Subscriptions), Subscriptions)
}

// CloseSubscription gives back a subscription.
func (a *Account) CloseSubscription() {
	if a != nil {
		a.subscriptions.Add(-1)
	}
}

// Take holds n more bytes of frame buffers (wire.Budget); false when that
// would exceed BytesInFlight.
func (a *Account) Take(n int64) bool {
	if a == nil {
		return true
	}
	if v := a.inFlight.Add(n); a.lim.BytesInFlight > 0 && v > a.lim.BytesInFlight {
		a.inFlight.Add(-n)
		a.exceeded[BytesInFlight].Inc()
		return false
	}
	return true
}

// Give returns n bytes held by Take.
func (a *Account) Give(n int64) {
	if a != nil {
		a.inFlight.Add(-n)
	}
}

// InFlight returns the bytes held by Take.
func (a *Account) InFlight() int64 { return a.inFlight.Load() }

package quota

// Bucket is a token bucket: Rate tokens per second, holding at most Burst.
// Times are monotonic nanoseconds (edge/clock.Now). The zero Bucket, and
// one with Rate 0, allows everything. It is not safe for concurrent use:
// Account guards its buckets.
type Bucket struct {
	rate   float64 // tokens per nanosecond
	burst  float64
	tokens float64
	last   int64
}

// NewBucket returns a full bucket of rate tokens per second and burst
// tokens at most; burst <= 0 means one second's worth (at least 1).
func NewBucket(rate, burst float64) Bucket {
	if rate <= 0 {
		return Bucket{}
	}
	if burst <= 0 {
		burst = max(rate, 1)
	}
	return Bucket{rate: rate / 1e9, burst: burst, tokens: burst, last: -1}
}

// Unlimited reports whether the bucket allows everything.
func (b *Bucket) Unlimited() bool { return b.rate == 0 }

// Allow takes n tokens at time now if the bucket holds them and reports
// whether it did. A refused request takes nothing.
func (b *Bucket) Allow(now int64, n float64) bool {
	if b.rate == 0 {
		return true
	}
	if b.last < 0 {
		b.last = now
	}
	if dt := now - b.last; dt > 0 {
		b.tokens = min(b.burst, b.tokens+float64(dt)*b.rate)
		b.last = now
	}
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}

// Need returns how long from now (ns) until the bucket holds n tokens, as
// it stands at time now; 0 when it does already. A request larger than
// the burst can never be met: it gets the time to fill the bucket.
func (b *Bucket) Need(now int64, n float64) int64 {
	if b.rate == 0 {
		return 0
	}
	tokens := b.tokens
	if b.last >= 0 && now > b.last {
		tokens = min(b.burst, tokens+float64(now-b.last)*b.rate)
	}
	n = min(n, b.burst)
	if tokens >= n {
		return 0
	}
	return int64((n-tokens)/b.rate) + 1
}

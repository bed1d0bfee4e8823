package wire

// Clock exchange (NTP-style). Either side may send a ClockRequest carrying
// T1, its own send time. The peer answers with a ClockResponse carrying T1,
// T2 (when it received the request, on its clock) and T3 (when it sent the
// response, on its clock). The originator notes T4, its receive time, and
// forms a ClockSample.

// ClockRequestLen and ClockResponseLen are the payload sizes.
const (
	ClockRequestLen  = 8
	ClockResponseLen = 24
)

// AppendClockRequest appends a ClockRequest payload.
func AppendClockRequest(b []byte, t1 int64) []byte { return appendU64(b, uint64(t1)) }

// DecodeClockRequest decodes a ClockRequest payload.
func DecodeClockRequest(p []byte) (t1 int64, err error) {
	if err := checkLen("clock request", len(p), ClockRequestLen); err != nil {
		return 0, err
	}
	d := dec{b: p}
	return d.i64(), nil
}

// AppendClockResponse appends a ClockResponse payload.
func AppendClockResponse(b []byte, t1, t2, t3 int64) []byte {
	b = appendU64(b, uint64(t1))
	b = appendU64(b, uint64(t2))
	return appendU64(b, uint64(t3))
}

// DecodeClockResponse decodes a ClockResponse payload.
func DecodeClockResponse(p []byte) (t1, t2, t3 int64, err error) {
	if err := checkLen("clock response", len(p), ClockResponseLen); err != nil {
		return 0, 0, 0, err
	}
	d := dec{b: p}
	return d.i64(), d.i64(), d.i64(), nil
}

// ClockSample is one completed exchange.
type ClockSample struct{ T1, T2, T3, T4 int64 }

// Offset is the peer's clock minus ours: add it to a time on our clock to
// get the same instant on the peer's clock.
func (s ClockSample) Offset() int64 { return ((s.T2 - s.T1) + (s.T3 - s.T4)) / 2 }

// RTT is the round-trip time net of the peer's processing time.
func (s ClockSample) RTT() int64 { return (s.T4 - s.T1) - (s.T3 - s.T2) }

// plausible reports whether the sample can come from a working peer and
// its Offset and RTT can be computed without overflow.
func (s ClockSample) plausible() bool {
	local, ok1 := sub64(s.T4, s.T1)  // originator's round trip, >= 0
	remote, ok2 := sub64(s.T3, s.T2) // peer's processing time, >= 0
	out, ok3 := sub64(s.T2, s.T1)
	back, ok4 := sub64(s.T3, s.T4)
	_, ok5 := add64(out, back)
	return ok1 && ok2 && ok3 && ok4 && ok5 && local >= 0 && remote >= 0 && local >= remote
}

// sub64 returns a-b and whether it did not overflow.
func sub64(a, b int64) (int64, bool) {
	d := a - b
	return d, (d < a) == (b > 0)
}

// add64 returns a+b and whether it did not overflow.
func add64(a, b int64) (int64, bool) {
	s := a + b
	return s, (s > a) == (b > 0)
}

// ClockFilter keeps the recent samples of one peer and estimates its
// offset from the sample with the smallest round trip, the one least
// disturbed by queueing. The zero value is ready to use; it is not safe for
// concurrent use.
type ClockFilter struct {
	samples [8]ClockSample
	n, next int
}

// Add records a sample. Impossible samples, a sign of a broken peer, are
// ignored and reported false: a negative RTT, a reply received before the
// request was sent (T4 < T1) or sent before it was received (T3 < T2), and
// times so far apart that Offset or RTT would overflow.
func (f *ClockFilter) Add(s ClockSample) bool {
	if !s.plausible() {
		return false
	}
	f.samples[f.next] = s
	f.next = (f.next + 1) % len(f.samples)
	f.n = min(f.n+1, len(f.samples))
	return true
}

// Offset returns the estimated peer-minus-local offset, its round-trip time
// (the uncertainty of the offset is at most half of it), and whether any
// sample exists.
func (f *ClockFilter) Offset() (offset, rtt int64, ok bool) {
	if f.n == 0 {
		return 0, 0, false
	}
	best := f.samples[0]
	for _, s := range f.samples[1:f.n] {
		if s.RTT() < best.RTT() {
			best = s
		}
	}
	return best.Offset(), best.RTT(), true
}

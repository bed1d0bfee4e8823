package wire

import (
	"bytes"
	"math"
	"testing"
)

// The sample clock exchange: the node asks at t1 (its clock); the producer,
// whose clock runs 5 ms ahead, receives it 0.25 ms later and answers after
// 40 µs.
const (
	sampleT1 = captureNS + 2_000_000
	sampleT2 = sampleT1 + 5_000_000 + 250_000
	sampleT3 = sampleT2 + 40_000
)

var clockRequestCodec = payloadCodec{
	typ:    TypeClockRequest,
	header: Header{},
	sample: func() []byte { return AppendClockRequest(nil, sampleT1) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		t1, err := DecodeClockRequest(p)
		if err != nil {
			return nil, err
		}
		return AppendClockRequest(nil, t1), nil
	},
	canon: cloneBytes,
}

var clockResponseCodec = payloadCodec{
	typ:    TypeClockResponse,
	header: Header{},
	sample: func() []byte { return AppendClockResponse(nil, sampleT1, sampleT2, sampleT3) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		t1, t2, t3, err := DecodeClockResponse(p)
		if err != nil {
			return nil, err
		}
		return AppendClockResponse(nil, t1, t2, t3), nil
	},
	canon: cloneBytes,
}

func TestClockRoundTrip(t *testing.T) {
	for _, v := range [][3]int64{
		{sampleT1, sampleT2, sampleT3},
		{0, 0, 0},
		{math.MinInt64, math.MaxInt64, -1},
	} {
		p := AppendClockRequest(nil, v[0])
		if len(p) != ClockRequestLen || int64(be64(p, 0)) != v[0] {
			t.Errorf("request % x", p)
		}
		if t1, err := DecodeClockRequest(p); err != nil || t1 != v[0] {
			t.Errorf("request round trip: %d, %v", t1, err)
		}
		p = AppendClockResponse(nil, v[0], v[1], v[2])
		if len(p) != ClockResponseLen || int64(be64(p, 0)) != v[0] || int64(be64(p, 8)) != v[1] || int64(be64(p, 16)) != v[2] {
			t.Errorf("response % x", p)
		}
		t1, t2, t3, err := DecodeClockResponse(p)
		if err != nil || [3]int64{t1, t2, t3} != v {
			t.Errorf("response round trip: %d %d %d, %v", t1, t2, t3, err)
		}
	}
}

func TestDecodeClockErrors(t *testing.T) {
	req := func(p []byte) error { _, err := DecodeClockRequest(p); return err }
	resp := func(p []byte) error { _, _, _, err := DecodeClockResponse(p); return err }
	checkPrefixes(t, AppendClockRequest(nil, sampleT1), req)
	checkTrailing(t, AppendClockRequest(nil, sampleT1), req)
	checkPrefixes(t, AppendClockResponse(nil, sampleT1, sampleT2, sampleT3), resp)
	checkTrailing(t, AppendClockResponse(nil, sampleT1, sampleT2, sampleT3), resp)
}

const ms = int64(1_000_000)

func TestClockSample(t *testing.T) {
	base := captureNS
	cases := []struct {
		name        string
		s           ClockSample
		offset, rtt int64
	}{
		{
			// 1 ms each way, 0.1 ms processing, peer 5 ms ahead.
			name:   "peer ahead",
			s:      ClockSample{T1: base, T2: base + 1*ms + 5*ms, T3: base + 1*ms + 5*ms + ms/10, T4: base + 2*ms + ms/10},
			offset: 5 * ms, rtt: 2 * ms,
		},
		{
			// 1 ms each way, 0.2 ms processing, peer 3 s behind.
			name:   "peer behind",
			s:      ClockSample{T1: base, T2: base + 1*ms - 3000*ms, T3: base + 1*ms - 3000*ms + ms/5, T4: base + 2*ms + ms/5},
			offset: -3000 * ms, rtt: 2 * ms,
		},
		{
			// Same clocks, 3 ms out and 1 ms back: the estimate is off by
			// half the asymmetry, (3-1)/2 = 1 ms, within rtt/2.
			name:   "asymmetric delay",
			s:      ClockSample{T1: base, T2: base + 3*ms, T3: base + 3*ms, T4: base + 4*ms},
			offset: 1 * ms, rtt: 4 * ms,
		},
		{
			// Peer 7 ms ahead, 0.5 ms out and 2.5 ms back: off by -1 ms.
			name:   "asymmetric, peer ahead",
			s:      ClockSample{T1: base, T2: base + ms/2 + 7*ms, T3: base + ms/2 + 7*ms + ms, T4: base + 4*ms},
			offset: 6 * ms, rtt: 3 * ms,
		},
		{
			name:   "instant, same clock",
			s:      ClockSample{T1: base, T2: base, T3: base, T4: base},
			offset: 0, rtt: 0,
		},
	}
	for _, c := range cases {
		if got := c.s.Offset(); got != c.offset {
			t.Errorf("%s: offset %d, want %d", c.name, got, c.offset)
		}
		if got := c.s.RTT(); got != c.rtt {
			t.Errorf("%s: rtt %d, want %d", c.name, got, c.rtt)
		}
		var f ClockFilter
		if !f.Add(c.s) {
			t.Errorf("%s: sample rejected", c.name)
		}
		if off, rtt, ok := f.Offset(); !ok || off != c.offset || rtt != c.rtt {
			t.Errorf("%s: filter says %d, %d, %v", c.name, off, rtt, ok)
		}
	}
}

func TestClockFilterRejects(t *testing.T) {
	base := captureNS
	bad := []struct {
		name string
		s    ClockSample
	}{
		{"negative rtt", ClockSample{T1: base, T2: base + 10, T3: base + 20, T4: base + 5}},
		{"reply before request", ClockSample{T1: base, T2: base, T3: base, T4: base - 1}},
		{"peer sent before it received", ClockSample{T1: base, T2: base + 5*ms, T3: base + 4*ms, T4: base + 2*ms}},
		{"overflowing peer times", ClockSample{T1: base, T2: math.MinInt64, T3: math.MaxInt64, T4: base + ms}},
		{"peer at the far past", ClockSample{T1: base, T2: math.MinInt64 + 10, T3: math.MinInt64 + 10, T4: base + ms}},
		{"peer at the far future", ClockSample{T1: -base, T2: math.MaxInt64, T3: math.MaxInt64, T4: -base + ms}},
	}
	for _, c := range bad {
		var f ClockFilter
		if f.Add(c.s) {
			t.Errorf("%s: accepted", c.name)
		}
		if _, _, ok := f.Offset(); ok {
			t.Errorf("%s: filter has an estimate from a rejected sample", c.name)
		}
	}
	var f ClockFilter
	if _, _, ok := f.Offset(); ok {
		t.Error("empty filter has an estimate")
	}
}

// exchange makes a sample with the given round trip and offset, the peer
// answering at once and the delay split evenly.
func exchange(t1, rtt, offset int64) ClockSample {
	t2 := t1 + rtt/2 + offset
	return ClockSample{T1: t1, T2: t2, T3: t2, T4: t1 + rtt}
}

func TestClockFilterMinRTT(t *testing.T) {
	var f ClockFilter
	t1 := captureNS
	for i, s := range []struct{ rtt, offset int64 }{{8 * ms, 40 * ms}, {2 * ms, 10 * ms}, {5 * ms, 20 * ms}, {3 * ms, 30 * ms}} {
		if !f.Add(exchange(t1+int64(i)*2000*ms, s.rtt, s.offset)) {
			t.Fatalf("sample %d rejected", i)
		}
	}
	if off, rtt, ok := f.Offset(); !ok || off != 10*ms || rtt != 2*ms {
		t.Errorf("estimate %d, %d, %v; want the 2 ms sample's offset 10 ms", off, rtt, ok)
	}
	// A rejected sample changes nothing.
	if f.Add(ClockSample{T1: t1, T2: t1 + 10, T3: t1 + 20, T4: t1 + 5}) {
		t.Fatal("negative rtt accepted")
	}
	if off, _, _ := f.Offset(); off != 10*ms {
		t.Errorf("estimate moved to %d after a rejected sample", off)
	}
}

func TestClockFilterRing(t *testing.T) {
	var f ClockFilter
	t1 := captureNS
	add := func(rtt, offset int64) {
		t.Helper()
		if !f.Add(exchange(t1, rtt, offset)) {
			t.Fatal("sample rejected")
		}
		t1 += 2000 * ms
	}
	add(1*ms, 111*ms) // the best sample, and the oldest
	for i := range 7 {
		add(10*ms+int64(i)*ms, 222*ms)
	}
	if off, rtt, _ := f.Offset(); off != 111*ms || rtt != 1*ms {
		t.Fatalf("with 8 samples: %d, %d; want the 1 ms sample", off, rtt)
	}
	add(20*ms, 333*ms) // the ninth sample pushes out the first
	if off, rtt, _ := f.Offset(); off != 222*ms || rtt != 10*ms {
		t.Fatalf("after the ring wrapped: %d, %d; want the 10 ms sample", off, rtt)
	}
	// Eight more samples replace everything.
	for range 8 {
		add(30*ms, 444*ms)
	}
	if off, rtt, _ := f.Offset(); off != 444*ms || rtt != 30*ms {
		t.Fatalf("after a full turn: %d, %d", off, rtt)
	}
	if f.n != 8 {
		t.Errorf("ring holds %d samples, want 8", f.n)
	}
}

func FuzzDecodeClock(f *testing.F) {
	f.Add(AppendClockRequest(nil, sampleT1), int64(sampleT1+ms))
	f.Add(AppendClockResponse(nil, sampleT1, sampleT2, sampleT3), int64(sampleT1+ms))
	f.Add(AppendClockResponse(nil, 0, math.MinInt64, math.MaxInt64), int64(0))
	f.Add(AppendClockResponse(nil, -1, math.MaxInt64, math.MaxInt64), int64(math.MinInt64))
	f.Fuzz(func(t *testing.T, p []byte, t4 int64) {
		if t1, err := DecodeClockRequest(p); err != nil {
			checkDecodeError(t, err)
		} else if q := AppendClockRequest(nil, t1); !bytes.Equal(q, p) {
			t.Fatalf("request re-encodes to %x", q)
		}
		t1, t2, t3, err := DecodeClockResponse(p)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if q := AppendClockResponse(nil, t1, t2, t3); !bytes.Equal(q, p) {
			t.Fatalf("response re-encodes to %x", q)
		}
		s := ClockSample{T1: t1, T2: t2, T3: t3, T4: t4}
		var fl ClockFilter
		if !fl.Add(s) {
			return
		}
		off, rtt, ok := fl.Offset()
		if !ok || rtt < 0 || rtt > t4-t1 || off != s.Offset() {
			t.Fatalf("accepted %+v gives offset %d, rtt %d", s, off, rtt)
		}
		// The estimate is consistent with the exchange: the peer's times
		// mapped to our clock lie within the round trip.
		// (Allowing 1 ns for rounding; written so as not to overflow.)
		if lo, hi := t2-off, t3-off; (lo < t1 && t1-lo != 1) || (hi > t4 && hi-t4 != 1) {
			t.Fatalf("%+v: peer times map to [%d, %d], outside [%d, %d]", s, lo, hi, t1, t4)
		}
	})
}

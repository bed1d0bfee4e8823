package edge

import (
	"context"
	"math"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// driveBSMs sends n moving vehicles at rate Hz until ctx ends.
func driveBSMs(t *testing.T, ctx context.Context, p *client.Producer, n int, rate time.Duration) {
	t.Helper()
	go func() {
		tk := time.NewTicker(rate)
		defer tk.Stop()
		for k := 0; ctx.Err() == nil; k++ {
			for i := 0; i < n; i++ {
				b := bsmAt(uint64(100+i), float64(i%10)*8-40+float64(k)*0.2, float64(i/10)*8-20)
				if p.SendBSM(1, clock.Now(), &b) != nil {
					return
				}
			}
			select {
			case <-ctx.Done():
			case <-tk.C:
			}
		}
	}()
}

// copyState returns a deep copy of s.
func copyState(s *wire.State) wire.State {
	c := *s
	c.Objects = append([]wire.StateObject(nil), s.Objects...)
	c.Signals = append([]wire.SignalState(nil), s.Signals...)
	return c
}

// TestPackedMatchesRaw runs raw and packed subscribers side by side: every
// state a packed subscriber reassembles from keyframes and deltas (on the
// stream or in datagrams) equals the raw state of the same sequence number
// at broadcast precision, and the packed bytes are a fraction of the raw.
func TestPackedMatchesRaw(t *testing.T) {
	for _, comp := range []string{"zstd", "s2", "none"} {
		t.Run(comp, func(t *testing.T) {
			n, opts := startNode(t, func(c *Config) {
				c.Compression = comp
				c.KeyframeInterval = 500 * time.Millisecond
			})
			raw := subscribe(t, dial(t, n, opts), wire.Subscribe{})
			subs := map[string]*client.Subscription{
				"datagram": subscribe(t, dial(t, n, opts), wire.Subscribe{Flags: wire.SubPacked}),
				"stream":   subscribe(t, dial(t, n, opts), wire.Subscribe{Flags: wire.SubPacked | wire.SubNoDatagram}),
				"capped":   subscribe(t, dial(t, n, opts), wire.Subscribe{Flags: wire.SubPacked, MaxRate: 10}),
			}
			p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			driveBSMs(t, ctx, p, 40, 20*time.Millisecond)

			var mu sync.Mutex
			rawBySeq := map[uint64]wire.State{}
			var wg sync.WaitGroup
			deadline := time.Now().Add(2 * time.Second)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					u := nextUntil(t, raw, 2*time.Second, func(*client.Update) bool { return true })
					mu.Lock()
					rawBySeq[u.Seq] = copyState(&u.State)
					mu.Unlock()
				}
			}()
			got := map[string][]wire.State{}
			seqs := map[string][]uint64{}
			times := map[string][]int64{}
			for name, s := range subs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Now().Before(deadline) {
						u := nextUntil(t, s, 2*time.Second, func(*client.Update) bool { return true })
						if !u.Packed {
							t.Errorf("%s: got a State frame, not an Update", name)
							return
						}
						mu.Lock()
						got[name] = append(got[name], copyState(&u.State))
						seqs[name] = append(seqs[name], u.Seq)
						times[name] = append(times[name], u.TimeNS)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			cancel()

			for name, states := range got {
				compared := 0
				for i, st := range states {
					r, ok := rawBySeq[seqs[name][i]]
					if !ok {
						continue
					}
					compared++
					if msg := samePacked(&r, &st); msg != "" {
						t.Fatalf("%s: state %d differs from the raw one: %s", name, seqs[name][i], msg)
					}
				}
				if compared < 5 {
					t.Errorf("%s: only %d states to compare", name, compared)
				}
				stats := subs[name].Stats()
				if stats.Keyframes == 0 || stats.Deltas == 0 {
					t.Errorf("%s: %d keyframes and %d deltas, want both", name, stats.Keyframes, stats.Deltas)
				}
				switch name {
				case "datagram":
					if stats.Datagrams == 0 {
						t.Errorf("datagram: no update came as a datagram (%+v)", stats)
					}
				case "stream":
					if stats.Datagrams != 0 {
						t.Errorf("stream: %d datagrams despite SubNoDatagram", stats.Datagrams)
					}
				case "capped":
					// One update per 100 ms slot of the node clock, besides
					// the answer to the subscription itself: n updates at
					// node times spanning d fall in n slots, and a span d
					// touches at most d/100ms + 2 of them. The lower bound
					// only proves the cap does not starve the subscriber:
					// under -race on a loaded CI machine fewer slots fit in
					// the window.
					ts := times[name][1:]
					span := time.Duration(ts[len(ts)-1] - ts[0])
					if most := int(span/(100*time.Millisecond)) + 2; len(ts) > most || len(states) < 5 {
						t.Errorf("capped at 10 Hz: %d updates after the first in %v (at most %d), %d in all (%+v)", len(ts), span, most, len(states), stats)
					}
				}
			}
			sent := testutil.ToFloat64(n.m.bc.bytes[pathStream]) + testutil.ToFloat64(n.m.bc.bytes[pathDatagram])
			rawBytes := testutil.ToFloat64(n.m.bc.rawBytes) - testutil.ToFloat64(n.m.bc.stateBytes)
			t.Logf("%s: packed %0.f bytes for %0.f raw (%.1fx), %0.f encodings for %0.f updates", comp, sent, rawBytes, rawBytes/sent,
				testutil.ToFloat64(n.m.bc.encodings), testutil.ToFloat64(n.m.bc.delivered))
			if comp == "zstd" && rawBytes < 3*sent {
				t.Errorf("zstd: %0.f packed bytes for %0.f raw: less than 3x smaller", sent, rawBytes)
			}
		})
	}
}

// samePacked compares a raw state with a reassembled one at broadcast
// precision.
func samePacked(raw, got *wire.State) string {
	var want wire.PackedState
	want.IngestNS, want.Intersection, want.Flags = raw.IngestNS, raw.Intersection, raw.Flags
	for i := range raw.Objects {
		var p wire.PackedObject
		p.Pack(&raw.Objects[i])
		want.Objects = append(want.Objects, p)
	}
	if len(got.Objects) != len(want.Objects) {
		return "object count"
	}
	byID := map[uint32]wire.PackedObject{}
	for _, p := range want.Objects {
		byID[p.ID] = p
	}
	for i := range got.Objects {
		var p wire.PackedObject
		p.Pack(&got.Objects[i])
		if w, ok := byID[p.ID]; !ok || w != p {
			return "object " + string(rune('0'+i%10))
		}
	}
	if len(got.Signals) != len(raw.Signals) || got.IngestNS != raw.IngestNS {
		return "signals or ingest time"
	}
	return ""
}

// TestResyncGetsKeyframe speaks the protocol by hand: after a Resync the
// next Update is a keyframe, and the request is counted.
func TestResyncGetsKeyframe(t *testing.T) {
	n, opts := startNode(t, func(c *Config) { c.KeyframeInterval = time.Minute; c.PublishTick = 10 * time.Millisecond })
	c := dial(t, n, opts)
	st, err := c.QUIC().OpenStreamSync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fw := wire.NewWriter(st)
	r := wire.NewReader(st, 0)
	h := wire.Header{Type: wire.TypeSubscribe}
	sub := wire.Subscribe{Flags: wire.SubPacked | wire.SubNoDatagram}
	fw.WriteFrame(&h, 0, func(b []byte) []byte { return wire.AppendSubscribe(b, &sub) })
	next := func() wire.Update {
		t.Helper()
		st.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			h, p, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if h.Type != wire.TypeUpdate {
				continue
			}
			var u wire.Update
			if _, err := wire.DecodeUpdate(p, &u); err != nil {
				t.Fatal(err)
			}
			return u
		}
	}
	if u := next(); u.Flags&wire.UpdateKeyframe == 0 {
		t.Fatal("first update is not a keyframe")
	}
	for i := 0; i < 3; i++ {
		if u := next(); u.Flags&wire.UpdateKeyframe != 0 {
			t.Fatalf("update %d is a keyframe with a one-minute keyframe interval", i+2)
		}
	}
	rh := wire.Header{Type: wire.TypeResync}
	fw.WriteFrame(&rh, 0, func(b []byte) []byte { return wire.AppendResync(b, 0) })
	for i := 0; ; i++ {
		u := next()
		if u.Flags&wire.UpdateKeyframe != 0 {
			break
		}
		if i > 3 { // a few deltas may already be in flight
			t.Fatal("no keyframe after Resync")
		}
	}
	if got := testutil.ToFloat64(n.m.bc.resyncs); got != 1 {
		t.Errorf("resyncs counted %v, want 1", got)
	}
}

// TestReconnectGetsKeyframeAtOnce: a subscriber that comes back on a new
// connection gets a keyframe first, long before the periodic one.
func TestReconnectGetsKeyframeAtOnce(t *testing.T) {
	n, opts := startNode(t, func(c *Config) { c.KeyframeInterval = time.Minute; c.PublishTick = 10 * time.Millisecond })
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	driveBSMs(t, ctx, p, 10, 20*time.Millisecond)
	for round := 0; round < 3; round++ {
		c := dial(t, n, opts)
		s := subscribe(t, c, wire.Subscribe{Flags: wire.SubPacked})
		start := time.Now()
		u := nextUntil(t, s, 2*time.Second, func(*client.Update) bool { return true })
		if !u.Keyframe {
			t.Fatalf("round %d: first update after connecting is not a keyframe", round)
		}
		nextUntil(t, s, 2*time.Second, func(u *client.Update) bool { return !u.Keyframe })
		t.Logf("round %d: keyframe %v after subscribing", round, time.Since(start))
		s.Close()
		c.Close()
	}
}

// TestStalledPackedSubscriberBounded: a packed subscriber that reads
// nothing costs bounded memory while others keep getting fresh states.
func TestStalledPackedSubscriberBounded(t *testing.T) {
	n, opts := startNode(t, func(c *Config) { c.PublishTick = 10 * time.Millisecond })
	stalled := subscribe(t, dial(t, n, opts), wire.Subscribe{Flags: wire.SubPacked | wire.SubNoDatagram})
	_ = stalled // never read
	fast := subscribe(t, dial(t, n, opts), wire.Subscribe{Flags: wire.SubPacked})
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	list := v2x.ObjectList{SensorID: 3}
	f := geo.NewFrame(refLat, refLon, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for k := 0; ctx.Err() == nil; k++ {
			list.Objects = list.Objects[:0]
			for i := 0; i < 300; i++ {
				// moving objects, so that deltas are not empty
				lat, lon, _ := f.FromENU(float64(i%30)*3+float64(k%100)*0.1, float64(i/30)*3, 0)
				list.Objects = append(list.Objects, v2x.DetectedObject{LocalID: uint32(i), Class: v2x.ClassCar, Lat: lat, Lon: lon})
			}
			p.SendObjects(3, clock.Now(), &list)
			<-tk.C
		}
	}()
	var ms runtime.MemStats
	heap := func() float64 {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapInuse)
	}
	start := time.Now()
	var h1 float64
	got, maxAge := 0, int64(0)
	for time.Since(start) < 5*time.Second {
		u := nextUntil(t, fast, 2*time.Second, func(*client.Update) bool { return true })
		if h1 == 0 && time.Since(start) > 2*time.Second {
			h1 = heap() // the stalled stream's window is full by now
		}
		if h1 != 0 {
			got++
			maxAge = max(maxAge, u.AgeNS)
		}
	}
	h2 := heap()
	t.Logf("heap in use %.1f MB after 2 s, %.1f MB after 5 s; fast subscriber: %d updates, max age %v", h1/1e6, h2/1e6, got, time.Duration(maxAge))
	// Liveness, not throughput: under -race on a loaded 2-core CI machine
	// the flood and the test share the CPU (24 updates in 3 s seen there);
	// freshness is asserted per update above.
	if got < 10 {
		t.Errorf("fast subscriber got %d updates in 3 s while another stalled", got)
	}
	if maxAge > int64(500*time.Millisecond) {
		t.Errorf("fast subscriber saw a state %v old", time.Duration(maxAge))
	}
	if grow := h2 - h1; grow > 20e6 || math.IsNaN(grow) {
		t.Errorf("heap grew %.1f MB in 3 s with a stalled subscriber", grow/1e6)
	}
}

// TestOverloadShedsAndCounts floods a node with a small inbox at many times
// what it can fold in: it stays up, what it sheds is counted, memory stays
// bounded and a subscriber keeps getting fresh states.
func TestOverloadShedsAndCounts(t *testing.T) {
	n, opts := startNode(t, func(c *Config) { c.InboxSize = 256 })
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{Flags: wire.SubPacked})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := geo.NewFrame(refLat, refLon, 0)
	for w := 0; w < 4; w++ { // four producers, each as fast as it can write
		p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			list := v2x.ObjectList{SensorID: uint32(10 + w)}
			for i := 0; i < 200; i++ {
				lat, lon, _ := f.FromENU(float64(i%20)*4, float64(i/20)*4, 0)
				list.Objects = append(list.Objects, v2x.DetectedObject{LocalID: uint32(i), Class: v2x.ClassCar, Lat: lat, Lon: lon})
			}
			for ctx.Err() == nil {
				if p.SendObjects(uint32(10+w), clock.Now(), &list) != nil {
					return
				}
			}
		}()
	}
	var ms runtime.MemStats
	heap := func() float64 { runtime.GC(); runtime.ReadMemStats(&ms); return float64(ms.HeapInuse) }
	start := time.Now()
	var h1 float64
	got := 0
	for time.Since(start) < 4*time.Second {
		u := nextUntil(t, sub, 2*time.Second, func(*client.Update) bool { return true })
		if time.Since(start) > time.Second {
			if h1 == 0 {
				h1 = heap()
			}
			got++
			if u.IngestAgeNS > int64(time.Second) {
				t.Fatalf("state %v old under overload", time.Duration(u.IngestAgeNS))
			}
		}
	}
	h2 := heap()
	shed := testutil.ToFloat64(n.m.shed)
	in := testutil.ToFloat64(n.m.fusion.measuresIn)
	t.Logf("folded in %.0f measurements, shed %.0f; %d updates in 3 s; heap %.1f -> %.1f MB", in, shed, got, h1/1e6, h2/1e6)
	if shed == 0 {
		t.Error("nothing shed: the flood did not overload the inbox, or shedding is not counted")
	}
	// Liveness, not throughput: under -race on a loaded 2-core CI machine
	// the flood and the test share the CPU (24 updates in 3 s seen there);
	// freshness is asserted per update above.
	if got < 10 {
		t.Errorf("subscriber got %d updates in 3 s under overload", got)
	}
	if h2-h1 > 30e6 {
		t.Errorf("heap grew %.1f MB in 3 s of overload", (h2-h1)/1e6)
	}
	resp, err := http.Get("http://" + n.HTTPAddr() + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz under overload: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestBurstLimitStarvesNobody: with at most one rate-capped subscriber
// woken per publication and new data only 20 times a second, six
// subscribers asking for 10 Hz cannot all get it, but every one keeps
// getting states: the deferred go with later publications, longest due
// first.
func TestBurstLimitStarvesNobody(t *testing.T) {
	n, opts := startNode(t, func(c *Config) { c.MaxBurst = 1 })
	subs := make([]*client.Subscription, 6)
	for i := range subs {
		subs[i] = subscribe(t, dial(t, n, opts), wire.Subscribe{Flags: wire.SubPacked, MaxRate: 10})
	}
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	driveBSMs(t, ctx, p, 5, 50*time.Millisecond)
	counts := make([]int, len(subs))
	deadline := time.Now().Add(2 * time.Second)
	var wg sync.WaitGroup
	for i, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				nextUntil(t, s, 2*time.Second, func(*client.Update) bool { return true })
				counts[i]++
			}
		}()
	}
	wg.Wait()
	t.Logf("states per subscriber in 2 s: %v; deferred %v", counts, testutil.ToFloat64(n.m.bc.hub.deferred))
	for i, c := range counts {
		if c < 3 {
			t.Errorf("subscriber %d got %d states in 2 s (all: %v)", i, c, counts)
		}
	}
	if d := testutil.ToFloat64(n.m.bc.hub.deferred); d == 0 {
		t.Errorf("no subscriber deferred: the limit of one never engaged (states per subscriber %v)", counts)
	}
}

// TestSharedConnDatagrams: a subscription alone on its connection reads
// the datagrams in its own Next; a second one on the same connection
// hands the reading to the connection's router goroutine. Either way each
// gets its own delta datagrams, and after the first closes the second
// goes on getting them.
func TestSharedConnDatagrams(t *testing.T) {
	n, opts := startNode(t, nil)
	c := dial(t, n, opts)
	first := subscribe(t, c, wire.Subscribe{Flags: wire.SubPacked})
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	driveBSMs(t, ctx, p, 40, 20*time.Millisecond)
	datagrams := func(s *client.Subscription, want uint64) {
		t.Helper()
		base := s.Stats().Datagrams
		nextUntil(t, s, 5*time.Second, func(u *client.Update) bool {
			return u.Packed && s.Stats().Datagrams >= base+want
		})
	}
	datagrams(first, 5) // alone: read in its own Next
	second := subscribe(t, c, wire.Subscribe{Flags: wire.SubPacked, Radius: 500})
	var wg sync.WaitGroup
	for _, s := range []*client.Subscription{first, second} {
		wg.Add(1)
		go func() { defer wg.Done(); datagrams(s, 5) }()
	}
	wg.Wait()
	first.Close()
	datagrams(second, 5)
	if st := second.Stats(); st.Resyncs > st.Keyframes {
		t.Errorf("second: %+v: deltas lost their bases", st)
	}
}

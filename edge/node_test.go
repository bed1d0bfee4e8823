package edge

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

const refLat, refLon = 22.5431, 114.0579

// startNode runs a node on loopback ports for the test.
func startNode(t *testing.T, mod func(*Config)) (*Node, client.Options) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Listen, cfg.HTTP, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", t.TempDir()
	cfg.RefLat, cfg.RefLon = refLat, refLon
	cfg.Fusion = FusionLatest // these tests are about transport: one object per source object
	// ... and their synthetic traffic is rigid (rows of BSMs moving in
	// perfect lockstep from one stream), which the misbehaviour checks
	// rightly call a Sybil. Tests of the checks turn them on.
	cfg.Trust.Disabled = true
	if mod != nil {
		mod(&cfg)
	}
	n, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return n, simIdentity(cfg.DataDir)
}

// simIdentity is the options of a client with the lab identity "sim" (a
// producer of every kind that may subscribe) the node wrote under dir.
func simIdentity(dir string) client.Options {
	return client.DevOptions(dir, devca.SimIdentity)
}

func dial(t *testing.T, n *Node, opts client.Options) *client.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, n.Addr().String(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func subscribe(t *testing.T, c *client.Conn, sub wire.Subscribe) *client.Subscription {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.Subscribe(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// bsmAt returns a BSM at east/north metres from the reference point.
func bsmAt(id uint64, e, n float64) v2x.BSM {
	f := geo.NewFrame(refLat, refLon, 0)
	lat, lon, _ := f.FromENU(e, n, 0)
	return v2x.BSM{VehicleID: id, Lat: lat, Lon: lon, Speed: 10, Heading: 90, Length: 4.5, Width: 1.8, Class: v2x.ClassCar, AccSemiMajor: 1, AccSemiMinor: 1}
}

// nextUntil reads updates until cond holds or the deadline passes.
func nextUntil(t *testing.T, s *client.Subscription, d time.Duration, cond func(*client.Update) bool) *client.Update {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	stop := s.WaitContext(ctx)
	defer stop()
	for {
		u, err := s.Next()
		if client.IsNodeError(err) {
			continue
		}
		if err != nil {
			t.Fatalf("no matching update within %v: %v", d, err)
		}
		if cond(u) {
			return u
		}
	}
}

func hasObject(u *client.Update, class v2x.Class) bool {
	for _, o := range u.State.Objects {
		if o.Class == class {
			return true
		}
	}
	return false
}

func TestProducerToSubscriber(t *testing.T) {
	n, opts := startNode(t, nil)
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	b := bsmAt(42, 30, -10)
	spat := v2x.SPAT{IntersectionID: 7, Phases: []v2x.Phase{{ID: 1, State: v2x.LightGreen, Start: -1000, MinEnd: 4000, LikelyEnd: 5000, MaxEnd: 9000, Confidence: 90}}}
	if err := p.SendBSM(1, clock.Now(), &b); err != nil {
		t.Fatal(err)
	}
	if err := p.SendSPAT(2, clock.Now(), &spat); err != nil {
		t.Fatal(err)
	}
	u := nextUntil(t, sub, 5*time.Second, func(u *client.Update) bool {
		return len(u.State.Objects) == 1 && len(u.State.Signals) == 1
	})
	o := u.State.Objects[0]
	if o.Class != v2x.ClassCar || math.Abs(float64(o.E)-30) > 0.01 || math.Abs(float64(o.N)+10) > 0.01 {
		t.Errorf("object %+v, want a car at E 30 N -10", o)
	}
	if math.Abs(o.Lat-b.Lat) > 1e-9 || math.Abs(o.Lon-b.Lon) > 1e-9 || o.Speed != 10 {
		t.Errorf("object %+v does not carry the BSM's position and speed", o)
	}
	g := u.State.Signals[0]
	if g.Phase != 1 || g.State != v2x.LightGreen || g.LikelyEndMS > 5000 || g.LikelyEndMS < 3000 {
		t.Errorf("signal %+v, want phase 1 green ending in 3..5 s", g)
	}
	if u.State.Intersection != 7 || !u.Synced || u.AgeNS < 0 || u.AgeNS > int64(time.Second) {
		t.Errorf("update: intersection %d synced %v age %v", u.State.Intersection, u.Synced, time.Duration(u.AgeNS))
	}
	if got := testutil.ToFloat64(n.m.framesByType[wire.TypeBSM]); got != 1 {
		t.Errorf("bsm frames counted %v, want 1", got)
	}
	if got := testutil.ToFloat64(n.m.bc.delivered); got < 1 {
		t.Errorf("delivered %v, want >= 1", got)
	}
}

func TestRegionAndClassFilter(t *testing.T) {
	n, opts := startNode(t, nil)
	c := dial(t, n, opts)
	f := geo.NewFrame(refLat, refLon, 0)
	clat, clon, _ := f.FromENU(100, 0, 0)
	near := subscribe(t, c, wire.Subscribe{Flags: wire.SubCenter, CenterLat: clat, CenterLon: clon, Radius: 20})
	peds := subscribe(t, c, wire.Subscribe{Classes: v2x.MaskOf(v2x.ClassPedestrian)})
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	in, out := bsmAt(1, 110, 5), bsmAt(2, 0, 0)
	in.Speed, out.Speed = 0, 0
	list := v2x.ObjectList{SensorID: 9, Objects: []v2x.DetectedObject{
		{LocalID: 1, Class: v2x.ClassPedestrian, Lat: refLat, Lon: refLon, Confidence: 90},
	}}
	// Keep the scene alive for as long as the test reads: the checks below
	// take several heartbeats, longer than an unrefreshed track lives.
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			now := clock.Now()
			p.SendBSM(1, now, &in)
			p.SendBSM(1, now, &out)
			p.SendObjects(9, now, &list)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	u := nextUntil(t, peds, 5*time.Second, func(u *client.Update) bool { return len(u.State.Objects) > 0 })
	for _, o := range u.State.Objects {
		if o.Class != v2x.ClassPedestrian {
			t.Fatalf("pedestrian-only subscription got a %s", o.Class)
		}
	}
	u = nextUntil(t, near, 5*time.Second, func(u *client.Update) bool { return len(u.State.Objects) > 0 })
	for i := 0; i < 5; i++ {
		for _, o := range u.State.Objects {
			if d := math.Hypot(float64(o.E)-100, float64(o.N)); d > 20 {
				t.Fatalf("object at E %.1f N %.1f is %.1f m from the region centre, radius 20", o.E, o.N, d)
			}
		}
		u = nextUntil(t, near, 5*time.Second, func(*client.Update) bool { return true })
	}
}

// badFrame builds raw bytes for the bad-input table.
func frameBytes(h wire.Header, payload []byte) []byte {
	b := wire.AppendHeader(nil, &h)
	b = append(b, payload...)
	wire.FinishFrame(b, 0)
	return b
}

func TestBadInputGetsErrorAndCounter(t *testing.T) {
	good := bsmAt(5, 1, 1)
	goodPayload := wire.AppendBSM(nil, &good)
	rnd := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 300)
	for i := range junk {
		junk[i] = byte(rnd.Uint32())
	}
	binary.BigEndian.PutUint32(junk, 0xfffffff0) // random bytes read as an impossible length
	nan := good
	nan.Lat = math.NaN()
	tests := []struct {
		name       string
		raw        []byte
		code       wire.Code
		streamDies bool // framing lost: the node closes the stream
	}{
		{"unknown type", frameBytes(wire.Header{Type: 0x7f, Seq: 1}, []byte{1, 2, 3}), wire.CodeUnknownType, false},
		{"impossible length", []byte{0xff, 0xff, 0xff, 0xff, 1, 1, 0, 0}, wire.CodeBadLength, true},
		{"length below header", []byte{0, 0, 0, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, wire.CodeBadLength, true},
		{"truncated payload", frameBytes(wire.Header{Type: wire.TypeBSM, Seq: 2}, goodPayload[:40]), wire.CodeMalformed, false},
		{"random bytes", junk, wire.CodeBadLength, true},
		{"bad version", func() []byte {
			b := frameBytes(wire.Header{Type: wire.TypeBSM, Seq: 3}, goodPayload)
			b[4] = 9
			return b
		}(), wire.CodeBadVersion, false},
		{"unsupported encoding", frameBytes(wire.Header{Type: wire.TypeBSM, Encoding: 9, Seq: 4}, goodPayload), wire.CodeUnsupportedEncoding, false},
		{"native payload labelled CSAE 53", frameBytes(wire.Header{Type: wire.TypeBSM, Encoding: wire.EncodingCSAE53, Seq: 4}, goodPayload), wire.CodeMalformed, false},
		{"nan position", frameBytes(wire.Header{Type: wire.TypeBSM, Seq: 5}, wire.AppendBSM(nil, &nan)), wire.CodeInvalidValue, false},
		{"state frame from a producer", frameBytes(wire.Header{Type: wire.TypeState, Seq: 6}, nil), wire.CodeUnexpectedFrame, false},
	}
	n, opts := startNode(t, nil)
	c := dial(t, n, opts)
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := testutil.ToFloat64(n.m.rejectedByCode[tc.code])
			p, err := c.OpenProducer(context.Background(), clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if tc.code != wire.CodeUnexpectedFrame { // a valid first frame makes it a producer stream
				if err := p.SendBSM(100, clock.Now(), &good); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.WriteRaw(tc.raw); err != nil {
				t.Fatal(err)
			}
			select {
			case e, ok := <-p.Errors():
				if !ok {
					t.Fatal("stream ended without an Error frame")
				}
				if e.Code != tc.code {
					t.Fatalf("error code %s (%s), want %s", e.Code, e.Message, tc.code)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no Error frame within 5 s")
			}
			if got := testutil.ToFloat64(n.m.rejectedByCode[tc.code]); got != before+1 {
				t.Errorf("counter %s = %v, want %v", tc.code, got, before+1)
			}
			// The connection carries on: a valid BSM on this stream (or on a
			// new one when the framing was lost) reaches subscribers.
			if tc.streamDies {
				if p, err = c.OpenProducer(context.Background(), clock.Now); err != nil {
					t.Fatalf("connection unusable after %s: %v", tc.name, err)
				}
				defer p.Close()
			}
			id := uint64(1000 + i)
			after := bsmAt(id, 2, 2)
			if err := p.SendBSM(100, clock.Now(), &after); err != nil {
				t.Fatal(err)
			}
			nextUntil(t, sub, 5*time.Second, func(u *client.Update) bool {
				for _, o := range u.State.Objects {
					if math.Abs(o.Lat-after.Lat) < 1e-12 && math.Abs(o.Lon-after.Lon) < 1e-12 {
						return true
					}
				}
				return false
			})
		})
	}
}

func TestSlowSubscriberDoesNotDelayOthers(t *testing.T) {
	n, opts := startNode(t, func(c *Config) { c.PublishTick = 10 * time.Millisecond })
	// A subscriber that never reads, on its own connection.
	stalled := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	_ = stalled
	fast := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	// Big states (300 objects, ~15 KB each) fill the stalled stream's flow
	// control window within a fraction of a second.
	list := v2x.ObjectList{SensorID: 3}
	f := geo.NewFrame(refLat, refLon, 0)
	for i := 0; i < 300; i++ {
		lat, lon, _ := f.FromENU(float64(i%30)*3, float64(i/30)*3, 0)
		list.Objects = append(list.Objects, v2x.DetectedObject{LocalID: uint32(i), Class: v2x.ClassCar, Lat: lat, Lon: lon})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for ctx.Err() == nil {
			p.SendObjects(3, clock.Now(), &list)
			<-tk.C
		}
	}()
	// The fast subscriber reads all along. The stalled one's client buffers
	// a few hundred states and its flow-control window more, so how soon
	// its writer blocks depends on how fast this machine publishes: read
	// for at least 4 s and until the node has counted states the stalled
	// subscriber never got (at most 20 s). From 2 s on, the fast subscriber
	// must keep receiving fresh states.
	start := time.Now()
	got, maxAge := 0, int64(0)
	for {
		el := time.Since(start)
		if el > 4*time.Second && testutil.ToFloat64(n.m.bc.hub.superseded) > 0 || el > 20*time.Second {
			break
		}
		u := nextUntil(t, fast, 2*time.Second, func(*client.Update) bool { return true })
		if time.Since(start) > 2*time.Second {
			got++
			maxAge = max(maxAge, u.AgeNS)
		}
	}
	window := time.Since(start) - 2*time.Second
	if rate := float64(got) / window.Seconds(); rate < 10 {
		t.Errorf("fast subscriber got %d states in %v while another stalled (%.1f/s), want >= 10/s", got, window.Round(time.Millisecond), rate)
	}
	if maxAge > int64(500*time.Millisecond) {
		t.Errorf("fast subscriber saw a state %v old while another stalled", time.Duration(maxAge))
	}
	if sup := testutil.ToFloat64(n.m.bc.hub.superseded); sup == 0 {
		t.Errorf("the stalled subscriber's skipped states were not counted as superseded in %v", time.Since(start).Round(time.Millisecond))
	}
}

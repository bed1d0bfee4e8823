package edge

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/uplink"
	"github.com/v2x-edge/v2x-edge/internal/natsproc"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// These tests run real nats-server processes (internal/natsproc): a
// three-server cluster with JetStream, the events stream replicated three
// times. They skip when nats-server is missing, except under CI.

// natsNode starts a three-server cluster and a node publishing to it.
func natsNode(t *testing.T, mod func(*Config)) (*natsproc.Cluster, *Node, client.Options) {
	t.Helper()
	c := natsproc.Start(t, natsproc.Options{Servers: 3})
	n, opts := startNode(t, func(cfg *Config) {
		cfg.NATS.URLs = strings.Split(c.URL(), ",")
		cfg.NATS.NodeID, cfg.NATS.Region = "n1", "test"
		cfg.NATS.Replicas = 3
		cfg.NATS.FlushTimeout = 5 * time.Second
		cfg.PublishTick = 10 * time.Millisecond
		if mod != nil {
			mod(cfg)
		}
	})
	return c, n, opts
}

// feed sends a BSM of a car standing at E 0 N -10 every 20 ms until ctx
// ends (standing, so that no misbehaviour check finds anything).
func feed(ctx context.Context, t *testing.T, n *Node, opts client.Options) {
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for i := 0; ctx.Err() == nil; i++ {
			b := bsmAt(42, 0, -10)
			b.Speed = 0
			p.SendBSM(1, clock.Now(), &b)
			select {
			case <-ctx.Done():
			case <-tk.C:
			}
		}
	}()
}

// injector emits events into the node's event fan-out, as the
// misbehaviour checks do, at a steady rate until stopped; it returns how
// many it emitted.
type injector struct {
	stop chan struct{}
	done chan struct{}
	n    atomic.Int64
}

func inject(n *Node, every time.Duration) *injector {
	in := &injector{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(in.done)
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			select {
			case <-in.stop:
				return
			case <-tk.C:
			}
			k := in.n.Add(1)
			ev := wire.Event{TimeNS: clock.Now(), Check: wire.CheckSpeed, ObjectID: uint32(k), LocalID: uint64(k),
				Lat: math.NaN(), Lon: math.NaN(), Trust: 0.5, Identity: "test", Text: "injected " + strconv.FormatInt(k, 10)}
			n.hub.events.publish(&ev)
		}
	}()
	return in
}

func (in *injector) end() int64 { close(in.stop); <-in.done; return in.n.Load() }

// waitUplinkEvents waits until the node's uplink has n events published
// or dropped and none buffered.
func waitUplinkEvents(t *testing.T, n *Node, want int64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		pub := metricValue(t, n, `v2x_nats_published_total{kind="event"}`)
		drop := metricValue(t, n, `v2x_nats_dropped_total{kind="event"}`)
		buf := metricValue(t, n, `v2x_nats_buffered`)
		if int64(pub+drop) >= want && buf == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("uplink: %v events published, %v dropped, %v buffered, %v duplicates, %v retried after %v; want %d published or dropped; %v events dropped by the hub",
				pub, drop, buf, metricValue(t, n, `v2x_nats_event_duplicates_total`), metricValue(t, n, `v2x_nats_event_retries_total`), d, want,
				testutil.ToFloat64(n.m.fusion.trust.eventsDrop))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metricValue reads one sample from the node's /metrics.
func metricValue(t *testing.T, n *Node, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + n.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// streamEvents reads every message of the events stream and returns the
// event sequence numbers in stream order, checking each message's id.
func streamEvents(t *testing.T, url string) []uint64 {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "V2X_EVENTS")
	if err != nil {
		t.Fatalf("events stream: %v", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("events stream info: %v", err)
	}
	if info.Config.Replicas != 3 {
		t.Errorf("events stream replicas %d, want 3", info.Config.Replicas)
	}
	// Message by message from the stream leader: an ephemeral consumer
	// may be placed on a server that is down.
	var seqs []uint64
	var ev wire.Event
	for sq := info.State.FirstSeq; sq <= info.State.LastSeq && sq > 0; sq++ {
		m, err := s.GetMsg(ctx, sq)
		if err != nil {
			t.Fatalf("events stream message %d: %v", sq, err)
		}
		h, err := uplink.DecodeEvent(m.Data, &ev)
		if err != nil {
			t.Fatalf("stream message %d: %v", sq, err)
		}
		if m.Subject != "v2x.test.n1.events" {
			t.Fatalf("subject %q", m.Subject)
		}
		if hs := m.Header.Get(uplink.HeaderSeq); hs != strconv.FormatUint(h.Seq, 10) {
			t.Fatalf("header %s %q, frame seq %d", uplink.HeaderSeq, hs, h.Seq)
		}
		if id := m.Header.Get(nats.MsgIdHdr); !strings.HasSuffix(id, "."+strconv.FormatUint(h.Seq, 10)) || !strings.HasPrefix(id, "n1.") {
			t.Fatalf("message id %q for event %d", id, h.Seq)
		}
		if !strings.HasPrefix(ev.Text, "injected ") {
			t.Fatalf("event %d says %q, not one the test injected", h.Seq, ev.Text)
		}
		seqs = append(seqs, h.Seq)
	}
	if uint64(len(seqs)) != info.State.Msgs {
		t.Fatalf("read %d messages, the stream holds %d", len(seqs), info.State.Msgs)
	}
	return seqs
}

// checkOnce checks that seqs hold every number in 1..n but the dropped
// ones exactly once; it returns how many are missing.
func checkOnce(t *testing.T, seqs []uint64, n int64) (missing int) {
	t.Helper()
	count := make(map[uint64]int, len(seqs))
	for _, s := range seqs {
		count[s]++
		if s < 1 || int64(s) > n {
			t.Errorf("event %d in the stream, but only 1..%d were emitted", s, n)
		}
	}
	dups := 0
	for s, c := range count {
		if c > 1 {
			dups++
			if dups <= 5 {
				t.Errorf("event %d is in the stream %d times", s, c)
			}
		}
	}
	if dups > 0 {
		t.Errorf("%d events duplicated", dups)
	}
	for s := uint64(1); int64(s) <= n; s++ {
		if count[s] == 0 {
			missing++
		}
	}
	return missing
}

// inOrder reports the first place seqs decrease, or -1.
func inOrder(seqs []uint64) int {
	for i := 1; i < len(seqs); i++ {
		if seqs[i] < seqs[i-1] {
			return i
		}
	}
	return -1
}

// TestNATSUplinkPublishesStates: a node on a three-server cluster
// publishes its fused state on v2x.REGION.NODE.state, which a NATS
// subscriber on v2x.*.*.state rebuilds (keyframes and deltas), and its
// events into the stream.
func TestNATSUplinkPublishesStates(t *testing.T) {
	c, n, opts := natsNode(t, nil)
	nc, err := nats.Connect(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msgs := make(chan *nats.Msg, 1024)
	if _, err := nc.ChanSubscribe("v2x.*.*.state", msgs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	feed(ctx, t, n, opts)
	in := inject(n, 10*time.Millisecond)

	var dec uplink.StateDecoder
	var st wire.State
	var last uint64
	deadline := time.After(10 * time.Second)
	for dec.Deltas < 10 || dec.Keyframes < 2 {
		select {
		case <-deadline:
			t.Fatalf("within 10 s: %d keyframes, %d deltas, %d waiting", dec.Keyframes, dec.Deltas, dec.Waiting)
		case m := <-msgs:
			if m.Subject != "v2x.test.n1.state" {
				t.Fatalf("state on %q", m.Subject)
			}
			h, err := dec.Decode(m.Data, &st)
			if err == uplink.ErrWaiting {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Objects) == 0 && last == 0 {
				continue // before the first BSM
			}
			if h.Seq <= last {
				t.Errorf("state %d after %d", h.Seq, last)
			}
			last = h.Seq
			if len(st.Objects) != 1 || st.Objects[0].Class != v2x.ClassCar || math.Abs(float64(st.Objects[0].N)+10) > 0.1 {
				t.Fatalf("state %d: objects %+v, want the car at N -10", h.Seq, st.Objects)
			}
		}
	}
	emitted := in.end()
	waitUplinkEvents(t, n, emitted, 10*time.Second)
	seqs := streamEvents(t, c.URL())
	if missing := checkOnce(t, seqs, emitted); missing > 0 {
		t.Errorf("%d of %d events missing from the stream", missing, emitted)
	}
	if i := inOrder(seqs); i >= 0 {
		t.Errorf("stream out of order at %d: %d after %d", i, seqs[i], seqs[i-1])
	}
	t.Logf("%d events; states: %d keyframes, %d deltas; %v state bytes published", emitted, dec.Keyframes, dec.Deltas,
		metricValue(t, n, `v2x_nats_published_bytes_total{kind="state"}`))
}

// TestNATSUplinkServerKilled: one NATS server (the events stream's leader)
// is killed while the node publishes events; every event the node emitted
// is in the stream exactly once.
func TestNATSUplinkServerKilled(t *testing.T) {
	c, n, _ := natsNode(t, nil)
	in := inject(n, 5*time.Millisecond)
	time.Sleep(2 * time.Second)
	leader := streamLeader(t, c)
	t.Logf("killing %s, the events stream's leader", c.Servers[leader].Name)
	c.Kill(leader)
	time.Sleep(4 * time.Second)
	emitted := in.end()
	waitUplinkEvents(t, n, emitted, 20*time.Second)
	if d := metricValue(t, n, `v2x_nats_dropped_total{kind="event"}`); d != 0 {
		t.Errorf("%v events dropped", d)
	}
	seqs := streamEvents(t, strings.Join([]string{c.Servers[(leader+1)%3].URL(), c.Servers[(leader+2)%3].URL()}, ","))
	if missing := checkOnce(t, seqs, emitted); missing > 0 {
		t.Errorf("%d of %d events missing from the stream", missing, emitted)
	}
	if i := inOrder(seqs); i >= 0 {
		t.Logf("stream order: event %d after %d (a retried window)", seqs[i], seqs[i-1])
	}
	t.Logf("%d events emitted, %d in the stream; %v retried, %v duplicates dropped by the stream", emitted, len(seqs),
		metricValue(t, n, `v2x_nats_event_retries_total`), metricValue(t, n, `v2x_nats_event_duplicates_total`))
}

// streamLeader returns the index of the server leading the events stream.
func streamLeader(t *testing.T, c *natsproc.Cluster) int {
	t.Helper()
	nc, err := nats.Connect(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		s, err := js.Stream(ctx, "V2X_EVENTS")
		if err == nil && s.CachedInfo().Cluster != nil {
			for i, srv := range c.Servers {
				if srv.Name == s.CachedInfo().Cluster.Leader {
					return i
				}
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("no events stream leader: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// gapWatch records when a subscription's updates arrive.
type gapWatch struct {
	mu   sync.Mutex
	at   []time.Time
	done chan struct{}
}

func watchGaps(sub *client.Subscription) *gapWatch {
	g := &gapWatch{done: make(chan struct{}), at: []time.Time{time.Now()}}
	go func() {
		defer close(g.done)
		for {
			if _, err := sub.Next(); err != nil {
				return
			}
			g.mu.Lock()
			g.at = append(g.at, time.Now())
			g.mu.Unlock()
		}
	}()
	return g
}

// gapStats sums up the gaps between updates that end within [from, to].
type gapStats struct {
	updates  int
	max, p99 time.Duration
	maxEnd   time.Time // when the largest gap ended
}

func (g *gapWatch) within(from, to time.Time) gapStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	var s gapStats
	var gs []time.Duration
	for i := 1; i < len(g.at); i++ {
		if g.at[i].Before(from) || g.at[i].After(to) {
			continue
		}
		d := g.at[i].Sub(g.at[i-1])
		gs = append(gs, d)
		if d > s.max {
			s.max, s.maxEnd = d, g.at[i]
		}
	}
	s.updates = len(gs)
	if len(gs) > 0 {
		slices.Sort(gs)
		s.p99 = gs[len(gs)*99/100]
	}
	return s
}

// natsGoals reports whether the tests judge the goals as stated
// ($V2X_NATS_GOALS=1) rather than a regression bound that holds on a
// loaded machine.
func natsGoals() bool { return os.Getenv("V2X_NATS_GOALS") == "1" }

// TestNATSUplinkClusterDown: the whole cluster is stopped for 10 s and
// started again. The node keeps serving its QUIC subscriber; events
// buffer up to the bound, the rest are counted as dropped, and once the
// cluster is back the buffered ones, emitted during the outage, are in
// the stream once each (message ids), in order. A node without the
// uplink, fed the same way in the same run, is the control: it shows what
// gaps the machine alone makes.
//
// The goal (issue 16) is no gap above 100 ms; it is judged as stated with
// V2X_NATS_GOALS=1. By default the test guards against the regression
// that matters, a node that waits for the bus (gaps of seconds: the
// outage, a reconnect, an acknowledgement timeout): the largest gap must
// stay within max(300 ms, twice the control's + 50 ms), as scheduling on
// a loaded two-core machine under -race alone makes gaps of 100 to 200 ms.
func TestNATSUplinkClusterDown(t *testing.T) {
	const buffer = 300
	c, n, opts := natsNode(t, func(cfg *Config) { cfg.NATS.Buffer = buffer })
	ctl, ctlOpts := startNode(t, func(cfg *Config) { cfg.PublishTick = 10 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	feed(ctx, t, n, opts)
	feed(ctx, t, ctl, ctlOpts)
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	ctlSub := subscribe(t, dial(t, ctl, ctlOpts), wire.Subscribe{})
	nextUntil(t, sub, 5*time.Second, func(u *client.Update) bool { return len(u.State.Objects) == 1 })
	nextUntil(t, ctlSub, 5*time.Second, func(u *client.Update) bool { return len(u.State.Objects) == 1 })
	gaps, ctlGaps := watchGaps(sub), watchGaps(ctlSub)
	begin := time.Now()

	in := inject(n, 20*time.Millisecond) // 50 a second: 500 in the 10 s outage
	time.Sleep(time.Second)
	stopAt := time.Now()
	c.StopAll()
	downAt := time.Now()
	emittedAtStop := in.n.Load()
	time.Sleep(10 * time.Second)
	if b := metricValue(t, n, `v2x_nats_buffered`); b != buffer {
		t.Errorf("buffered %v during the outage, want the bound %d", b, buffer)
	}
	droppedDown := metricValue(t, n, `v2x_nats_dropped_total{kind="event"}`)
	if droppedDown == 0 {
		t.Error("no events counted as dropped with the buffer full")
	}
	startAt := time.Now()
	emittedAtStart := in.n.Load()
	if err := c.StartAll(); err != nil {
		t.Fatal(err)
	}
	upAt := time.Now()
	emittedAtUp := in.n.Load() // the bus was unreachable until now
	t.Logf("cluster stopped in %v, down for %v, healthy again in %v", downAt.Sub(stopAt).Round(time.Millisecond),
		startAt.Sub(stopAt).Round(time.Millisecond), upAt.Sub(startAt).Round(time.Millisecond))
	// Catching up: the buffer drains (the injector still adds 50 a
	// second, so a few wait at any time).
	for metricValue(t, n, `v2x_nats_buffered`) > 5 && time.Since(upAt) < 30*time.Second {
		time.Sleep(20 * time.Millisecond)
	}
	caughtUp := time.Since(upAt)
	time.Sleep(time.Second)
	injected := in.end()
	waitUplinkEvents(t, n, injected, 30*time.Second)
	end := time.Now()
	sub.Close()
	ctlSub.Close()
	<-gaps.done
	<-ctlGaps.done

	out, all := gaps.within(stopAt, upAt), gaps.within(begin, end)
	ctlOut, ctlAll := ctlGaps.within(stopAt, upAt), ctlGaps.within(begin, end)
	t.Logf("QUIC subscriber of the uplink node: outage %d updates, largest gap %v (p99 %v, ending %v after the stop); whole run largest %v (p99 %v)",
		out.updates, out.max.Round(time.Millisecond), out.p99.Round(time.Millisecond), out.maxEnd.Sub(stopAt).Round(time.Millisecond),
		all.max.Round(time.Millisecond), all.p99.Round(time.Millisecond))
	t.Logf("control node without uplink, same run: outage %d updates, largest gap %v (p99 %v); whole run largest %v (p99 %v)",
		ctlOut.updates, ctlOut.max.Round(time.Millisecond), ctlOut.p99.Round(time.Millisecond), ctlAll.max.Round(time.Millisecond), ctlAll.p99.Round(time.Millisecond))
	if out.updates < 100 {
		t.Errorf("the uplink node's subscriber got %d updates in the %v outage, want a steady stream (the feed is 50 Hz)", out.updates, upAt.Sub(stopAt))
	}
	if natsGoals() {
		if all.max > 100*time.Millisecond {
			t.Errorf("goal: QUIC subscriber's largest gap %v, want at most 100ms (control node: %v)", all.max, ctlAll.max)
		}
	} else if bound := max(300*time.Millisecond, 2*ctlAll.max+50*time.Millisecond); all.max > bound {
		t.Errorf("QUIC subscriber's largest gap %v, above the regression bound %v (control node: %v; the goal is 100ms, V2X_NATS_GOALS=1)", all.max, bound, ctlAll.max)
	}

	published := metricValue(t, n, `v2x_nats_published_total{kind="event"}`)
	dropped := metricValue(t, n, `v2x_nats_dropped_total{kind="event"}`)
	total := int64(published + dropped) // sequence numbers given out
	if total != injected {
		t.Errorf("%d events injected, the uplink accounts for %d (published + dropped)", injected, total)
	}
	// Drops are bounded: only events that found the buffer full while
	// the bus was unreachable (stopped, then restarting: the node may
	// publish again before every server reports healthy), none before or
	// after; and by the end of the 10 s stop, all that the buffer could
	// not hold.
	outage, stopped := emittedAtUp-emittedAtStop, emittedAtStart-emittedAtStop
	if dropped > float64(outage) {
		t.Errorf("%v events dropped; only %d were emitted while the bus was unreachable", dropped, outage)
	}
	if droppedDown < float64(stopped-buffer-5) {
		t.Errorf("%v events dropped by the end of the stop; %d were emitted during it, with a buffer of %d", droppedDown, stopped, buffer)
	}
	seqs := streamEvents(t, c.URL())
	missing := checkOnce(t, seqs, total)
	if float64(missing) != dropped {
		t.Errorf("%d events missing from the stream, %v counted as dropped", missing, dropped)
	}
	if float64(len(seqs)) != published {
		t.Errorf("%d events in the stream, %v counted as published", len(seqs), published)
	}
	if i := inOrder(seqs); i >= 0 {
		t.Errorf("stream out of order at %d: %d after %d", i, seqs[i], seqs[i-1])
	}
	// What the buffer held through the outage reached the stream.
	var kept int
	for _, s := range seqs {
		if int64(s) > emittedAtStop && int64(s) <= emittedAtUp {
			kept++
		}
	}
	if kept < buffer-5 {
		t.Errorf("%d of the events emitted while the bus was unreachable are in the stream, want the buffer's %d", kept, buffer)
	}
	t.Logf("events: %d emitted (%d while the bus was unreachable, %d of them in the 10 s stop), %d in the stream (%d of the outage's), %v dropped (buffer %d, %v by the end of the 10 s stop); buffer drained %v after the cluster was healthy; %v retried, %v duplicates dropped by the stream",
		total, outage, stopped, len(seqs), kept, dropped, buffer, droppedDown, caughtUp.Round(10*time.Millisecond),
		metricValue(t, n, `v2x_nats_event_retries_total`), metricValue(t, n, `v2x_nats_event_duplicates_total`))
}

// BenchmarkUplinkCost is the fusion cycle (200 objects from 6 sources,
// the tracker) without and with the NATS uplink attached to its hub, in
// one run: the uplink's pump takes the snapshots (10 Hz of node time,
// which the benchmark runs faster than real time, so the pump works
// harder than it would) and publishes them to a real nats-server.
func BenchmarkUplinkCost(b *testing.B) {
	bin := natsproc.Require(b)
	c := natsproc.Start(b, natsproc.Options{Servers: 1, Binary: bin})
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("uplink=%v", on), func(b *testing.B) {
			r := newCycleRunner(b, FusionTrack, 200, 6)
			var up *uplink.Uplink
			if on {
				cfg := uplink.Config{URLs: []string{c.URL()}, NodeID: "bench"}
				cfg.SetDefaults()
				var err error
				if up, err = uplink.New(cfg, nil, nil); err != nil {
					b.Fatal(err)
				}
				if err := up.Start(); err != nil {
					b.Fatal(err)
				}
				comp, _ := wire.ParseCompression(DefaultConfig().Compression)
				p := newUplinkPump(r.w.hub, up, cfg, comp)
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { p.run(ctx); close(done) }()
				defer func() { cancel(); <-done; up.Close() }()
				time.Sleep(200 * time.Millisecond) // connected, pump subscribed
			}
			r.bench(b)
			if up != nil {
				st := up.Stats()
				b.ReportMetric(float64(st.States), "states")
				b.ReportMetric(float64(st.StatesDropped), "dropped")
			}
		})
	}
}

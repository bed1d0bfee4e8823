package harness

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/mqtt"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Child processes print "measuring" when their measurement window opens
// and then one JSON line with their result.
const measuringLine = "measuring"

// SubsConfig configures a subscriber process.
type SubsConfig struct {
	Addr     string        `json:"addr"`      // node QUIC address, or broker TCP address for MQTT
	CA       string        `json:"ca"`        // node CA file
	Cert     string        `json:"cert"`      // client certificate (a subscriber identity)
	Key      string        `json:"key"`       // its key
	MQTT     bool          `json:"mqtt"`      // subscribe through the MQTT broker instead
	NATS     bool          `json:"nats"`      // subscribe through nats-server instead (Addr: its URL)
	Floor    bool          `json:"floor"`     // bare quic-go clients of the transport-floor server instead
	Topic    string        `json:"topic"`     // MQTT topic or NATS subject
	Subs     int           `json:"subs"`      // how many subscribers
	Rate     float64       `json:"rate"`      // Hz cap per subscriber (node side)
	Raw      bool          `json:"raw"`       // State frames instead of packed updates
	NoDgram  bool          `json:"no_dgram"`  // packed updates on the stream only
	Warmup   time.Duration `json:"warmup"`    // after all subscribed, before measuring
	Duration time.Duration `json:"duration"`  // measuring window
	Sockets  int           `json:"sockets"`   // UDP sockets the QUIC subscribers share (0: one each)
	DialConc int           `json:"dial_conc"` // concurrent dials (0: defaultDialPacing's)
	DialRate float64       `json:"dial_rate"` // dials started per second (0: defaultDialPacing's; < 0: unpaced)
	// NodeOffset is the node's clock.Now() − Mono() (NodeClockOffset in
	// the bench process): a node time stamp minus it is a CLOCK_MONOTONIC
	// reading this process compares with its own Mono.
	NodeOffset int64 `json:"node_offset"`
	// CPUProfile, if set, is where the process writes its CPU profile of
	// the measuring window.
	CPUProfile string `json:"cpu_profile,omitempty"`
}

type subStats struct {
	samples       []int64    // end to end: the node's ingest to the decoded state (the node only)
	fanout        []int64    // handed to fan-out to the decoded state (every contender)
	stages        [3][]int64 // ingest→publish, publish→received, received→reassembled
	bytes, raw    int64
	objects, seen int64
	errs          int
}

// startProfile starts a CPU profile into file ("" profiles nothing) and
// returns the function that ends it.
func startProfile(file string) (stop func() error, err error) {
	if file == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// RunSubs is the subscriber process: it connects cfg.Subs subscribers,
// waits out the warm-up, measures for cfg.Duration and prints the result.
// Every contender is timed over the same fan-out span: from the moment a
// state is handed to the fan-out (the node's snapshot publication; the
// bench relay's receipt of that state from the node for the brokers and
// the floors) to the moment the subscriber holds the decoded state. For
// the node, the end-to-end span (the newest measurement's arrival at the
// node to the decoded state) is measured too. All times are
// CLOCK_MONOTONIC (Mono), one clock for every process.
func RunSubs(ctx context.Context, cfg SubsConfig, out io.Writer) error {
	var measuring atomic.Bool
	stats := make([]subStats, cfg.Subs)
	capHint := int(cfg.Rate*cfg.Duration.Seconds()*1.5) + 64
	if cfg.Rate == 0 {
		capHint = int(200*cfg.Duration.Seconds()) + 64
	}
	for i := range stats {
		stats[i].samples = make([]int64, 0, capHint)
		stats[i].fanout = make([]int64, 0, capHint)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var transports []*quic.Transport
	for range cfg.Sockets {
		udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return fmt.Errorf("subscriber socket: %w", err)
		}
		tr := &quic.Transport{Conn: udp}
		defer tr.Close()
		transports = append(transports, tr)
	}
	connStart := time.Now()
	type sub struct {
		next  func() error
		close func()
		stats func() client.Stats
	}
	subs := make([]sub, cfg.Subs)
	pacing := defaultDialPacing
	if cfg.DialConc > 0 {
		pacing.Conc = cfg.DialConc
	}
	if cfg.DialRate != 0 {
		pacing.Rate = cfg.DialRate
	}
	// connect connects subscriber i, or fails leaving nothing open; dctx
	// ends with this attempt.
	connect := func(dctx context.Context, i int) error {
		st := &stats[i]
		if cfg.MQTT {
			c, err := mqtt.Dial(cfg.Addr, fmt.Sprintf("v2x-bench-%d", i), pacing.Timeout)
			if err == nil {
				if err = c.Subscribe(cfg.Topic); err != nil {
					c.Close()
				}
			}
			if err != nil {
				return err
			}
			var state wire.State
			subs[i] = sub{close: func() { c.Close() }, next: func() error {
				_, p, err := c.ReadMessage()
				if err != nil {
					return err
				}
				return st.relayed(p, &state, measuring.Load())
			}}
			return nil
		}
		if cfg.NATS {
			nc, err := nats.Connect(cfg.Addr, nats.Name(fmt.Sprintf("v2x-bench-%d", i)), nats.Timeout(pacing.Timeout))
			if err != nil {
				return err
			}
			ns, err := nc.SubscribeSync(cfg.Topic)
			if err == nil {
				err = nc.FlushWithContext(dctx) // the subscription is in place
			}
			if err != nil {
				nc.Close()
				return err
			}
			var state wire.State
			subs[i] = sub{close: nc.Close, next: func() error {
				m, err := ns.NextMsgWithContext(ctx)
				if err != nil {
					return err
				}
				return st.relayed(m.Data, &state, measuring.Load())
			}}
			return nil
		}
		if cfg.Floor {
			var tr *quic.Transport
			if len(transports) > 0 {
				tr = transports[i%len(transports)]
			}
			next, closeFn, err := dialFloor(dctx, cfg, tr, st, measuring.Load)
			if err != nil {
				return err
			}
			subs[i] = sub{next: next, close: closeFn}
			return nil
		}
		opts := client.Options{CAFile: cfg.CA, CertFile: cfg.Cert, KeyFile: cfg.Key}
		if len(transports) > 0 {
			opts.Transport = transports[i%len(transports)]
		}
		conn, err := client.Dial(dctx, cfg.Addr, opts)
		if err != nil {
			return err
		}
		f := wire.Subscribe{MaxRate: float32(cfg.Rate)}
		if !cfg.Raw {
			f.Flags |= wire.SubPacked
		}
		if cfg.NoDgram {
			f.Flags |= wire.SubNoDatagram
		}
		s, err := conn.Subscribe(dctx, f)
		if err != nil {
			conn.Close()
			return err
		}
		subs[i] = sub{close: func() { s.Close(); conn.Close() }, stats: s.Stats, next: func() error {
			u, err := s.Next()
			now := Mono() + cfg.NodeOffset // in node time
			if err != nil {
				if client.IsNodeError(err) {
					st.errs++
					return nil
				}
				return err
			}
			if measuring.Load() && u.IngestNS > 0 {
				st.samples = append(st.samples, now-u.IngestNS)
				st.fanout = append(st.fanout, now-u.TimeNS)
				st.stages[0] = append(st.stages[0], u.TimeNS-u.IngestNS)
				st.stages[1] = append(st.stages[1], u.RecvNS-u.TimeNS)
				st.stages[2] = append(st.stages[2], now-u.RecvNS)
				st.bytes += int64(u.Bytes)
				st.raw += int64(wire.StateFrameLen(len(u.State.Objects), len(u.State.Signals)))
				st.objects += int64(len(u.State.Objects))
				st.seen++
			}
			return nil
		}}
		return nil
	}
	retries, err := pacing.connectAll(ctx, cfg.Subs, connect)
	if err != nil {
		for _, s := range subs {
			if s.close != nil {
				s.close()
			}
		}
		return err
	}
	connectTime := time.Since(connStart)
	var running sync.WaitGroup
	for i := range subs {
		running.Add(1)
		go func() {
			defer running.Done()
			for ctx.Err() == nil {
				if err := subs[i].next(); err != nil {
					if ctx.Err() == nil {
						stats[i].errs++
					}
					return
				}
			}
		}()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(cfg.Warmup):
	}
	stopProfile, err := startProfile(cfg.CPUProfile)
	if err != nil {
		cancel()
		for _, s := range subs {
			s.close()
		}
		return err
	}
	// Client counters over the measuring window only.
	clientStats := func() []client.Stats {
		cs := make([]client.Stats, len(subs))
		for i, s := range subs {
			if s.stats != nil {
				cs[i] = s.stats()
			}
		}
		return cs
	}
	stats0 := clientStats()
	measuring.Store(true)
	fmt.Fprintln(out, measuringLine)
	start := time.Now()
	cpu0, _ := selfCPU()
	select {
	case <-ctx.Done():
	case <-time.After(cfg.Duration):
	}
	measuring.Store(false)
	stats1 := clientStats()
	if err := stopProfile(); err != nil {
		return err
	}
	elapsed := time.Since(start)
	cpu1, _ := selfCPU()
	cancel()
	for _, s := range subs {
		s.close()
	}
	running.Wait()

	r := SubsResult{Subs: cfg.Subs, Seconds: elapsed.Seconds(), ConnectSeconds: connectTime.Seconds(), DialRetries: retries, MinSubUpdates: -1,
		CPU: (cpu1 - cpu0).Seconds() / elapsed.Seconds()}
	var all, fanout []int64
	var stages [3][]int64
	var objects int64
	for i, st := range stats {
		all = append(all, st.samples...)
		fanout = append(fanout, st.fanout...)
		for k := range stages {
			stages[k] = append(stages[k], st.stages[k]...)
		}
		r.Bytes += st.bytes
		r.RawBytes += st.raw
		r.Errors += st.errs
		objects += st.objects
		if n := len(st.fanout); r.MinSubUpdates < 0 || n < r.MinSubUpdates {
			r.MinSubUpdates = n
		}
		if len(st.fanout) == 0 {
			r.StalledSubs++
		}
		a, b := stats0[i], stats1[i]
		r.Keyframes += b.Keyframes - a.Keyframes
		r.Deltas += b.Deltas - a.Deltas
		r.Datagrams += b.Datagrams - a.Datagrams
		r.Resyncs += b.Resyncs - a.Resyncs
		r.Dropped += b.Dropped - a.Dropped
	}
	r.Updates = len(fanout)
	if r.Updates > 0 {
		r.ObjectsPerState = float64(objects) / float64(r.Updates)
	}
	r.Fanout = Summarize(fanout)
	if len(all) > 0 {
		r.Latency = Summarize(all)
	} else { // the peers and floors: the fan-out span is their only one
		r.Latency = r.Fanout
	}
	if len(stages[0]) > 0 {
		for k := range stages {
			l := Summarize(stages[k])
			l.Curve = nil
			r.Stages = append(r.Stages, l)
		}
	}
	return json.NewEncoder(out).Encode(r)
}

// LoadConfig configures the load process.
type LoadConfig struct {
	Addr   string `json:"addr"`
	CA     string `json:"ca"`
	Cert   string `json:"cert"` // client certificate (a producer identity)
	Key    string `json:"key"`
	Seed   int64  `json:"seed"`
	Dense  bool   `json:"dense"`
	Copies int    `json:"copies"` // times the scenario's ingest
	// Step is the simulator step and send tick: messages reach the node in
	// clumps of up to this.
	Step time.Duration `json:"step"`
}

// RunLoad is the load process: the simulator feeding the node in real
// time until ctx ends. The first connection must succeed; if the feed
// fails later (on a machine loaded enough, a 1000-subscriber phase's
// handshakes starved the load process until its connection failed, and
// the node was left without new data for the rest of the run), it says
// why on stderr and starts again, at most loadRestarts times, with the
// scenario from its start.
func RunLoad(ctx context.Context, cfg LoadConfig) error {
	for restarts := 0; ; restarts++ {
		err := runLoadOnce(ctx, cfg, restarts == 0)
		if ctx.Err() != nil {
			return nil
		}
		if restarts == 0 && errors.Is(err, errFirstDial) || restarts == loadRestarts {
			return err
		}
		fmt.Fprintf(os.Stderr, "load: %v; starting again (%d)\n", err, restarts+1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// loadRestarts bounds RunLoad's restarts.
const loadRestarts = 20

// errFirstDial marks the load's first dial failing: nothing to restart.
var errFirstDial = errors.New("load: dial")

func runLoadOnce(ctx context.Context, cfg LoadConfig, first bool) error {
	sc := sim.Config{Seed: cfg.Seed, Dense: cfg.Dense}
	sc.SetDefaults()
	s, err := sim.New(sc)
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	conn, err := client.Dial(dctx, cfg.Addr, client.Options{CAFile: cfg.CA, CertFile: cfg.Cert, KeyFile: cfg.Key})
	cancel()
	if err != nil {
		if first {
			return fmt.Errorf("%w: %w", errFirstDial, err)
		}
		return err
	}
	defer conn.Close()
	var st feed.Stats
	if err := feed.Run(ctx, conn, s, feed.Options{Copies: cfg.Copies, Step: cfg.Step}, &st); err != nil {
		return err
	}
	return ctx.Err()
}

// relayed records one message of the bench relay (the brokers' peers): an
// 8-byte CLOCK_MONOTONIC stamp of the relay's receipt of the state from
// the node, then the state as a State frame, which is decoded into state
// before the clock is read, as the node's client decodes before Next
// returns.
func (st *subStats) relayed(p []byte, state *wire.State, measuring bool) error {
	if len(p) < 8 {
		return fmt.Errorf("short relay message: %d bytes", len(p))
	}
	h, err := wire.ParseHeader(p[8:], wire.DefaultMaxFrame)
	if err != nil {
		return fmt.Errorf("relay message: %w", err)
	}
	if h.Type != wire.TypeState || len(p) < 8+wire.HeaderLen+h.Length {
		return fmt.Errorf("relay message: %s frame of %d bytes in %d", h.Type, h.Length, len(p)-8)
	}
	if err := wire.DecodeState(p[8+wire.HeaderLen:8+wire.HeaderLen+h.Length], state); err != nil {
		return fmt.Errorf("relay message: %w", err)
	}
	now := Mono()
	if measuring {
		st.fanout = append(st.fanout, now-int64(binary.BigEndian.Uint64(p)))
		st.bytes += int64(len(p))
		st.raw += int64(len(p) - 8)
		st.objects += int64(len(state.Objects))
		st.seen++
	}
	return nil
}

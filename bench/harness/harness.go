package harness

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Config configures a benchmark run.
type Config struct {
	Subs     []int         // subscriber counts, one phase each
	Rate     float64       // Hz per subscriber; 0: 20 Hz up to 500 subscribers, 10 Hz above
	Duration time.Duration // measuring window per phase
	Warmup   time.Duration // per phase, after every subscriber is connected
	Peers    []string      // broker peers, in order: "mosquitto", "nats"
	// Pin puts this process (the node, its QUIC workers, the floors'
	// server and the relays) on CPU 0 and the load, subscriber and broker
	// processes on CPU 1 (sched_setaffinity), so that the node's cost is
	// not the subscribers'.
	Pin     bool
	Seed    int64
	Dense   bool          // the simulator's congested scenario (200+ objects)
	Copies  int           // load: times the scenario's ingest
	SimStep time.Duration // load: simulator step and send tick
	Raw     bool          // subscribers take uncompressed State frames
	NoDgram bool          // packed updates on streams only
	Sockets int           // UDP sockets the subscriber process's connections share (0: one per connection)
	// ChildProcs is GOMAXPROCS of the load and subscriber processes (0:
	// Go's default, every CPU). They stand in for remote vehicles and
	// sensors; on a small machine their schedulers compete with the node's.
	ChildProcs int
	// Floors adds a phase per subscriber count and mode (FloorEven,
	// FloorFresh): bare quic-go datagrams of the node's mean update size at
	// the same rate and fan-out (see runFloor).
	Floors []string
	// SubsCPUProfile, if set, has each node phase's subscriber process
	// write its CPU profile of the measuring window to this path with
	// ".N" (the subscriber count) appended.
	SubsCPUProfile string
	Node           edge.Config
	// ClientCert and ClientKey, if set, are the identity the load and
	// subscriber processes present (a producer and subscriber the node's
	// Node.ClientCA trusts); by default they get identities issued from
	// the node's development CA.
	ClientCert, ClientKey string
	Exe                   string // this program, re-executed for the load and subscriber roles
	OutDir                string // results.json and latency.svg; "" writes nothing
	Log                   *slog.Logger
	Progress              io.Writer // one line per step
	Results               io.Writer // one JSON line per phase
}

// RateFor returns the per-subscriber rate for n subscribers.
func (c *Config) RateFor(n int) float64 {
	switch {
	case c.Rate > 0:
		return c.Rate
	case n > 500:
		return 10
	}
	return 20
}

// Run runs the benchmark and returns one result per subscriber count.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	tmp, err := os.MkdirTemp("", "v2x-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if cfg.Pin {
		if runtime.NumCPU() < 2 {
			return nil, fmt.Errorf("-pin needs two CPUs, this machine has %d", runtime.NumCPU())
		}
		// Before the node starts: its threads inherit CPU 0.
		if err := pinSelf(pinNodeCPU); err != nil {
			return nil, err
		}
		fmt.Fprintf(cfg.Progress, "pinned: node (this process) on CPU %d, GOMAXPROCS %d; load, subscribers and brokers on CPU %d\n", pinNodeCPU, runtime.GOMAXPROCS(0), pinChildCPU)
	}

	// The node, in this process: its CPU is this process's CPU while a
	// phase measures (the load and the subscribers run elsewhere).
	ncfg := cfg.Node
	ncfg.Listen, ncfg.DataDir = "127.0.0.1:0", tmp
	if ncfg.HTTP == "" {
		ncfg.HTTP = "127.0.0.1:0"
	}
	ncfg.MaxStreams = max(ncfg.MaxStreams, 16)
	node, err := edge.New(ncfg, cfg.Log)
	if err != nil {
		return nil, err
	}
	if err := node.Start(); err != nil {
		return nil, err
	}
	defer node.Close()
	ca := filepath.Join(tmp, devca.CAFile)
	loadID, subsID, err := benchIdentities(cfg, tmp)
	if err != nil {
		return nil, err
	}
	relay := client.Options{CAFile: ca, CertFile: subsID.cert, KeyFile: subsID.key}
	addr := node.Addr().String()
	// The node stamps with clock.Now in this process; the subscriber
	// processes convert its stamps to CLOCK_MONOTONIC with this offset.
	nodeOffset := NodeClockOffset()
	fmt.Fprintf(cfg.Progress, "node on %s (metrics http://%s/metrics)\n", addr, node.HTTPAddr())

	load, err := startChild(ctx, cfg.Exe, "load", cfg.ChildProcs, cfg.Pin, LoadConfig{Addr: addr, CA: ca, Cert: loadID.cert, Key: loadID.key, Seed: cfg.Seed, Dense: cfg.Dense, Copies: max(cfg.Copies, 1), Step: cfg.SimStep})
	if err != nil {
		return nil, err
	}
	defer load.stop()
	fmt.Fprintf(cfg.Progress, "load process %d: simulator seed %d dense=%v copies=%d step=%v\n", load.cmd.Process.Pid, cfg.Seed, cfg.Dense, max(cfg.Copies, 1), cfg.SimStep)
	select { // let the tracker confirm the first objects
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(3 * time.Second):
	}

	var brokers []*peerBroker
	for _, name := range cfg.Peers {
		b, err := startPeer(ctx, name, tmp, cfg.Pin)
		if err != nil {
			return nil, fmt.Errorf("peer %s: %w", name, err)
		}
		defer b.stop()
		brokers = append(brokers, b)
		fmt.Fprintf(cfg.Progress, "%s %s on %s (pid %d)\n", name, b.bin, b.addr, b.pid())
	}
	pinBrokers := func() error {
		if !cfg.Pin {
			return nil
		}
		for _, b := range brokers {
			if err := PinProcess(b.pid(), pinChildCPU); err != nil {
				return fmt.Errorf("peer %s: %w", b.name, err)
			}
		}
		return nil
	}
	if err := pinBrokers(); err != nil {
		return nil, err
	}

	var results []Result
	for _, n := range cfg.Subs {
		rate := cfg.RateFor(n)
		fmt.Fprintf(cfg.Progress, "v2x-edge: %d subscribers at %.0f Hz ...\n", n, rate)
		sc := SubsConfig{Addr: addr, CA: ca, Cert: subsID.cert, Key: subsID.key, Subs: n, Rate: rate, Raw: cfg.Raw, NoDgram: cfg.NoDgram, Sockets: cfg.Sockets, Warmup: cfg.Warmup, Duration: cfg.Duration, NodeOffset: nodeOffset}
		if cfg.SubsCPUProfile != "" {
			sc.CPUProfile = fmt.Sprintf("%s.%d", cfg.SubsCPUProfile, n)
		}
		m0, err := scrape(node.HTTPAddr())
		if err != nil {
			return results, err
		}
		rss := watchRSS()
		if err := pinBrokers(); err != nil { // threads they started since
			return results, err
		}
		ours, cpu, err := runPhase(ctx, cfg.Exe, cfg.ChildProcs, cfg.Pin, sc, selfCPU)
		maxRSS := rss()
		if err != nil {
			return results, fmt.Errorf("%d subscribers: %w", n, err)
		}
		m1, err := scrape(node.HTTPAddr())
		if err != nil {
			return results, err
		}
		if gone, why := load.exited(); gone {
			// Without the load the node publishes states without new
			// data: the phase's figures would measure nothing.
			return results, fmt.Errorf("%d subscribers: the load process ended (%s)", n, why)
		}
		r := Result{Subs: n, RateHz: rate, Seconds: ours.Seconds, Samples: ours.Latency.Count, P50: ours.Latency.P50, P99: ours.Latency.P99, P999: ours.Latency.P999,
			FanoutSamples: ours.Fanout.Count, FanoutP50: ours.Fanout.P50, FanoutP99: ours.Fanout.P99, FanoutP999: ours.Fanout.P999,
			Max: ours.Latency.Max, Updates: ours.Updates, UpdatesPerSec: float64(ours.Updates) / ours.Seconds, NodeCPU: cpu,
			Datagrams: ours.Datagrams, Keyframes: ours.Keyframes, Resyncs: ours.Resyncs, Objects: ours.ObjectsPerState,
			StalledSubs: ours.StalledSubs, ConnectSeconds: ours.ConnectSeconds, DialRetries: ours.DialRetries, SubsCPU: ours.CPU, NodeMaxRSSMB: float64(maxRSS) / 1e6, Shed: m1.sum("v2x_ingest_shed_total") - m0.sum("v2x_ingest_shed_total"),
			NodeSendP50: jsonBound(1e6 * quantile(m0, m1, "v2x_broadcast_delay_seconds", 0.5)), NodeSendP99: jsonBound(1e6 * quantile(m0, m1, "v2x_broadcast_delay_seconds", 0.99)), Curve: ours.Latency.Curve, FanoutCurve: ours.Fanout.Curve, Peer: "none", Pinned: cfg.Pin, Recording: cfg.Node.RecordDir != ""}
		r.BurstP50, r.BurstP99 = jsonBound(quantile(m0, m1, "v2x_broadcast_wakeups", 0.5)), jsonBound(quantile(m0, m1, "v2x_broadcast_wakeups", 0.99))
		if ours.Seconds > 0 {
			r.FreshPublishesPerS = (m1.sum("v2x_broadcast_wakeups_count") - m0.sum("v2x_broadcast_wakeups_count")) / ours.Seconds
			r.EncodingsPerS = (m1.sum("v2x_broadcast_encodings_total") - m0.sum("v2x_broadcast_encodings_total")) / ours.Seconds
		}
		if r.UpdatesPerSec > 0 {
			r.NodeCPUPerUpdate, r.SubsCPUPerUpdate = r.NodeCPU*1e6/r.UpdatesPerSec, r.SubsCPU*1e6/r.UpdatesPerSec
		}
		for _, st := range ours.Stages {
			r.StageP50, r.StageP99 = append(r.StageP50, st.P50), append(r.StageP99, st.P99)
		}
		if ours.Updates > 0 {
			r.BytesPer = float64(ours.Bytes) / float64(ours.Updates)
			r.RawBytesPer = float64(ours.RawBytes) / float64(ours.Updates)
			r.Smaller = r.RawBytesPer / r.BytesPer
		}
		fmt.Fprintf(cfg.Progress, "  %d subscribers connected in %.1f s (%d dial attempts made again)\n", n, r.ConnectSeconds, r.DialRetries)
		fmt.Fprintf(cfg.Progress, "  end to end (ingest→decoded state): p50 %.0f µs  p99 %.0f µs  p99.9 %.0f µs  (%d samples)\n", r.P50, r.P99, r.P999, r.Samples)
		fmt.Fprintf(cfg.Progress, "  fan-out (publication→decoded state): p50 %.0f µs  p99 %.0f µs  p99.9 %.0f µs  (%d samples)\n", r.FanoutP50, r.FanoutP99, r.FanoutP999, r.FanoutSamples)
		fmt.Fprintf(cfg.Progress, "  %0.f updates/s  %.0f B/update (%.1fx smaller)  node CPU %.2f cores, subscribers' CPU %.2f; node max RSS %.0f MB, shed %.0f\n",
			r.UpdatesPerSec, r.BytesPer, r.Smaller, r.NodeCPU, r.SubsCPU, r.NodeMaxRSSMB, r.Shed)
		if len(r.StageP50) == 3 {
			fmt.Fprintf(cfg.Progress, "  stages p50/p99: ingest→publish %.0f/%.0f µs, publish→received %.0f/%.0f µs (of which publish→handed to QUIC ≤%.0f/≤%.0f µs), received→state %.0f/%.0f µs\n",
				r.StageP50[0], r.StageP99[0], r.StageP50[1], r.StageP99[1], r.NodeSendP50, r.NodeSendP99, r.StageP50[2], r.StageP99[2])
		}
		fmt.Fprintf(cfg.Progress, "  bursts: %.0f publications/s with new data, each waking ≤%.0f (p50) / ≤%.0f (p99) subscribers; %.0f encodings/s; CPU per update %.0f µs node + %.0f µs subscriber process\n",
			r.FreshPublishesPerS, r.BurstP50, r.BurstP99, r.EncodingsPerS, r.NodeCPUPerUpdate, r.SubsCPUPerUpdate)
		for _, mode := range cfg.Floors {
			size := int(math.Round(r.BytesPer))
			if size == 0 {
				size = 600
			}
			how := "evenly spread, timed from each send"
			if mode == FloorFresh {
				how = "on each state with new data to those whose slot began, with the node's burst cap, timed from the relay's receipt of the state"
			}
			fmt.Fprintf(cfg.Progress, "quic-go floor (%s): %d connections, %d-byte datagrams at %.0f Hz, %s ...\n", mode, n, size, rate, how)
			fl, fcpu, err := runFloor(ctx, cfg, tmp, mode, n, rate, size, addr, relay)
			if err != nil {
				return results, fmt.Errorf("floor %s, %d subscribers: %w", mode, n, err)
			}
			f := Floor{Samples: fl.Fanout.Count, P50: fl.Fanout.P50, P99: fl.Fanout.P99, P999: fl.Fanout.P999, Max: fl.Fanout.Max,
				UpdatesPerSec: float64(fl.Updates) / fl.Seconds, CPU: fcpu, SubsCPU: fl.CPU, Curve: fl.Fanout.Curve}
			if f.P99 > 0 {
				f.Ratio = r.FanoutP99 / f.P99
			}
			switch mode {
			case FloorEven:
				r.Floor = &f
			case FloorFresh:
				r.FreshFloor = &f
			}
			fmt.Fprintf(cfg.Progress, "  p50 %.0f µs  p99 %.0f µs  p99.9 %.0f µs  (%d samples)  %.0f datagrams/s  server CPU %.2f cores (node idling beside it), clients' CPU %.2f; our fan-out p99 is %.2fx this floor's\n",
				f.P50, f.P99, f.P999, f.Samples, f.UpdatesPerSec, f.CPU, f.SubsCPU, f.Ratio)
		}
		for k, b := range brokers {
			fmt.Fprintf(cfg.Progress, "%s: %d subscribers at %.0f Hz ...\n", b.name, n, rate)
			peer, pcpu, err := runPeer(ctx, cfg, addr, relay, b, n, rate)
			if err != nil {
				return results, fmt.Errorf("peer %s, %d subscribers: %w", b.name, n, err)
			}
			pr := PeerResult{Peer: b.name, Samples: peer.Fanout.Count, P50: peer.Fanout.P50, P99: peer.Fanout.P99, P999: peer.Fanout.P999, Max: peer.Fanout.Max,
				UpdatesPerSec: float64(peer.Updates) / peer.Seconds, CPU: pcpu, SubsCPU: peer.CPU, Curve: peer.Fanout.Curve}
			if peer.Updates > 0 {
				pr.BytesPer = float64(peer.Bytes) / float64(peer.Updates)
			}
			if pr.P99 > 0 {
				pr.P99Ratio = r.FanoutP99 / pr.P99
			}
			r.Peers = append(r.Peers, pr)
			if k == 0 {
				r.Peer, r.PeerSamples, r.PeerP50, r.PeerP99, r.PeerP999, r.PeerMax = pr.Peer, pr.Samples, pr.P50, pr.P99, pr.P999, pr.Max
				r.PeerUpdates, r.PeerUpdatesPerSec, r.PeerCPU, r.PeerCurve, r.PeerBytesPer, r.P99Ratio = peer.Updates, pr.UpdatesPerSec, pcpu, pr.Curve, pr.BytesPer, pr.P99Ratio
			}
			fmt.Fprintf(cfg.Progress, "  p50 %.0f µs  p99 %.0f µs  p99.9 %.0f µs  (%d samples)  %.0f updates/s  broker CPU %.2f cores, subscribers' CPU %.2f; our fan-out p50 %.2fx, p99 %.2fx theirs\n",
				pr.P50, pr.P99, pr.P999, pr.Samples, pr.UpdatesPerSec, pr.CPU, pr.SubsCPU, r.FanoutP50/pr.P50, pr.P99Ratio)
		}
		results = append(results, r)
		if cfg.Results != nil {
			line := r
			line.Curve, line.FanoutCurve, line.PeerCurve = nil, nil, nil
			line.Peers = slices.Clone(r.Peers)
			for i := range line.Peers {
				line.Peers[i].Curve = nil
			}
			for _, f := range []**Floor{&line.Floor, &line.FreshFloor} {
				if *f != nil {
					c := **f
					c.Curve = nil
					*f = &c
				}
			}
			if err := json.NewEncoder(cfg.Results).Encode(line); err != nil {
				return results, err
			}
		}
	}
	if cfg.OutDir != "" {
		if err := writeOutputs(cfg.OutDir, results); err != nil {
			return results, err
		}
		fmt.Fprintf(cfg.Progress, "wrote %s and %s\n", filepath.Join(cfg.OutDir, "results.json"), filepath.Join(cfg.OutDir, "latency.svg"))
	}
	return results, nil
}

// runPeer relays the node's state stream through broker b: a relay
// subscribes to the node (uncompressed State frames at the same rate) and
// publishes each frame, prefixed with the time it received it (Mono), to
// one subject; n subscribers of the broker in a child process decode each
// state and measure from that receipt. So the broker's figure covers the
// fan-out span as the node's fanout_* figures do (a state handed to the
// fan-out to the subscriber holding it decoded), with the relay's
// re-encoding in it and none of the fusion.
func runPeer(ctx context.Context, cfg Config, addr string, relay client.Options, b *peerBroker, n int, rate float64) (SubsResult, float64, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dctx, dcancel := context.WithTimeout(rctx, 10*time.Second)
	conn, err := client.Dial(dctx, addr, relay)
	if err != nil {
		dcancel()
		return SubsResult{}, 0, fmt.Errorf("relay: %w", err)
	}
	defer conn.Close()
	sub, err := conn.Subscribe(dctx, wire.Subscribe{MaxRate: float32(rate)})
	dcancel()
	if err != nil {
		return SubsResult{}, 0, fmt.Errorf("relay: %w", err)
	}
	pub, err := b.publisher()
	if err != nil {
		return SubsResult{}, 0, fmt.Errorf("relay: %w", err)
	}
	defer pub.close()
	relayErr := make(chan error, 1)
	go func() {
		defer sub.WaitContext(rctx)()
		var msg []byte
		for {
			u, err := sub.Next()
			recv := Mono()
			if err != nil {
				if rctx.Err() != nil {
					err = nil
				}
				relayErr <- err
				return
			}
			h := wire.Header{Type: wire.TypeState, Seq: u.Seq, Capture: u.TimeNS}
			msg = binary.BigEndian.AppendUint64(msg[:0], uint64(recv))
			msg = wire.AppendHeader(msg, &h)
			msg = wire.AppendState(msg, &u.State)
			wire.FinishFrame(msg, 8)
			if err := pub.publish(msg); err != nil {
				relayErr <- err
				return
			}
		}
	}()
	sc := b.subsConfig(n, rate, cfg.Warmup, cfg.Duration)
	res, cpu, err := runPhase(ctx, cfg.Exe, cfg.ChildProcs, cfg.Pin, sc, func() (time.Duration, error) { return procCPU(b.pid()) })
	cancel()
	if rerr := <-relayErr; err == nil && rerr != nil {
		err = fmt.Errorf("relay: %w", rerr)
	}
	return res, cpu, err
}

// runPhase runs a subscriber process and measures cpu() over its
// measuring window, in cores.
func runPhase(ctx context.Context, exe string, procs int, pin bool, sc SubsConfig, cpu func() (time.Duration, error)) (SubsResult, float64, error) {
	ch, err := startChild(ctx, exe, "subs", procs, pin, sc)
	if err != nil {
		return SubsResult{}, 0, err
	}
	defer ch.stop()
	var res SubsResult
	var c0, c1 time.Duration
	var t0, t1 time.Time
	sc2 := bufio.NewScanner(ch.out)
	sc2.Buffer(make([]byte, 1<<20), 1<<20)
	for sc2.Scan() {
		line := sc2.Text()
		if line == measuringLine {
			t0 = time.Now()
			if c0, err = cpu(); err != nil {
				return res, 0, err
			}
			continue
		}
		if strings.HasPrefix(line, "{") {
			t1 = time.Now()
			if c1, err = cpu(); err != nil {
				return res, 0, err
			}
			if err := json.Unmarshal([]byte(line), &res); err != nil {
				return res, 0, fmt.Errorf("subscriber process result: %w", err)
			}
			break
		}
	}
	if err := ch.wait(); err != nil {
		return res, 0, fmt.Errorf("subscriber process: %w", err)
	}
	if t1.IsZero() || t0.IsZero() {
		return res, 0, errors.New("subscriber process ended without a result")
	}
	return res, (c1 - c0).Seconds() / t1.Sub(t0).Seconds(), nil
}

// child is a re-executed v2x-bench in a role.
type child struct {
	cmd  *exec.Cmd
	out  io.Reader
	errb *strings.Builder
	done chan error
}

func startChild(ctx context.Context, exe, role string, procs int, pin bool, cfg any) (*child, error) {
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "-role", role, "-role-config", string(js))
	cmd.Env = append(os.Environ(), "QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING=true")
	if procs > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMAXPROCS=%d", procs))
	}
	if pin {
		cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", pinEnv, pinChildCPU))
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, out: out, errb: new(strings.Builder), done: make(chan error, 1)}
	cmd.Stderr = &limitedWriter{w: c.errb, n: 8 << 10}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s process: %w", role, err)
	}
	go func() { c.done <- cmd.Wait() }()
	return c, nil
}

// exited reports whether the process has ended, with what it wrote to
// stderr, without waiting.
func (c *child) exited() (bool, string) {
	select {
	case err := <-c.done:
		c.done <- err
		return true, fmt.Sprintf("%v: %s", err, strings.TrimSpace(c.errb.String()))
	default:
		return false, ""
	}
}

func (c *child) wait() error {
	if err := <-c.done; err != nil {
		c.done <- err
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(c.errb.String()))
	}
	c.done <- nil
	return nil
}

func (c *child) stop() {
	select {
	case err := <-c.done:
		c.done <- err
		return
	default:
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		c.done <- err
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
	}
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// watchRSS samples this process's resident set every 100 ms until the
// returned function is called, which returns the largest sample.
func watchRSS() func() int64 {
	stop, done := make(chan struct{}), make(chan int64)
	go func() {
		var m int64
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if r, err := rssBytes(); err == nil {
				m = max(m, r)
			}
			select {
			case <-stop:
				done <- m
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { close(stop); return <-done }
}

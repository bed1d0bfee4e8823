// Command v2x-bench measures the node end to end: ingest-to-subscriber
// latency, delivered rate, bytes per update and node CPU for N
// subscribers, and in the same run the same state stream relayed through
// real brokers (Mosquitto, nats-server) to N subscribers each and sent by
// bare quic-go (the transport floors).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/harness"
	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/edge"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "v2x-bench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("v2x-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	subs := fs.String("subs", "100", "comma-separated subscriber `counts`, one phase each (e.g. 10,100,500,1000)")
	duration := fs.Duration("duration", 10*time.Second, "measuring window per phase")
	warmup := fs.Duration("warmup", 2*time.Second, "wait after every subscriber is connected, before measuring")
	rate := fs.Float64("rate", 0, "updates per second per subscriber (0: 20 Hz up to 500 subscribers, 10 Hz above)")
	peer := fs.String("peer", "mosquitto", "broker peers to relay the same stream through, comma-separated, in order: mosquitto, nats (a nats-server process; each installed with apt-get when missing) or none")
	pin := fs.Bool("pin", false, "pin the node (this process, with its QUIC workers) to CPU 0 and the load, subscriber and broker processes to CPU 1 (sched_setaffinity)")
	seed := fs.Int64("seed", 1, "simulator seed")
	dense := fs.Bool("dense", false, "congested scenario: 200+ objects")
	simStep := fs.Duration("sim-step", 2*time.Millisecond, "simulator step and send tick of the load process: messages reach the node in clumps of up to this")
	copies := fs.Int("copies", 1, "load: send every BSM and object list this many times (10: ten times the nominal ingest)")
	raw := fs.Bool("raw", false, "subscribers take uncompressed full State frames instead of keyframes and compressed deltas")
	sockets := fs.Int("sockets", 0, "UDP sockets the subscriber process's QUIC connections share (0: one per connection)")
	floors := fs.String("floor", "even,fresh", "transport floors to measure beside the node, comma-separated: even (bare quic-go datagrams at the same fan-out, rate and size, evenly spread), fresh (the same, sent as the node sends: the first new state of each subscriber's slot), or none")
	childProcs := fs.Int("child-procs", 0, "GOMAXPROCS of the load and subscriber processes (0: every CPU)")
	noDgram := fs.Bool("no-datagrams", false, "packed updates on streams only, never QUIC datagrams")
	compression := fs.String("compression", "zstd", "node's compression of packed updates: zstd, s2 or none")
	maxBurst := fs.Int("max-burst", 0, "node: rate-capped subscribers one publication wakes at most (0: automatic; -1: no limit)")
	workers := fs.Int("workers", 0, "node: QUIC workers on the listen port (0: one per CPU, as v2x-edge)")
	keyframe := fs.Duration("keyframe-interval", time.Second, "node: a keyframe to each packed subscriber at least this often")
	record := fs.String("record", "", "also measure every subscriber count with the node recording MCAP into `directory` (as v2x-edge -record): a second pass of the same run, without peers or floors, prints lines with \"recording\": true")
	out := fs.String("out", "bench-results", "`directory` for results.json and latency.svg (empty: none)")
	logLevel := fs.String("log-level", "warn", "node log `level`")
	cpuProfile := fs.String("cpuprofile", "", "write the node process's CPU profile to `file`")
	subsProfile := fs.String("subs-cpuprofile", "", "have each node phase's subscriber process write its CPU profile of the measuring window to `file`.N (N: the subscriber count)")
	traceFile := fs.String("trace", "", "write an execution trace of the node process to `file` (go tool trace; -pprof=sched shows scheduling delay)")
	certFile := fs.String("cert", "", "client certificate `file` the load and subscriber processes present (a producer and subscriber; needs -client-ca; default: identities issued from the benchmark node's development CA)")
	keyFile := fs.String("key", "", "client key `file` of -cert")
	clientCA := fs.String("client-ca", "", "node: PEM `file` of the CA that signed -cert")
	corridorN := fs.Int("corridor", 0, "run a corridor of `N` intersections instead (1..16): a three-server NATS cluster with JetStream (nats-server processes on free loopback ports), N nodes with the NATS uplink and handover, and the corridor simulator for -duration; ends with one JSON line (handover_continuity, min_node_mota, events_published, events_in_stream, events_lost, duplicates, state_subjects_seen, ...)")
	spacing := fs.String("spacing", "250m", "corridor: distance between neighbouring intersections (metres; 'm' optional)")
	planStart := fs.Duration("plan-start", 0, "corridor: start this far into the signal cycle (55s: in the arterial's green)")
	killNATS := fs.Duration("kill-nats", 0, "corridor: kill one NATS server (SIGKILL) this long after the start (0: none)")
	role := fs.String("role", "", "internal: run as a load or subscriber process")
	roleConfig := fs.String("role-config", "", "internal: the role's configuration as JSON")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: v2x-bench [flags]\n\nRuns a node, a simulator load process and subscriber processes, and prints one JSON line per\nsubscriber count with latency (p50_us, p99_us, p999_us), bytes per update and the peer's figures.\n\n")
		fs.PrintDefaults()
	}
	if help, err := cli.Parse(fs, args); help || err != nil {
		return err
	}
	if *role != "" {
		return runRole(*role, *roleConfig, stdout)
	}
	if *corridorN != 0 {
		return runCorridor(*corridorN, *spacing, *planStart, *duration, *killNATS, *seed, *logLevel, stdout, stderr)
	}
	var counts []int
	for _, s := range strings.Split(*subs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 5000 {
			return fmt.Errorf("-subs: %q is not a count in 1..5000", s)
		}
		counts = append(counts, n)
	}
	var peers []string
	for _, p := range strings.Split(*peer, ",") {
		switch p = strings.TrimSpace(p); p {
		case harness.PeerMosquitto, harness.PeerNATS:
			if slices.Contains(peers, p) {
				return fmt.Errorf("-peer: %s twice", p)
			}
			peers = append(peers, p)
		case "none", "":
		default:
			return fmt.Errorf("-peer: unknown peer %q (want mosquitto, nats or none)", p)
		}
	}
	var floorModes []string
	for _, m := range strings.Split(*floors, ",") {
		switch m = strings.TrimSpace(m); m {
		case harness.FloorEven, harness.FloorFresh:
			floorModes = append(floorModes, m)
		case "none", "":
		default:
			return fmt.Errorf("-floor: unknown mode %q (want even, fresh or none)", m)
		}
	}
	if *copies < 1 || *copies > 100 {
		return fmt.Errorf("-copies %d outside 1..100", *copies)
	}
	log, err := cli.Logger(stderr, *logLevel, "text")
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return fmt.Errorf("-trace: %w", err)
		}
		defer trace.Stop()
	}
	if (*certFile == "") != (*keyFile == "") || (*certFile == "") != (*clientCA == "") {
		return errors.New("-cert, -key and -client-ca go together")
	}
	ncfg := edge.DefaultConfig()
	ncfg.ClientCA = *clientCA
	ncfg.Compression = *compression
	ncfg.KeyframeInterval = *keyframe
	ncfg.MaxBurst = *maxBurst
	// The benchmark measures fan-out to subscribers already connected;
	// its thousand subscribers dial at once, which the node's handshake
	// gate (50 a second by default) would spread over 20 s and more, past
	// the harness's 30 s dial timeout on a loaded machine.
	ncfg.HandshakesPerSec, ncfg.MaxHandshakes = -1, -1
	if *workers > 0 {
		ncfg.Workers = *workers
	}
	ctx, stop := cli.Context(0)
	defer stop()
	hcfg := harness.Config{Subs: counts, Rate: *rate, Duration: *duration, Warmup: *warmup, Peers: peers, Pin: *pin,
		Seed: *seed, Dense: *dense, Copies: *copies, SimStep: *simStep, Raw: *raw, NoDgram: *noDgram, Sockets: *sockets, ChildProcs: *childProcs, Floors: floorModes, SubsCPUProfile: *subsProfile, Node: ncfg, ClientCert: *certFile, ClientKey: *keyFile, Exe: exe, OutDir: *out,
		Log: log, Progress: stderr, Results: stdout}
	if _, err = harness.Run(ctx, hcfg); err != nil || *record == "" {
		return err
	}
	// The recording pass: the same node configuration, load and
	// subscribers, with the node writing MCAP into -record.
	fmt.Fprintf(stderr, "recording pass: the node records into %s\n", *record)
	hcfg.Node.RecordDir = *record
	hcfg.Peers, hcfg.Floors, hcfg.SubsCPUProfile, hcfg.OutDir = nil, nil, "", ""
	_, err = harness.Run(ctx, hcfg)
	return err
}

func runRole(role, config string, stdout io.Writer) error {
	if err := harness.PinFromEnv(); err != nil {
		return err
	}
	ctx, stop := cli.Context(0)
	defer stop()
	switch role {
	case "subs":
		var c harness.SubsConfig
		if err := json.Unmarshal([]byte(config), &c); err != nil {
			return fmt.Errorf("-role-config: %w", err)
		}
		return harness.RunSubs(ctx, c, stdout)
	case "load":
		var c harness.LoadConfig
		if err := json.Unmarshal([]byte(config), &c); err != nil {
			return fmt.Errorf("-role-config: %w", err)
		}
		err := harness.RunLoad(ctx, c)
		if errors.Is(err, ctx.Err()) {
			return nil
		}
		return err
	}
	return fmt.Errorf("unknown -role %q", role)
}

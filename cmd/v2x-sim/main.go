// Command v2x-sim feeds a v2x-edge node from the simulated four-leg
// signalised intersection: SPAT and MAP from the signal controller, BSMs
// from equipped vehicles and object lists from roadside cameras, each
// source on its own clock. -truth writes ground truth as JSON lines.
// -attack injects an attack through a producer connection of its own;
// -evaluate judges the node; -sweep judges N clean seeds in a row.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/shadow"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "v2x-sim:", err)
		os.Exit(1)
	}
}

// runConfig is what one simulated run needs besides the scenario.
type runConfig struct {
	addr     string
	dial     client.Options
	duration time.Duration
	evaluate bool
	feed     feed.Options // Log, Reorder, Seed, Encoding, Truth
	attack   sim.AttackKind
	// attackCert is the attacker's client certificate (-attack-cert,
	// -attack-key) and attackIdentity the identity name in it, by which
	// the evaluation attributes findings.
	attackCert     *tls.Certificate
	attackIdentity string
	// local: a sweep without -edge, judging a fresh in-process node per
	// seed (addr and dial are set per run).
	local bool
}

func run(args []string, stdout, stderr io.Writer) error {
	var cfg sim.Config
	cfg.SetDefaults()
	fs := flag.NewFlagSet("v2x-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("edge", "127.0.0.1:4433", "node QUIC `address`; with -corridor N, N comma-separated addresses, west to east")
	ca := fs.String("ca", "v2x-data/ca.pem", "PEM `file` of the CA to trust (the node's DIR/ca.pem); with -corridor, one for all nodes or one per -edge address, comma-separated")
	corridorN := fs.Int("corridor", 0, "simulate a corridor of `N` signalised intersections in a row along one arterial (1..16), -spacing apart, vehicles driving from one to the next, intersection i fed to the i-th -edge node; with -evaluate, one JSON line: per-node results, handover_continuity and handover_latency_ms")
	spacing := fs.String("spacing", "250m", "corridor: distance between neighbouring intersections' reference points (metres, 'm' optional; 194..328)")
	certFile := fs.String("cert", "", "client certificate `file` naming this producer's identity (default: identities/sim.pem next to -ca, which a node with the development CA writes)")
	keyFile := fs.String("key", "", "client key `file` of -cert")
	serverName := fs.String("server-name", "", "name to verify in the node's certificate (default: the host of -edge)")
	duration := fs.Duration("duration", 0, "stop after this long (0: until interrupted)")
	truthFile := fs.String("truth", "", "write ground truth to this `file` as JSON lines (10 Hz)")
	evaluate := fs.Bool("evaluate", false, "also subscribe to the node, judge its fused state against ground truth, and end by printing one JSON line of metrics (mota, rmse_m, id_switches, false_tracks, missed; on clean runs the tracked single-source baseline from in-process shadow nodes, one per source: multi_source_rmse_m, best_single_tracked_rmse_m, rmse_ratio_tracked, ...; raw_best_single_source_rmse_m, ...; and the attack's: attack, detected, detect_ms, forged_objects_broadcast, false_findings)")
	outOfOrder := fs.Float64("reorder", 0, "share of frames held back and sent late, out of order (0..1; up to 150 ms late)")
	attackName := fs.String("attack", "", "inject an attack `kind` through a producer connection of its own, from 3 s on: ghost, teleport, const-pos, random-speed, sybil, replay, fake-green or map-swap")
	attackCert := fs.String("attack-cert", "", "PEM `file` of the attacker's client certificate (with -attack-key; its identity is the one findings are attributed to)")
	attackKey := fs.String("attack-key", "", "PEM `file` of the attacker's private key")
	sweep := fs.Int("sweep", 0, "judge `N` clean runs, seeds -seed, -seed+1, ..., each for -duration with -evaluate: one JSON line per seed, then a summary line (min_mota, median_mota, max_rmse_ratio_tracked, worst_seed, seeds); without -edge each seed runs on a fresh in-process node, with -edge the node must hold no object before each seed")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "random seed; the same seed gives the same scenario")
	fs.IntVar(&cfg.Cameras, "cameras", cfg.Cameras, "number of roadside cameras (0..12)")
	fs.Float64Var(&cfg.EquippedShare, "equipped", cfg.EquippedShare, "share of vehicles sending BSMs (0..1)")
	fs.Float64Var(&cfg.VehiclesPerMin, "vehicles-per-min", cfg.VehiclesPerMin, "vehicle arrivals per minute per approach")
	fs.Float64Var(&cfg.PedestriansPerMin, "pedestrians-per-min", cfg.PedestriansPerMin, "pedestrian arrivals per minute per crosswalk")
	fs.DurationVar(&cfg.CameraClockOffsetMax, "camera-clock-offset", cfg.CameraClockOffsetMax, "camera clock offsets are drawn uniformly within ±this")
	fs.Float64Var(&cfg.GNSSSigma, "gnss-sigma", cfg.GNSSSigma, "BSM position noise, one sigma in `metres`")
	fs.Float64Var(&cfg.CameraDropRate, "camera-drop", cfg.CameraDropRate, "share of camera frames dropped (0..1)")
	cameraNoise := fs.String("camera-noise", cfg.CameraNoise.String(), "camera error `model`: correlated (calibration bias drifting per camera, noise correlated in time per object, optimistic reported covariance, occlusion behind tall vehicles; docs/fusion.md) or white (independent errors, exact covariance)")
	fs.BoolVar(&cfg.NoSensorInfo, "no-sensor-info", false, "cameras do not declare their fields of view (SensorInfo frames): the node learns their coverage from their detections")
	fs.BoolVar(&cfg.OracleNoBias, "oracle-no-bias", false, "diagnostic: feed the judged node the cameras' detections without their calibration bias (the single-source shadows still get the biased ones): what removing the biases exactly could reach")
	fs.BoolVar(&cfg.Dense, "dense", cfg.Dense, "dense traffic: 200+ simultaneous objects")
	fs.DurationVar(&cfg.RoadWorksEnd, "roadworks-end", cfg.RoadWorksEnd, "the roadside unit's road-works event ends this long after the start (its RSI carries the end); 0: open-ended")
	encoding := fs.String("encoding", "native", "send messages as `std` MessageFrames: native, csae53 (BSM, SPAT, MAP, RSI, camera lists as RSMs) or j2735 (BSM, SPaT, MAP; RSIs and camera lists stay native)")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: v2x-sim [flags]\n\nFeeds a v2x-edge node from a simulated signalised intersection.\n\n")
		fs.PrintDefaults()
	}
	if help, err := cli.Parse(fs, args); help || err != nil {
		return err
	}
	edgeSet := false
	fs.Visit(func(f *flag.Flag) { edgeSet = edgeSet || f.Name == "edge" })
	log, err := cli.Logger(stderr, *logLevel, "text")
	if err != nil {
		return err
	}
	if cfg.CameraNoise, err = sim.ParseCameraNoise(*cameraNoise); err != nil {
		return fmt.Errorf("-camera-noise: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	rc := runConfig{addr: *addr, duration: *duration, evaluate: *evaluate,
		dial: client.Options{CAFile: *ca, ServerName: *serverName}}
	rc.feed.Log = log
	// Every flag is checked before dialling.
	if !(*outOfOrder >= 0 && *outOfOrder <= 1) {
		return fmt.Errorf("-reorder %v outside 0..1", *outOfOrder)
	}
	rc.feed.Reorder = *outOfOrder
	rc.feed.OracleNoBias = cfg.OracleNoBias
	switch *encoding {
	case "native":
	case "csae53":
		rc.feed.Encoding = wire.EncodingCSAE53
	case "j2735":
		rc.feed.Encoding = wire.EncodingJ2735
	default:
		return fmt.Errorf("-encoding %q: want native, csae53 or j2735", *encoding)
	}
	if rc.attack, err = sim.ParseAttack(*attackName); err != nil {
		return fmt.Errorf("-attack: %w", err)
	}
	if (*attackCert == "") != (*attackKey == "") {
		return errors.New("-attack-cert and -attack-key go together")
	}
	if *attackCert != "" {
		if rc.attack == sim.AttackNone {
			return errors.New("-attack-cert: no -attack to use it for")
		}
		if rc.attackCert, rc.attackIdentity, err = loadIdentity(*attackCert, *attackKey); err != nil {
			return fmt.Errorf("-attack-cert: %w", err)
		}
	}
	if *sweep < 0 {
		return fmt.Errorf("-sweep %d: want a number of runs", *sweep)
	}
	if *sweep > 0 {
		switch {
		case *duration <= 0:
			return errors.New("-sweep needs -duration: how long each run lasts")
		case rc.attack != sim.AttackNone:
			return errors.New("-sweep runs clean seeds: no -attack")
		case *truthFile != "":
			return errors.New("-sweep writes no -truth")
		}
		rc.evaluate = true
		rc.local = !edgeSet
	}
	if *corridorN != 0 {
		// Every corridor flag is checked before the identities and dialling.
		if *sweep > 0 || rc.attack != sim.AttackNone || *truthFile != "" || *outOfOrder != 0 || *encoding != "native" {
			return errors.New("-corridor runs without -sweep, -attack, -truth, -reorder and -encoding")
		}
		cc, err := corridorConfig(cfg, *corridorN, *spacing)
		if err != nil {
			return err
		}
		ctx, stop := cli.Context(0)
		defer stop()
		return runCorridor(ctx, cc, *addr, *ca, *certFile, *keyFile, *serverName, *duration, *evaluate, log, stdout)
	}
	if *truthFile != "" {
		f, err := os.Create(*truthFile)
		if err != nil {
			return fmt.Errorf("-truth: %w", err)
		}
		defer f.Close()
		rc.feed.Truth = f
	}

	if !rc.local {
		cf, kf, id, err := cli.ClientIdentity(*certFile, *keyFile, *ca, devca.SimIdentity)
		if err != nil {
			return err
		}
		if !id.Has(auth.RoleProducer) {
			return fmt.Errorf("identity %s (%s) is not a producer", id.Name, cf)
		}
		if rc.evaluate && !id.Has(auth.RoleSubscriber) {
			return fmt.Errorf("-evaluate needs an identity with both producer and subscriber roles; %s (%s) has %s", id.Name, cf, id.Roles)
		}
		rc.dial.CertFile, rc.dial.KeyFile = cf, kf
	}

	ctx, stop := cli.Context(0)
	defer stop()
	if *sweep > 0 {
		return runSweep(ctx, cfg, rc, *sweep, stdout, stderr)
	}
	r, err := simulate(ctx, cfg, rc, stderr)
	if err != nil || r == nil {
		return err
	}
	return printJSON(stdout, r)
}

// loadIdentity loads a client certificate and returns it with the
// v2x-edge identity name it carries.
func loadIdentity(certFile, keyFile string) (*tls.Certificate, string, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, "", err
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", certFile, err)
	}
	id, err := auth.FromCert(leaf)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", certFile, err)
	}
	return &c, id.Name, nil
}

// attackDialOptions returns the options the attacker's own connection is
// dialled with: those of the honest connection, presenting cert when one
// was given (-attack-cert), else the honest identity.
func attackDialOptions(base client.Options, cert *tls.Certificate) client.Options {
	if cert != nil {
		base.CertFile, base.KeyFile, base.Certificate = "", "", cert
	}
	return base
}

// simulate runs one scenario for rc.duration (until interrupted if 0) and
// returns its evaluation, nil without -evaluate.
func simulate(parent context.Context, cfg sim.Config, rc runConfig, stderr io.Writer) (*eval.Result, error) {
	log := rc.feed.Log
	s, err := sim.New(cfg)
	if err != nil {
		return nil, err
	}
	opts := rc.feed
	opts.Seed = cfg.Seed
	ctx, cancel := parent, context.CancelFunc(func() {})
	if rc.duration > 0 {
		ctx, cancel = context.WithTimeout(parent, rc.duration)
	}
	defer cancel()
	dial := func(o client.Options) (*client.Conn, error) {
		o.Reconnect = &client.Reconnect{Context: ctx, Log: log}
		dctx, cancel := client.WithDialTimeout(ctx, 10*time.Second)
		defer cancel()
		return client.Dial(dctx, rc.addr, o)
	}
	conn, err := dial(rc.dial)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if rc.attack != sim.AttackNone {
		if opts.Attack, err = sim.NewAttacker(s, sim.AttackConfig{Kind: rc.attack, Seed: cfg.Seed}); err != nil {
			return nil, err
		}
		if opts.AttackConn, err = dial(attackDialOptions(rc.dial, rc.attackCert)); err != nil {
			return nil, fmt.Errorf("attacker: %w", err)
		}
		defer opts.AttackConn.Close()
	}
	log.Info("simulating", "seed", cfg.Seed, "cameras", cfg.Cameras, "sources", len(s.Sources()), "edge", rc.addr, "attack", rc.attack.String())

	var ev *eval.Live
	if rc.evaluate {
		eo := eval.Options{Attack: rc.attack.String(), AttackerIdentity: rc.attackIdentity, Name: "main"}
		if ev, err = eval.Attach(ctx, conn, s, &opts, eo); err != nil {
			return nil, err
		}
		if rc.attack == sim.AttackNone {
			// The tracked single-source baseline: one in-process shadow
			// node per source, with the default configuration.
			shadows, err := shadow.Start(ctx, ev, s, edge.DefaultConfig(), &opts)
			if err != nil {
				ev.Finish()
				return nil, err
			}
			defer shadows.Close()
		}
	}

	var st feed.Stats
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- feed.Run(ctx, conn, s, opts, &st) }()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			fmt.Fprintf(stderr, "v2x-sim: %.1fs simulated; sent %d frames: bsm %d, objects %d, spat %d, map %d, rsi %d, sensor %d; %d rejected by the node; %d lost while disconnected, %d reconnects\n",
				time.Since(start).Seconds(), st.Total(), st.Sent[wire.TypeBSM].Load(), st.Sent[wire.TypeObjectList].Load(),
				st.Sent[wire.TypeSPAT].Load(), st.Sent[wire.TypeMAP].Load(), st.Sent[wire.TypeRSI].Load(), st.Sent[wire.TypeSensorInfo].Load(), st.Rejected.Load(),
				st.Lost.Load(), conn.Reconnects())
			if opts.Attack != nil {
				fmt.Fprintf(stderr, "v2x-sim: attack %s: sent %d forged frames, %d rejected by the node\n", rc.attack, st.AttackSent.Load(), st.AttackRejected.Load())
			}
			if err != nil {
				return nil, err
			}
			if ev == nil {
				return nil, nil
			}
			r, err := ev.Finish()
			if err != nil {
				return nil, err
			}
			r.Seed = cfg.Seed
			return &r, nil
		case <-tick.C:
			log.Info("progress", "elapsed", time.Since(start).Round(time.Second), "frames", st.Total(), "rejected", st.Rejected.Load())
		}
	}
}

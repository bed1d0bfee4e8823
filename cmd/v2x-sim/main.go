// Command v2x-sim feeds a v2x-edge node from the simulated four-leg
// signalised intersection: SPAT and MAP from the signal controller, BSMs
// from equipped vehicles and object lists from roadside cameras, each
// source on its own clock. -truth writes ground truth as JSON lines.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/eval"
	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "v2x-sim:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	var cfg sim.Config
	cfg.SetDefaults()
	fs := flag.NewFlagSet("v2x-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("edge", "127.0.0.1:4433", "node QUIC `address`")
	ca := fs.String("ca", "v2x-data/ca.pem", "PEM `file` of the CA to trust (the node's DIR/ca.pem)")
	certFile := fs.String("cert", "", "client certificate `file` naming this producer's identity (default: identities/sim.pem next to -ca, which a node with the development CA writes)")
	keyFile := fs.String("key", "", "client key `file` of -cert")
	serverName := fs.String("server-name", "", "name to verify in the node's certificate (default: the host of -edge)")
	duration := fs.Duration("duration", 0, "stop after this long (0: until interrupted)")
	truthFile := fs.String("truth", "", "write ground truth to this `file` as JSON lines (10 Hz)")
	evaluate := fs.Bool("evaluate", false, "also subscribe to the node, judge its fused state against ground truth, and end by printing one JSON line of metrics (mota, rmse_m, id_switches, false_tracks, missed, best_single_source_rmse_m, ...)")
	outOfOrder := fs.Float64("reorder", 0, "share of frames held back and sent late, out of order (0..1; up to 150 ms late)")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "random seed; the same seed gives the same scenario")
	fs.IntVar(&cfg.Cameras, "cameras", cfg.Cameras, "number of roadside cameras (0..12)")
	fs.Float64Var(&cfg.EquippedShare, "equipped", cfg.EquippedShare, "share of vehicles sending BSMs (0..1)")
	fs.Float64Var(&cfg.VehiclesPerMin, "vehicles-per-min", cfg.VehiclesPerMin, "vehicle arrivals per minute per approach")
	fs.Float64Var(&cfg.PedestriansPerMin, "pedestrians-per-min", cfg.PedestriansPerMin, "pedestrian arrivals per minute per crosswalk")
	fs.DurationVar(&cfg.CameraClockOffsetMax, "camera-clock-offset", cfg.CameraClockOffsetMax, "camera clock offsets are drawn uniformly within ±this")
	fs.Float64Var(&cfg.GNSSSigma, "gnss-sigma", cfg.GNSSSigma, "BSM position noise, one sigma in `metres`")
	fs.Float64Var(&cfg.CameraDropRate, "camera-drop", cfg.CameraDropRate, "share of camera frames dropped (0..1)")
	fs.BoolVar(&cfg.Dense, "dense", cfg.Dense, "dense traffic: 200+ simultaneous objects")
	encoding := fs.String("encoding", "native", "send messages as `std` MessageFrames: native, csae53 (BSM, SPAT, MAP, RSI, camera lists as RSMs) or j2735 (BSM, SPaT, MAP; RSIs and camera lists stay native)")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: v2x-sim [flags]\n\nFeeds a v2x-edge node from a simulated signalised intersection.\n\n")
		fs.PrintDefaults()
	}
	if help, err := cli.Parse(fs, args); help || err != nil {
		return err
	}
	log, err := cli.Logger(stderr, *logLevel, "text")
	if err != nil {
		return err
	}
	s, err := sim.New(cfg)
	if err != nil {
		return err
	}
	opts := feed.Options{Log: log}
	// Every flag is checked before dialling.
	if !(*outOfOrder >= 0 && *outOfOrder <= 1) {
		return fmt.Errorf("-reorder %v outside 0..1", *outOfOrder)
	}
	opts.Reorder, opts.Seed = *outOfOrder, cfg.Seed
	switch *encoding {
	case "native":
	case "csae53":
		opts.Encoding = wire.EncodingCSAE53
	case "j2735":
		opts.Encoding = wire.EncodingJ2735
	default:
		return fmt.Errorf("-encoding %q: want native, csae53 or j2735", *encoding)
	}
	if *truthFile != "" {
		f, err := os.Create(*truthFile)
		if err != nil {
			return fmt.Errorf("-truth: %w", err)
		}
		defer f.Close()
		opts.Truth = f
	}

	cf, kf, id, err := cli.ClientIdentity(*certFile, *keyFile, *ca, devca.SimIdentity)
	if err != nil {
		return err
	}
	if !id.Has(auth.RoleProducer) {
		return fmt.Errorf("identity %s (%s) is not a producer", id.Name, cf)
	}
	if *evaluate && !id.Has(auth.RoleSubscriber) {
		return fmt.Errorf("-evaluate needs an identity with both producer and subscriber roles; %s (%s) has %s", id.Name, cf, id.Roles)
	}

	ctx, stop := cli.Context(*duration)
	defer stop()
	dctx, cancel := client.WithDialTimeout(ctx, 10*time.Second)
	conn, err := client.Dial(dctx, *addr, client.Options{CAFile: *ca, CertFile: cf, KeyFile: kf, ServerName: *serverName,
		Reconnect: &client.Reconnect{Context: ctx, Log: log}})
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close()
	log.Info("simulating", "seed", cfg.Seed, "cameras", cfg.Cameras, "sources", len(s.Sources()), "edge", *addr)

	var ev *eval.Live
	if *evaluate {
		if ev, err = eval.Attach(ctx, conn, s, &opts, eval.Options{}); err != nil {
			return err
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
			fmt.Fprintf(stderr, "v2x-sim: %.1fs simulated; sent %d frames: bsm %d, objects %d, spat %d, map %d, rsi %d; %d rejected by the node; %d lost while disconnected, %d reconnects\n",
				time.Since(start).Seconds(), st.Total(), st.Sent[wire.TypeBSM].Load(), st.Sent[wire.TypeObjectList].Load(),
				st.Sent[wire.TypeSPAT].Load(), st.Sent[wire.TypeMAP].Load(), st.Sent[wire.TypeRSI].Load(), st.Rejected.Load(),
				st.Lost.Load(), conn.Reconnects())
			if err != nil {
				return err
			}
			if ev != nil {
				return printResult(os.Stdout, ev)
			}
			return nil
		case <-tick.C:
			log.Info("progress", "elapsed", time.Since(start).Round(time.Second), "frames", st.Total(), "rejected", st.Rejected.Load())
		}
	}
}

// Command v2x-edge runs a v2x-edge node: QUIC ingest of V2X messages and
// camera object lists, fusion into intersection state, and broadcast to
// subscribers. With -demo it also feeds itself from the built-in simulated
// intersection over loopback QUIC and prints what a subscriber receives.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/cmd/internal/demo"
	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "v2x-edge:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "cert" {
		return runCert(args[1:], stdout, stderr)
	}
	cfg := defaults(false)
	fs := flag.NewFlagSet("v2x-edge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "JSON configuration `file` (flags given explicitly override it)")
	cfg.BindFlags(fs)
	demoMode := fs.Bool("demo", false, "feed the node from the built-in simulated intersection over loopback QUIC and print what a subscriber receives")
	seed := fs.Int64("seed", 1, "simulator seed for -demo")
	cameras := fs.Int("cameras", 4, "simulated cameras for -demo")
	duration := fs.Duration("duration", 0, "stop after this long (0: until SIGINT/SIGTERM)")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	logFormat := fs.String("log-format", "text", "log `format`: text or json")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: v2x-edge [flags]\n       v2x-edge cert issue -data DIR -name NAME -role ROLE[,ROLE] [-kinds KIND,...] [-intersections ID,...] [-days N] -out DIR2\n\n"+
			"Runs a v2x-edge node. Clients trust DIR/ca.pem unless -cert is given, and present a client\ncertificate signed by the client CA (-client-ca; by default the development CA in DIR).\n\n")
		fs.PrintDefaults()
	}
	if help, err := cli.Parse(fs, args); help || err != nil {
		return err
	}
	log, err := cli.Logger(stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	// The configuration file first, the flags given on the command line
	// over it; SIGHUP reads the file again (for the XDP guard's lists and
	// limits) with the same flags over it.
	load := loader(*configFile, cli.Visited(fs))
	if cfg, err = load(); err != nil {
		return err
	}

	if *demoMode && math.IsNaN(cfg.RefLat) {
		// The node never takes its reference point from a position; the
		// demo's intersection is the simulator's (its MAP also says so).
		cfg.RefLat, cfg.RefLon = sim.DefaultRefLat, sim.DefaultRefLon
	}
	n, err := edge.New(cfg, log)
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		return err
	}
	ctx, stop := cli.Context(*duration)
	defer stop()
	// SIGHUP resets the XDP guard's lists and limits to the
	// configuration (the file read again, the flags over it), and reads
	// the revocation list and the operator token again.
	stopHUP := cli.OnSignal(ctx, syscall.SIGHUP, func() {
		log.Info("SIGHUP: reloading the XDP guard's lists and limits, the revocation list and the operator token", "config", *configFile)
		n.ReloadGuard(load)   // logs and counts what it did
		n.ReloadCredentials() // the same
	})
	defer stopHUP()
	var runErr error
	if *demoMode {
		scfg := sim.Config{Seed: *seed, Cameras: *cameras}
		scfg.SetDefaults()
		if cfg.CertFile != "" || cfg.ClientCA != "" {
			runErr = errors.New("-demo uses the development CA; do not combine it with -cert or -client-ca")
		} else {
			runErr = runDemo(ctx, cfg.DataDir, dialable(n.Addr()), scfg, stdout, log)
		}
	} else {
		<-ctx.Done()
	}
	stop()
	stopHUP()
	if err := n.Close(); err != nil {
		return err
	}
	return runErr
}

// runDemo issues the demo's own identities under DIR/identities (a
// producer of every kind and a subscriber) and runs the demo with them.
func runDemo(ctx context.Context, dataDir, addr string, scfg sim.Config, stdout io.Writer, log *slog.Logger) error {
	ids := filepath.Join(dataDir, devca.IdentitiesDir)
	until := time.Now().Add(devca.DefaultDays * 24 * time.Hour)
	pc, pk, err := devca.IssueFiles(dataDir, auth.Identity{Name: "demo-producer", Roles: auth.Roles(auth.RoleProducer), Kinds: auth.AllKinds}, until, ids)
	if err != nil {
		return fmt.Errorf("demo identity: %w", err)
	}
	sc, sk, err := devca.IssueFiles(dataDir, auth.Identity{Name: "demo-subscriber", Roles: auth.Roles(auth.RoleSubscriber)}, until, ids)
	if err != nil {
		return fmt.Errorf("demo identity: %w", err)
	}
	ca := filepath.Join(dataDir, devca.CAFile)
	return demo.Run(ctx, demo.Options{Addr: addr, Sim: scfg, Out: stdout, Log: log,
		Client:     client.Options{CAFile: ca, CertFile: pc, KeyFile: pk},
		Subscriber: client.Options{CAFile: ca, CertFile: sc, KeyFile: sk}})
}

// dialable turns a listen address into one a local client can dial
// (an unspecified IP becomes loopback).
func dialable(a net.Addr) string {
	u, ok := a.(*net.UDPAddr)
	if !ok {
		return a.String()
	}
	ip := u.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(u.Port))
}

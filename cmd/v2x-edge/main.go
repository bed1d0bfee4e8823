// Command v2x-edge runs a v2x-edge node: QUIC ingest of V2X messages and
// camera object lists, fusion into intersection state, and broadcast to
// subscribers. With -demo it also feeds itself from the built-in simulated
// intersection over loopback QUIC and prints what a subscriber receives.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/v2x-edge/v2x-edge/bench/demo"
	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/edge/xdpguard"
	"github.com/v2x-edge/v2x-edge/v2x"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "v2x-edge:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg := edge.DefaultConfig()
	fs := flag.NewFlagSet("v2x-edge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "JSON configuration `file` (flags given explicitly override it)")
	listen := fs.String("listen", cfg.Listen, "QUIC UDP listen `address`")
	httpAddr := fs.String("http", "127.0.0.1:9464", "`address` for /metrics and /healthz (empty: off)")
	data := fs.String("data", cfg.DataDir, "data `directory`: development CA (ca.pem for clients) and server certificate")
	cert := fs.String("cert", "", "PEM server certificate `file` (default: development CA in -data)")
	key := fs.String("key", "", "PEM server key `file`")
	ref := fs.String("ref", "", "intersection reference point `lat,lon` until a MAP arrives")
	maxFrame := fs.Int("max-frame", cfg.MaxFrame, "largest accepted frame length in `bytes`")
	compression := fs.String("compression", cfg.Compression, "compression of packed subscribers' updates: zstd (with the trained dictionary), s2 or none")
	keyframe := fs.Duration("keyframe-interval", cfg.KeyframeInterval, "packed subscribers get a keyframe at least this often, deltas between")
	maxBurst := fs.Int("max-burst", cfg.MaxBurst, "rate-capped subscribers one publication wakes at most, the rest wait for the next (0: automatic, twice the demand per publication with new data and at least 16; -1: no limit)")
	noDatagrams := fs.Bool("no-datagrams", false, "send every packed update on its stream, never as a QUIC datagram")
	workers := fs.Int("workers", cfg.Workers, "QUIC workers on the listen port, steered by connection id with eBPF (one without the privilege to load it)")
	xdpIface := fs.String("xdp-iface", "", "attach the XDP guard to this `interface` (empty: no guard)")
	xdpAllow := fs.String("xdp-allow", "", "comma-separated `prefixes` (or addresses) whose new connections skip the XDP guard's limits")
	xdpDeny := fs.String("xdp-deny", "", "comma-separated `prefixes` (or addresses) whose datagrams the XDP guard drops")
	xdpPrefixRate := fs.Uint64("xdp-prefix-rate", cfg.XDPLimits.PrefixRate, "new connections per second the XDP guard lets in per source prefix (/24, /56); 0: no limit")
	xdpGlobalRate := fs.Uint64("xdp-global-rate", cfg.XDPLimits.GlobalRate, "new connections per second the XDP guard lets in from all sources; 0: no limit")
	uperListen := fs.String("uper-listen", "", "accept raw UPER MessageFrames (as RSUs forward them) on this UDP `address` (empty: off)")
	uperStd := fs.String("uper-std", "csae53", "message set of -uper-listen: csae53 or j2735")
	demoMode := fs.Bool("demo", false, "feed the node from the built-in simulated intersection over loopback QUIC and print what a subscriber receives")
	seed := fs.Int64("seed", 1, "simulator seed for -demo")
	cameras := fs.Int("cameras", 4, "simulated cameras for -demo")
	duration := fs.Duration("duration", 0, "stop after this long (0: until SIGINT/SIGTERM)")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	logFormat := fs.String("log-format", "text", "log `format`: text or json")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: v2x-edge [flags]\n\nRuns a v2x-edge node. Clients trust DIR/ca.pem unless -cert is given.\n\n")
		fs.PrintDefaults()
	}
	if help, err := cli.Parse(fs, args); help || err != nil {
		return err
	}
	log, err := cli.Logger(stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	// Flags set on the command line override the file; SIGHUP reads the
	// file again (for the XDP guard's lists and limits).
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	load := func() (edge.Config, error) {
		cfg := edge.DefaultConfig()
		if *configFile != "" {
			if err := edge.LoadConfigFile(*configFile, &cfg); err != nil {
				return cfg, err
			}
		}
		apply := func(name string, fn func()) {
			if set[name] || *configFile == "" {
				fn()
			}
		}
		apply("listen", func() { cfg.Listen = *listen })
		apply("http", func() { cfg.HTTP = *httpAddr })
		apply("data", func() { cfg.DataDir = *data })
		apply("cert", func() { cfg.CertFile = *cert })
		apply("key", func() { cfg.KeyFile = *key })
		apply("max-frame", func() { cfg.MaxFrame = *maxFrame })
		apply("compression", func() { cfg.Compression = *compression })
		apply("keyframe-interval", func() { cfg.KeyframeInterval = *keyframe })
		apply("no-datagrams", func() { cfg.NoDatagrams = *noDatagrams })
		apply("max-burst", func() { cfg.MaxBurst = *maxBurst })
		apply("workers", func() { cfg.Workers = *workers })
		apply("xdp-iface", func() { cfg.XDPIface = *xdpIface })
		apply("uper-listen", func() { cfg.UPERListen = *uperListen })
		apply("uper-std", func() { cfg.UPERStd = *uperStd })
		apply("xdp-prefix-rate", func() { cfg.XDPLimits.PrefixRate = *xdpPrefixRate })
		apply("xdp-global-rate", func() { cfg.XDPLimits.GlobalRate = *xdpGlobalRate })
		var err error
		for _, l := range []struct {
			name string
			s    string
			dst  *[]netip.Prefix
		}{{"xdp-allow", *xdpAllow, &cfg.XDPAllow}, {"xdp-deny", *xdpDeny, &cfg.XDPDeny}} {
			apply(l.name, func() { *l.dst, err = xdpguard.ParsePrefixList(l.s) })
			if err != nil {
				return cfg, fmt.Errorf("-%s: %w", l.name, err)
			}
		}
		if *ref != "" {
			if cfg.RefLat, cfg.RefLon, err = v2x.ParseLatLon(*ref); err != nil {
				return cfg, fmt.Errorf("-ref: %w", err)
			}
		}
		cfg.SetDefaults()
		return cfg, nil
	}
	if cfg, err = load(); err != nil {
		return err
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
	// configuration: the file read again, the flags over it.
	stopHUP := cli.OnSignal(ctx, syscall.SIGHUP, func() {
		log.Info("SIGHUP: reloading the XDP guard's lists and limits", "config", *configFile)
		n.ReloadGuard(load) // logs and counts what it did
	})
	defer stopHUP()
	var runErr error
	if *demoMode {
		scfg := sim.Config{Seed: *seed, Cameras: *cameras}
		scfg.SetDefaults()
		opts := client.Options{CAFile: filepath.Join(cfg.DataDir, devca.CAFile)}
		if cfg.CertFile != "" {
			runErr = errors.New("-demo uses the development CA; do not combine it with -cert")
		} else {
			runErr = demo.Run(ctx, demo.Options{Addr: dialable(n.Addr()), Client: opts, Sim: scfg, Out: stdout, Log: log})
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

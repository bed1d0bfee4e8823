// Command v2x-replay plays recordings that v2x-edge -record wrote back
// into a node: the recorded ingest frames with their original spacing (or
// faster), one producer stream per recorded stream.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/edge/record/replay"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "v2x-replay:", err)
		os.Exit(1)
	}
}

const usage = "usage: v2x-replay FILE... -edge ADDR -ca CA [-cert FILE -key FILE] [-speed 1|2|max] [-loop]\n" +
	"       v2x-replay -refuse FILE...\n"

// parseInterleaved parses flags and positional arguments in any order
// ("v2x-replay a.mcap -edge X b.mcap"): the flag package stops at the
// first positional one.
func parseInterleaved(fs *flag.FlagSet, args []string) (files []string, help bool, err error) {
	for {
		if help, err = cli.Parse(fs, args); help {
			return nil, true, nil
		}
		if err == nil {
			return files, false, nil
		}
		if fs.NArg() == 0 || !strings.HasPrefix(err.Error(), "unexpected arguments") {
			return nil, false, err
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseSpeed reads -speed: a positive factor, or max (0: no waiting).
func parseSpeed(s string) (float64, error) {
	if s == "max" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || v > 1000 {
		return 0, fmt.Errorf("-speed %q: want a factor above 0 and at most 1000 (1 keeps the recorded spacing), or max", s)
	}
	return v, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("v2x-replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("edge", "127.0.0.1:4433", "node QUIC `address` to replay into")
	ca := fs.String("ca", "v2x-data/ca.pem", "PEM `file` of the CA to trust (the node's DIR/ca.pem)")
	certFile := fs.String("cert", "", "client certificate `file` of a producer allowed the recorded kinds (default: identities/sim.pem next to -ca, which a node with the development CA writes)")
	keyFile := fs.String("key", "", "client key `file` of -cert")
	speedFlag := fs.String("speed", "1", "time `factor`: 1 keeps the recorded spacing, 2 plays twice as fast, max sends as fast as the node takes frames")
	loop := fs.Bool("loop", false, "play the files again from the start until interrupted")
	duration := fs.Duration("duration", 0, "stop after this long (0: at the end of the files, or when interrupted)")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	refuse := fs.Bool("refuse", false, "re-run the recorded fusion cycles offline, without a network, and compare each state with the recorded one (exit 1 on a difference)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), usage+"\nPlays the ingest frames of MCAP recordings (v2x-edge -record DIR) into a node:\n"+
			"each recorded producer stream on a producer stream of its own, frames with their type,\n"+
			"encoding, source and payload, spaced as they arrived. A file cut off by a crash is read up\n"+
			"to its last complete chunk. Progress goes to stderr every 5 s; the summary is one JSON line\n"+
			"on stdout.\n\n"+
			"With -refuse it runs the recorded fusion cycles (their batches and times) through this\n"+
			"build's fusion stage and compares every state with the recorded one: same objects, same ids,\n"+
			"positions within 1 mm, same signal states. One JSON line on stdout; exit 1 on a difference.\n\n")
		fs.PrintDefaults()
	}
	files, help, err := parseInterleaved(fs, args)
	if help || err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("no recording given\n" + usage)
	}
	if *refuse {
		return runRefuse(files, stdout, stderr, *logLevel)
	}
	speed, err := parseSpeed(*speedFlag)
	if err != nil {
		return err
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return err
		}
	}
	log, err := cli.Logger(stderr, *logLevel, "text")
	if err != nil {
		return err
	}
	log = log.With("cmd", "v2x-replay")
	cf, kf, id, err := cli.ClientIdentity(*certFile, *keyFile, *ca, devca.SimIdentity)
	if err != nil {
		return err
	}
	if !id.Has(auth.RoleProducer) {
		return fmt.Errorf("identity %s (%s) is not a producer", id.Name, cf)
	}
	ctx, stop := cli.Context(*duration)
	defer stop()
	dctx, cancel := client.WithDialTimeout(ctx, 10*time.Second)
	conn, err := client.Dial(dctx, *addr, client.Options{CAFile: *ca, CertFile: cf, KeyFile: kf})
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close()
	st, err := replay.Send(ctx, conn, files, replay.SendOptions{Speed: speed, Loop: *loop, Log: log,
		Progress: func(s replay.SendStats) {
			log.Info("progress", "frames_sent", s.Frames, "streams", s.Streams, "frames_rejected", s.Rejected, "elapsed_s", round(s.Elapsed))
		}})
	st.Elapsed, st.Lag = round(st.Elapsed), round(st.Lag)
	line, jerr := json.Marshal(st)
	if jerr != nil {
		return jerr
	}
	fmt.Fprintf(stdout, "%s\n", line)
	if err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

func round(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// Command v2x-sub subscribes to a v2x-edge node and prints the state it
// receives: a readable summary by default, JSON lines with -json.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "v2x-sub:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("v2x-sub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("edge", "127.0.0.1:4433", "node QUIC `address`")
	ca := fs.String("ca", "v2x-data/ca.pem", "PEM `file` of the CA to trust (the node's DIR/ca.pem)")
	serverName := fs.String("server-name", "", "name to verify in the node's certificate (default: the host of -edge)")
	asJSON := fs.Bool("json", false, "print one JSON line per state update")
	duration := fs.Duration("duration", 0, "stop after this long (0: until interrupted)")
	radius := fs.Float64("radius", 0, "region radius in `metres` (0: no limit)")
	center := fs.String("center", "", "region centre as `lat,lon` (default: the intersection reference point)")
	classes := fs.String("classes", "", "comma-separated `classes` to receive (default all): "+classList())
	approaches := fs.String("approaches", "", "comma-separated MAP approach `ids` (0: objects matched to no approach); with -lanes, objects on either pass (default: no such filter)")
	lanes := fs.String("lanes", "", "comma-separated MAP lane `ids` (0: objects matched to no lane); see -approaches")
	rate := fs.Float64("rate", 0, "maximum updates per second (0: every update)")
	raw := fs.Bool("raw", false, "receive uncompressed full State frames instead of keyframes and compressed deltas")
	csaeRSM := fs.Bool("csae-rsm", false, "receive the fused objects as CSAE 53 RSM MessageFrames (as an RSU would broadcast them) and print each as JSON with ASN.1 names")
	noDatagrams := fs.Bool("no-datagrams", false, "receive every update on the stream, never as a QUIC datagram")
	compression := fs.String("compression", "node", "compression of keyframes and deltas: node (the node's -compression) or none (uncompressed, for clients without zstd and its dictionary)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: v2x-sub [flags]\n\nSubscribes to a v2x-edge node and prints the fused intersection state.\n\n")
		fs.PrintDefaults()
	}
	if help, err := cli.Parse(fs, args); help || err != nil {
		return err
	}
	sub := wire.Subscribe{Radius: float32(*radius), MaxRate: float32(*rate)}
	if *csaeRSM {
		sub.Flags |= wire.SubCSAERSM
	}
	if !*raw {
		sub.Flags |= wire.SubPacked
	}
	if *noDatagrams {
		sub.Flags |= wire.SubNoDatagram
	}
	switch *compression {
	case "node":
	case "none":
		sub.Flags |= wire.SubUncompressed
	default:
		return fmt.Errorf("-compression %q: want node or none", *compression)
	}
	if *center != "" {
		lat, lon, err := v2x.ParseLatLon(*center)
		if err != nil {
			return fmt.Errorf("-center: %w", err)
		}
		sub.Flags |= wire.SubCenter
		sub.CenterLat, sub.CenterLon = lat, lon
	}
	if *classes != "" {
		for _, name := range strings.Split(*classes, ",") {
			c, err := v2x.ParseClass(strings.TrimSpace(name))
			if err != nil {
				return fmt.Errorf("-classes: %w (known: %s)", err, classList())
			}
			sub.Classes |= v2x.MaskOf(c)
		}
	}
	var err error
	if sub.Approaches, err = wire.ParseIDSet(*approaches); err != nil {
		return fmt.Errorf("-approaches: %w", err)
	}
	if sub.Lanes, err = wire.ParseIDSet(*lanes); err != nil {
		return fmt.Errorf("-lanes: %w", err)
	}

	ctx, stop := cli.Context(*duration)
	defer stop()
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := client.Dial(dctx, *addr, client.Options{CAFile: *ca, ServerName: *serverName})
	if err != nil {
		cancel()
		return err
	}
	defer conn.Close()
	s, err := conn.Subscribe(dctx, sub)
	cancel()
	if err != nil {
		return err
	}
	defer s.WaitContext(ctx)()

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	var ages []int64
	var bytes, rawBytes int64
	var lastPrint time.Time
	var rsm csae53.MessageFrame
	var line []byte
	start := time.Now()
	for {
		u, err := s.Next()
		if client.IsNodeError(err) {
			fmt.Fprintln(stderr, "v2x-sub: node:", err)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("subscription ended: %w", err)
		}
		ages = append(ages, u.AgeNS)
		bytes += int64(u.Bytes)
		rawBytes += int64(wire.StateFrameLen(len(u.State.Objects), len(u.State.Signals)))
		if u.Encoding == wire.EncodingCSAE53 {
			if _, err := csae53.DecodeFrame(u.Encoded, &rsm); err != nil {
				return fmt.Errorf("rsm frame %d: %w", u.Seq, err)
			}
			line = append(csae53.AppendJSON(line[:0], &rsm), '\n')
			out.Write(line)
			out.Flush()
			continue
		}
		if *asJSON {
			if err := client.WriteJSON(out, u); err != nil {
				return err
			}
			out.Flush()
		} else if time.Since(lastPrint) >= time.Second {
			lastPrint = time.Now()
			fmt.Fprintln(out, client.Summary(u))
			out.Flush()
		}
	}
	elapsed := time.Since(start)
	if len(ages) == 0 {
		return errors.New("no state update received")
	}
	slices.Sort(ages)
	pct := func(p float64) float64 { return float64(ages[int(p*float64(len(ages)-1))]) / 1e3 }
	st := s.Stats()
	if *csaeRSM {
		fmt.Fprintf(stderr, "v2x-sub: %d CSAE RSM frames in %.1fs (%.1f/s); age p50 %.0fµs p99 %.0fµs max %.0fµs; %.0f bytes/frame\n",
			len(ages), elapsed.Seconds(), float64(len(ages))/elapsed.Seconds(), pct(0.5), pct(0.99), pct(1), float64(bytes)/float64(len(ages)))
		return nil
	}
	fmt.Fprintf(stderr, "v2x-sub: %d updates in %.1fs (%.1f/s); age p50 %.0fµs p99 %.0fµs max %.0fµs; %.0f bytes/update (%.1fx smaller than full states); %d keyframes, %d deltas, %d datagrams, %d resyncs\n",
		len(ages), elapsed.Seconds(), float64(len(ages))/elapsed.Seconds(), pct(0.5), pct(0.99), pct(1),
		float64(bytes)/float64(len(ages)), float64(rawBytes)/float64(max(bytes, 1)), st.Keyframes, st.Deltas, st.Datagrams, st.Resyncs)
	return nil
}

func classList() string {
	var names []string
	for c := v2x.Class(0); c.Valid(); c++ {
		names = append(names, c.String())
	}
	return strings.Join(names, ",")
}

// Command v2x-sub subscribes to a v2x-edge node and prints the state it
// receives: a readable summary by default, JSON lines with -json.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/cmd/internal/render"
	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/j2735"
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
	certFile := fs.String("cert", "", "client certificate `file` naming this subscriber's identity (default: identities/sub.pem next to -ca, which a node with the development CA writes)")
	keyFile := fs.String("key", "", "client key `file` of -cert")
	serverName := fs.String("server-name", "", "name to verify in the node's certificate (default: the host of -edge)")
	asJSON := fs.Bool("json", false, "print one JSON line per state update")
	duration := fs.Duration("duration", 0, "stop after this long (0: until interrupted)")
	var f subFlags
	fs.Float64Var(&f.radius, "radius", 0, "region radius in `metres` (0: no limit; at most 1e6)")
	fs.StringVar(&f.center, "center", "", "region centre as `lat,lon` (default: the intersection reference point)")
	fs.StringVar(&f.classes, "classes", "", "comma-separated `classes` to receive (default all): "+classList())
	fs.StringVar(&f.approaches, "approaches", "", "comma-separated MAP approach `ids` (0: objects matched to no approach); with -lanes, objects on either pass (default: no such filter)")
	fs.StringVar(&f.lanes, "lanes", "", "comma-separated MAP lane `ids` (0: objects matched to no lane); see -approaches")
	fs.Float64Var(&f.rate, "rate", 0, "maximum updates per second (0: every update; at most 1000)")
	fs.BoolVar(&f.raw, "raw", false, "receive uncompressed full State frames instead of keyframes and compressed deltas")
	fs.BoolVar(&f.csaeRSM, "csae-rsm", false, "receive the fused objects as CSAE 53 RSM MessageFrames (as an RSU would broadcast them) and print each as JSON with ASN.1 names")
	fs.BoolVar(&f.j2735SDSM, "j2735-sdsm", false, "receive the fused objects as SAE J2735 SDSM MessageFrames (as an RSU would broadcast them) and print each as JSON with ASN.1 names")
	fs.BoolVar(&f.rsi, "rsi", false, "also receive the active roadside events that touch the region, and print each set as a JSON line {\"rsi\": ...} when it changes")
	fs.BoolVar(&f.csaeRSI, "csae-rsi", false, "also receive the active roadside events as CSAE 53 RSI MessageFrames (as an RSU would broadcast them) and print each as JSON with ASN.1 names")
	fs.BoolVar(&f.noDatagrams, "no-datagrams", false, "receive every update on the stream, never as a QUIC datagram")
	var no natsOptions
	fs.StringVar(&no.urls, "nats", "", "subscribe over NATS to these servers (comma-separated `urls`) instead of a node over QUIC: the states (and events) nodes publish with v2x-edge -nats, from many nodes at once, each line with its node_id")
	fs.StringVar(&no.subject, "subject", "v2x.*.*.state", "NATS `subject` for -nats: v2x.REGION.NODE.state or .events, with * or > wildcards")
	fs.StringVar(&no.creds, "nats-creds", "", "NATS credentials `file` for -nats")
	compression := fs.String("compression", "node", "compression of keyframes and deltas: node (the node's -compression) or none (uncompressed, for clients without zstd and its dictionary)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: v2x-sub [flags]\n       v2x-sub -nats URL[,URL...] [-subject 'v2x.*.*.state'] [-json]\n\nSubscribes to a v2x-edge node and prints the fused intersection state.\nIf the node goes away, v2x-sub reconnects and subscribes again.\nWith -nats it follows every node publishing on the subject instead.\n\n")
		fs.PrintDefaults()
	}
	if help, err := cli.Parse(fs, args); help || err != nil {
		return err
	}
	if no.urls != "" {
		no.asJSON = *asJSON
		ctx, stop := cli.Context(*duration)
		defer stop()
		return runNATS(ctx, no, stdout, stderr, slog.New(slog.NewTextHandler(stderr, nil)).With("cmd", "v2x-sub"))
	}
	sub, err := f.subscribe()
	if err != nil {
		return err
	}
	switch *compression {
	case "node":
	case "none":
		sub.Flags |= wire.SubUncompressed
	default:
		return fmt.Errorf("-compression %q: want node or none", *compression)
	}

	cf, kf, id, err := cli.ClientIdentity(*certFile, *keyFile, *ca, devca.SubIdentity)
	if err != nil {
		return err
	}
	if !id.Has(auth.RoleSubscriber) {
		return fmt.Errorf("identity %s (%s) is not a subscriber", id.Name, cf)
	}

	ctx, stop := cli.Context(*duration)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("cmd", "v2x-sub")
	dctx, cancel := client.WithDialTimeout(ctx, 10*time.Second)
	conn, err := client.Dial(dctx, *addr, client.Options{CAFile: *ca, CertFile: cf, KeyFile: kf, ServerName: *serverName,
		Reconnect: &client.Reconnect{Context: ctx, Log: log}})
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
	var jf j2735.MessageFrame
	var line []byte
	var rsis int
	start := time.Now()
	for {
		u, err := s.Next()
		if client.IsNodeError(err) {
			fmt.Fprintln(stderr, "v2x-sub: node:", err)
			continue
		}
		if errors.Is(err, client.ErrRejected) {
			return err
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("subscription ended: %w", err)
		}
		if u.IsRSI {
			rsis++
			if err := writeRSI(out, u, &rsm); err != nil {
				return err
			}
			out.Flush()
			continue
		}
		if u.IsEvent {
			continue
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
		if u.Encoding == wire.EncodingJ2735 {
			if _, err := j2735.DecodeFrame(u.Encoded, &jf); err != nil {
				return fmt.Errorf("sdsm frame %d: %w", u.Seq, err)
			}
			line = append(j2735.AppendJSON(line[:0], &jf), '\n')
			out.Write(line)
			out.Flush()
			continue
		}
		if *asJSON {
			if err := render.WriteJSON(out, u); err != nil {
				return err
			}
			out.Flush()
		} else if time.Since(lastPrint) >= time.Second {
			lastPrint = time.Now()
			fmt.Fprintln(out, render.Summary(u))
			out.Flush()
		}
	}
	elapsed := time.Since(start)
	if len(ages) == 0 {
		if rsis > 0 {
			fmt.Fprintf(stderr, "v2x-sub: %d RSI frames and no state in %.1fs\n", rsis, elapsed.Seconds())
			return nil
		}
		return errors.New("no state update received")
	}
	slices.Sort(ages)
	pct := func(p float64) float64 { return float64(ages[int(p*float64(len(ages)-1))]) / 1e3 }
	st := s.Stats()
	if f.csaeRSM || f.j2735SDSM {
		fmt.Fprintf(stderr, "v2x-sub: %d CSAE RSM / J2735 SDSM frames in %.1fs (%.1f/s); age p50 %.0fµs p99 %.0fµs max %.0fµs; %.0f bytes/frame\n",
			len(ages), elapsed.Seconds(), float64(len(ages))/elapsed.Seconds(), pct(0.5), pct(0.99), pct(1), float64(bytes)/float64(len(ages)))
		return nil
	}
	fmt.Fprintf(stderr, "v2x-sub: %d updates in %.1fs (%.1f/s); age p50 %.0fµs p99 %.0fµs max %.0fµs; %.0f bytes/update (%s); %d keyframes, %d deltas, %d datagrams, %d resyncs, %d reconnects\n",
		len(ages), elapsed.Seconds(), float64(len(ages))/elapsed.Seconds(), pct(0.5), pct(0.99), pct(1),
		float64(bytes)/float64(len(ages)), sizeVsFull(bytes, rawBytes), st.Keyframes, st.Deltas, st.Datagrams, st.Resyncs, st.Resumed)
	return nil
}

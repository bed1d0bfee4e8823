package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/v2x-edge/v2x-edge/cmd/internal/render"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/uplink"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// natsOptions are v2x-sub's flags for subscribing over NATS instead of
// QUIC.
type natsOptions struct {
	urls, subject, creds string
	asJSON               bool
}

// nodeStateJSON is a state line of v2x-sub -nats: the line v2x-sub -json
// prints, with the node it came from.
type nodeStateJSON struct {
	NodeID string `json:"node_id"`
	Region string `json:"region"`
	render.UpdateJSON
}

// nodeEventJSON is an event line of v2x-sub -nats on an events subject.
type nodeEventJSON struct {
	NodeID   string   `json:"node_id"`
	Region   string   `json:"region"`
	Event    uint64   `json:"event_seq"`
	TimeNS   int64    `json:"time_ns"`
	Action   string   `json:"action"`
	Check    string   `json:"check"`
	ObjectID uint32   `json:"object_id"`
	LocalID  uint64   `json:"local_id"`
	Identity string   `json:"identity"`
	Lat      *float64 `json:"lat"`
	Lon      *float64 `json:"lon"`
	Trust    float32  `json:"trust"`
	Text     string   `json:"text"`
}

// natsSub is the state of a NATS subscription: a decoder per node.
type natsSub struct {
	out      *bufio.Writer
	stderr   io.Writer
	asJSON   bool
	decs     map[string]*uplink.StateDecoder
	up       client.Update
	summary  map[string]time.Time // last summary line per node
	states   int
	events   int
	bad      int
	nodes    map[string]bool
	lastWarn time.Time
	// bytes of the state messages decoded, and of the full State frames
	// of the same states
	bytes, full int64
}

// runNATS subscribes to o.subject on the NATS servers o.urls and prints
// every node's states until ctx ends.
func runNATS(ctx context.Context, o natsOptions, stdout, stderr io.Writer, log *slog.Logger) error {
	if o.subject == "" {
		return errors.New("-subject: empty")
	}
	var urls []string
	for _, u := range strings.Split(o.urls, ",") {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, u)
		}
	}
	cfg := uplink.Config{URLs: urls, NodeID: "v2x-sub", CredsFile: o.creds}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("-nats: %w", err)
	}
	opts := []nats.Option{nats.Name("v2x-sub"), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("nats disconnected", "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "server", c.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { log.Warn("nats error", "err", err) })}
	if o.creds != "" {
		opts = append(opts, nats.UserCredentials(o.creds))
	}
	nc, err := nats.Connect(strings.Join(urls, ","), opts...)
	if err != nil {
		return fmt.Errorf("nats connect: %w", err)
	}
	defer nc.Close()
	msgs := make(chan *nats.Msg, 4096)
	sub, err := nc.ChanSubscribe(o.subject, msgs)
	if err != nil {
		return fmt.Errorf("nats subscribe %q: %w", o.subject, err)
	}
	defer sub.Unsubscribe()
	s := &natsSub{out: bufio.NewWriter(stdout), stderr: stderr, asJSON: o.asJSON, decs: map[string]*uplink.StateDecoder{},
		summary: map[string]time.Time{}, nodes: map[string]bool{}}
	defer s.out.Flush()
	for {
		select {
		case <-ctx.Done():
			var keys, deltas, waiting uint64
			for _, d := range s.decs {
				keys, deltas, waiting = keys+d.Keyframes, deltas+d.Deltas, waiting+d.Waiting
			}
			per := 0.0
			if s.states > 0 {
				per = float64(s.bytes) / float64(s.states)
			}
			fmt.Fprintf(stderr, "v2x-sub: %d states and %d events from %d nodes over NATS; %.0f bytes/state (%s); %d keyframes, %d deltas, %d deltas waiting for a keyframe; %d messages undecodable\n",
				s.states, s.events, len(s.nodes), per, sizeVsFull(s.bytes, s.full), keys, deltas, waiting, s.bad)
			if s.states+s.events == 0 {
				return errors.New("no state received")
			}
			return nil
		case m := <-msgs:
			if err := s.handle(m); err != nil {
				return err
			}
		}
	}
}

// handle prints one message: a state line, or an event line.
func (s *natsSub) handle(m *nats.Msg) error {
	region, node, suffix, ok := uplink.ParseSubject(m.Subject)
	if !ok {
		s.warn("not a v2x subject: %s", m.Subject)
		return nil
	}
	s.nodes[region+"."+node] = true
	switch suffix {
	case uplink.EventsSuffix:
		return s.event(region, node, m.Data)
	case uplink.StateSuffix:
	default:
		s.warn("unknown subject %s", m.Subject)
		return nil
	}
	d := s.decs[m.Subject]
	if d == nil {
		d = new(uplink.StateDecoder)
		s.decs[m.Subject] = d
	}
	u := &s.up
	h, err := d.Decode(m.Data, &u.State)
	if errors.Is(err, uplink.ErrWaiting) {
		return nil
	}
	if err != nil {
		s.bad++
		s.warn("%s: %v", m.Subject, err)
		return nil
	}
	s.states++
	s.bytes += int64(len(m.Data))
	s.full += int64(wire.StateFrameLen(len(u.State.Objects), len(u.State.Signals)))
	now := time.Now().UnixNano()
	// No clock exchange over NATS: ages are against this host's clock
	// (clock_synced false).
	u.Seq, u.TimeNS, u.IngestNS, u.RecvNS, u.Bytes = h.Seq, h.Capture, u.State.IngestNS, now, len(m.Data)
	u.AgeNS, u.IngestAgeNS = max(now-h.Capture, 0), 0
	if u.IngestNS > 0 {
		u.IngestAgeNS = max(now-u.IngestNS, 0)
	}
	u.Packed, u.Keyframe = true, true
	if s.asJSON {
		b, err := json.Marshal(nodeStateJSON{NodeID: node, Region: region, UpdateJSON: render.JSON(u)})
		if err != nil {
			return err
		}
		s.out.Write(append(b, '\n'))
		return s.out.Flush()
	}
	if time.Since(s.summary[m.Subject]) >= time.Second {
		s.summary[m.Subject] = time.Now()
		fmt.Fprintf(s.out, "%s.%s %s\n", region, node, render.Summary(u))
		return s.out.Flush()
	}
	return nil
}

func (s *natsSub) event(region, node string, data []byte) error {
	var e wire.Event
	h, err := uplink.DecodeEvent(data, &e)
	if err != nil {
		s.bad++
		s.warn("%s.%s events: %v", region, node, err)
		return nil
	}
	s.events++
	j := nodeEventJSON{NodeID: node, Region: region, Event: h.Seq, TimeNS: e.TimeNS, Action: e.Action.String(), Check: e.Check.String(),
		ObjectID: e.ObjectID, LocalID: e.LocalID, Identity: e.Identity, Trust: e.Trust, Text: e.Text}
	if !math.IsNaN(e.Lat) && !math.IsNaN(e.Lon) {
		j.Lat, j.Lon = &e.Lat, &e.Lon
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	s.out.Write(append(b, '\n'))
	return s.out.Flush()
}

// warn prints a problem at most once a second.
func (s *natsSub) warn(format string, args ...any) {
	if time.Since(s.lastWarn) < time.Second {
		return
	}
	s.lastWarn = time.Now()
	fmt.Fprintf(s.stderr, "v2x-sub: "+format+"\n", args...)
}

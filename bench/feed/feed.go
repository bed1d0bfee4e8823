// Package feed drives a v2x-edge node from the simulator in real time: it
// steps a sim.Sim, and sends every message it emits over producer streams
// (one per simulated source, each answering clock exchanges on that
// source's own clock), optionally writing ground truth as JSON lines.
package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x/codec"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Step is the default simulator step, which is also how often the feed
// sends what came due: messages reach the node in clumps of up to Step.
const Step = 10 * time.Millisecond

// Options configure a feed.
type Options struct {
	// Truth, if set, receives ground truth every TruthEvery as JSON lines.
	Truth      io.Writer
	TruthEvery time.Duration // default 100 ms
	Log        *slog.Logger
	// OnStep, if set, is called after every simulator step with the true
	// time (ns since the Unix epoch, node-comparable).
	OnStep func(t int64, s Scene)
	// OnOutput, if set, is called for every message sent, with its true
	// capture time.
	OnOutput func(o *sim.Output, trueCapture int64)
	// Reorder holds this share of BSM and object-list frames back by 20 to
	// 150 ms, so that they reach the node after newer ones (out-of-order
	// delivery). Seed makes the choice repeatable.
	Reorder float64
	// OracleNoBias (a diagnostic) sends the node each camera list's
	// detections without the camera's calibration bias (sim.Output
	// NoBias, made with sim.Config.OracleNoBias); Mirrors still get the
	// biased ones.
	OracleNoBias bool
	Seed         int64
	// Copies sends every BSM and object list this many times (default 1),
	// the extra copies under source ids offset by 1000·k: a load of that
	// many times the scenario's ingest, for overload tests.
	Copies int
	// Step overrides the simulator step (and send tick); a finer step
	// spreads arrivals the way independent devices would.
	Step time.Duration
	// Encoding sends messages as standard MessageFrames:
	// wire.EncodingCSAE53 (BSM, SPAT, MAP, RSI, and camera object lists
	// as RSMs of at most 16 participants) or wire.EncodingJ2735 (BSM,
	// SPaT, MAP); for J2735, RSIs and camera object lists stay native.
	// Default native.
	Encoding wire.Encoding
	// Attack, if set, forges messages about the scene (sim.Attacker) and
	// sends them through a producer of its own on AttackConn, a connection
	// apart from the honest producers'. The honest messages do not change.
	Attack     *sim.Attacker
	AttackConn *client.Conn
	// OnAttack, if set, is called for every forged message sent, with the
	// time it was sent (ns, node-comparable).
	OnAttack func(o *sim.Output, sentNS int64)
	// Mirrors get copies of some sources' messages, at the same moments
	// and in the same order (held-back frames included) as the node on
	// conn: a shadow node fed by one source alone (bench/eval's tracked
	// single-source baseline). What a mirror refuses or misses is counted
	// in Stats.MirrorRejected and MirrorLost, never stops the feed.
	Mirrors []Mirror
}

// Mirror is a second node fed with copies of the messages of Sources.
type Mirror struct {
	Conn    *client.Conn
	Sources []uint32
}

// Stats counts what a feed sent.
type Stats struct {
	Sent     [256]atomic.Uint64 // by wire.Type; index 0 counts the extra copies of Options.Copies
	Std      [256]atomic.Uint64 // of Sent, those sent as standard MessageFrames (camera lists as RSMs count as object lists)
	Rejected atomic.Uint64      // Error frames from the node
	Lost     atomic.Uint64      // frames not sent because the connection was down (see client.Reconnect)
	Steps    atomic.Uint64
	// Forged messages of Options.Attack: sent, and rejected by the node
	// (they are in neither Sent nor Rejected).
	AttackSent, AttackRejected atomic.Uint64
	// Copies sent to Options.Mirrors that the mirror refused or that were
	// not sent because its connection was down or failed.
	MirrorRejected, MirrorLost atomic.Uint64
}

// Total returns the number of frames sent.
func (s *Stats) Total() uint64 {
	var n uint64
	for i := range s.Sent {
		n += s.Sent[i].Load()
	}
	return n
}

// TruthLine is one line of the ground-truth file.
type TruthLine struct {
	TimeNS  int64             `json:"time_ns"` // node-comparable time (ns since the Unix epoch)
	Objects []sim.TruthObject `json:"objects"`
}

type heldOutput struct {
	at int64
	o  sim.Output
}

// Scene is what a feed drives: a *sim.Sim, or one intersection of a
// corridor (*sim.View).
type Scene interface {
	Sources() []sim.Source
	Now() time.Duration
	Step(dt time.Duration)
	Due(dst []sim.Output) []sim.Output
	Truth(dst []sim.TruthObject) []sim.TruthObject
}

// Run feeds the node on conn from s until ctx ends. Simulated time 0 is
// the moment Run starts. On a reconnecting conn (client.Reconnect), frames
// due while the connection is down are counted in Stats.Lost and the feed
// goes on; the producers resume on the new connection.
func Run(ctx context.Context, conn *client.Conn, s Scene, opts Options, st *Stats) error {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.TruthEvery == 0 {
		opts.TruthEvery = 100 * time.Millisecond
	}
	if opts.Attack != nil && opts.AttackConn == nil {
		return errors.New("feed: an attack needs a connection of its own (Options.AttackConn)")
	}
	single, _ := s.(*sim.Sim)
	if opts.Attack != nil && single == nil {
		return errors.New("feed: attacks run on a single intersection (*sim.Sim)")
	}
	start := clock.Now()
	producers := map[uint32]*client.Producer{}
	offsets := map[uint32]int64{}
	var std codec.Encoder
	for _, src := range s.Sources() {
		offsets[src.ID] = int64(src.ClockOffset)
		off := int64(src.ClockOffset)
		p, err := conn.OpenProducer(ctx, func() int64 { return clock.Now() + off })
		if err != nil {
			return fmt.Errorf("feed: source %s: %w", src.Name, err)
		}
		defer p.Close()
		producers[src.ID] = p
		go func(name string) {
			for e := range p.Errors() {
				st.Rejected.Add(1)
				log.Warn("node rejected a frame", "source", name, "err", e)
			}
		}(src.Name)
	}
	mirrors := map[uint32][]*client.Producer{} // by source id
	for _, m := range opts.Mirrors {
		for _, id := range m.Sources {
			off, ok := offsets[id]
			if !ok {
				return fmt.Errorf("feed: mirror of unknown source %d", id)
			}
			p, err := m.Conn.OpenProducer(ctx, func() int64 { return clock.Now() + off })
			if err != nil {
				return fmt.Errorf("feed: mirror of source %d: %w", id, err)
			}
			defer p.Close()
			mirrors[id] = append(mirrors[id], p)
			go func() {
				for range p.Errors() {
					st.MirrorRejected.Add(1)
				}
			}()
		}
	}
	var attacker *client.Producer
	if opts.Attack != nil {
		p, err := opts.AttackConn.OpenProducer(ctx, clock.Now)
		if err != nil {
			return fmt.Errorf("feed: attacker: %w", err)
		}
		defer p.Close()
		attacker = p
		go func() {
			for e := range p.Errors() {
				st.AttackRejected.Add(1)
				log.Debug("node rejected a forged frame", "err", e)
			}
		}()
	}
	var enc *json.Encoder
	if opts.Truth != nil {
		enc = json.NewEncoder(opts.Truth)
	}
	var (
		outs      []sim.Output
		forged    []sim.Output
		truth     []sim.TruthObject
		nextTruth time.Duration
		held      []heldOutput
		rng       = rand.New(rand.NewPCG(uint64(opts.Seed), 0x5e0))
	)
	step := opts.Step
	if step <= 0 {
		step = Step
	}
	tick := time.NewTicker(step)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		elapsed := time.Duration(clock.Now() - start)
		for s.Now()+step <= elapsed {
			s.Step(step)
			st.Steps.Add(1)
			if opts.Attack != nil {
				opts.Attack.Step(single)
			}
			if opts.OnStep != nil {
				opts.OnStep(start+int64(s.Now()), s)
			}
			if enc != nil && s.Now() >= nextTruth {
				truth = s.Truth(truth[:0])
				if err := enc.Encode(TruthLine{TimeNS: start + int64(s.Now()), Objects: truth}); err != nil {
					return fmt.Errorf("feed: write truth: %w", err)
				}
				nextTruth += opts.TruthEvery
			}
		}
		outs = s.Due(outs[:0])
		if opts.Attack != nil {
			for i := range outs {
				opts.Attack.Observe(&outs[i])
			}
		}
		now := clock.Now()
		// Frames held back earlier whose delay is over go out after the
		// fresh ones of this tick: later than newer data, out of order.
		k := 0
		for _, h := range held {
			if h.at <= now {
				outs = append(outs, h.o)
			} else {
				held[k] = h
				k++
			}
		}
		held = held[:k]
		fresh := len(outs)
		for i := range outs {
			o := &outs[i]
			if i < fresh && opts.Reorder > 0 && (o.Type == sim.MsgBSM || o.Type == sim.MsgObjectList) && rng.Float64() < opts.Reorder {
				held = append(held, heldOutput{at: now + int64(20*time.Millisecond) + rng.Int64N(int64(130*time.Millisecond)), o: *o})
				continue
			}
			p := producers[o.Source]
			if p == nil {
				return fmt.Errorf("feed: output from unknown source %d", o.Source)
			}
			capture := start + int64(o.Capture)
			if o.Type == sim.MsgRSI {
				// Event validity is on the source's clock from the start,
				// like Capture.
				for k := range o.RSI.Events {
					if e := &o.RSI.Events[k]; e.StartNS != 0 || e.EndNS != 0 {
						e.StartNS, e.EndNS = shiftOpen(e.StartNS, start), shiftOpen(e.EndNS, start)
					}
				}
			}
			var t wire.Type
			var err error
			for k := 1; k < opts.Copies && (o.Type == sim.MsgBSM || o.Type == sim.MsgObjectList); k++ {
				src := o.Source + uint32(1000*k)
				if o.Type == sim.MsgBSM {
					err = p.SendBSM(src, capture, &o.BSM)
				} else {
					err = p.SendObjects(src, capture, &o.Objects)
				}
				if err != nil {
					break
				}
				st.Sent[wire.Type(0)].Add(1) // copies, counted apart
			}
			if errors.Is(err, client.ErrDisconnected) {
				st.Lost.Add(1)
				continue
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("feed: %w", err)
			}
			var isStd bool
			mo := o
			if opts.OracleNoBias && o.Type == sim.MsgObjectList && o.NoBias != nil {
				ob := *o
				ob.Objects.Objects = o.NoBias
				mo = &ob
			}
			if t, isStd, err = send(p, mo, capture, opts.Encoding, &std); t == 0 {
				continue
			}
			if errors.Is(err, client.ErrDisconnected) {
				st.Lost.Add(1)
				continue
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("feed: %w", err)
			}
			if isStd {
				st.Std[t].Add(1)
			}
			for _, mp := range mirrors[o.Source] {
				if _, _, err := send(mp, o, capture, opts.Encoding, &std); err != nil {
					st.MirrorLost.Add(1)
				}
			}
			st.Sent[t].Add(1)
			if opts.OnOutput != nil {
				opts.OnOutput(o, capture-offsets[o.Source])
			}
		}
		if opts.Attack != nil {
			forged = opts.Attack.Due(forged[:0], s.Now())
			for i := range forged {
				o := &forged[i]
				_, _, err := send(attacker, o, start+int64(o.Capture), opts.Encoding, &std)
				if errors.Is(err, client.ErrDisconnected) {
					continue
				}
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("feed: attacker: %w", err)
				}
				st.AttackSent.Add(1)
				if opts.OnAttack != nil {
					opts.OnAttack(o, clock.Now())
				}
			}
		}
	}
}

// wallTime converts a capture time on the node-comparable clock to UTC,
// for the standard messages' minute-of-the-year and millisecond fields.
// shiftOpen adds start to a validity time, leaving 0 (open) as it is.
func shiftOpen(t, start int64) int64 {
	if t == 0 {
		return 0
	}
	return t + start
}

func wallTime(capture int64) time.Time {
	return time.Now().Add(-time.Duration(clock.Now() - capture)).UTC()
}

// send sends one output on p as the frame type it returns, as a standard
// MessageFrame (isStd) where enc asks for one and the type has one, else
// native; t is 0 for an output of no known type, which is not sent.
func send(p *client.Producer, o *sim.Output, capture int64, enc wire.Encoding, std *codec.Encoder) (t wire.Type, isStd bool, err error) {
	var b []byte
	switch {
	case o.Type == sim.MsgBSM && enc != wire.EncodingNative:
		if b, err = std.BSM(enc, &o.BSM, wallTime(capture)); err == nil {
			err = p.SendEncoded(wire.TypeBSM, enc, o.Source, capture, b)
		}
		return wire.TypeBSM, true, err
	case o.Type == sim.MsgSPAT && enc != wire.EncodingNative:
		if b, err = std.SPAT(enc, &o.SPAT, wallTime(capture)); err == nil {
			err = p.SendEncoded(wire.TypeSPAT, enc, o.Source, capture, b)
		}
		return wire.TypeSPAT, true, err
	case o.Type == sim.MsgMAP && enc != wire.EncodingNative:
		if b, err = std.Map(enc, &o.Map); err == nil {
			err = p.SendEncoded(wire.TypeMAP, enc, o.Source, capture, b)
		}
		return wire.TypeMAP, true, err
	case o.Type == sim.MsgRSI && enc == wire.EncodingCSAE53 && len(o.RSI.Events) > 0:
		if b, err = std.RSI(enc, &o.RSI); err == nil {
			err = p.SendEncoded(wire.TypeRSI, enc, o.Source, capture, b)
		}
		return wire.TypeRSI, true, err
	case o.Type == sim.MsgObjectList && enc == wire.EncodingCSAE53 && len(o.Objects.Objects) > 0:
		err = std.RSMs(enc, &o.Objects, wallTime(capture), func(b []byte) error {
			return p.SendEncoded(wire.TypeRSM, enc, o.Source, capture, b)
		})
		return wire.TypeObjectList, true, err // counted as the camera list it carries
	}
	switch o.Type {
	case sim.MsgBSM:
		return wire.TypeBSM, false, p.SendBSM(o.Source, capture, &o.BSM)
	case sim.MsgSPAT:
		return wire.TypeSPAT, false, p.SendSPAT(o.Source, capture, &o.SPAT)
	case sim.MsgMAP:
		return wire.TypeMAP, false, p.SendMap(o.Source, capture, &o.Map)
	case sim.MsgRSI:
		return wire.TypeRSI, false, p.SendRSI(o.Source, capture, &o.RSI)
	case sim.MsgObjectList:
		return wire.TypeObjectList, false, p.SendObjects(o.Source, capture, &o.Objects)
	case sim.MsgSensorInfo:
		return wire.TypeSensorInfo, false, p.SendSensorInfo(o.Source, capture, &o.Sensor)
	}
	return 0, false, nil
}

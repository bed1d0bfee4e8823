package client

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Producer is a producer stream. Its methods are safe for concurrent use.
// A background goroutine answers the node's clock requests with the
// producer's clock and collects Error frames. On a Conn with
// Options.Reconnect, the stream is opened again on each new connection;
// while the connection is down, sends fail with ErrDisconnected.
type Producer struct {
	c     *Conn
	clock func() int64

	mu     sync.Mutex // guards the stream in use and seq
	qc     *quic.Conn
	st     *quic.Stream
	fw     *wire.Writer
	seq    map[uint32]uint64
	closed bool
	stop   chan struct{}
	once   sync.Once

	errs     chan *wire.ErrorFrame
	rejected atomic.Uint64
	dropped  atomic.Uint64
	done     chan struct{}
}

// OpenProducer opens a producer stream. clock gives the producer's time in
// ns since the Unix epoch (the clock its capture times are on); the node
// estimates its offset through clock exchanges.
func (c *Conn) OpenProducer(ctx context.Context, clock func() int64) (*Producer, error) {
	qc := c.current()
	st, err := qc.OpenStreamSync(ctx)
	if err != nil {
		return nil, fmt.Errorf("open producer stream: %w", c.explainLost(qc, err))
	}
	p := &Producer{c: c, qc: qc, st: st, fw: wire.NewWriter(st), clock: clock, seq: make(map[uint32]uint64),
		errs: make(chan *wire.ErrorFrame, 64), done: make(chan struct{}), stop: make(chan struct{})}
	go p.readLoop(qc, st)
	return p, nil
}

// readLoop reads the stream; when the stream is lost with its connection
// and the Conn reconnects, it opens the stream again on the new one.
func (p *Producer) readLoop(qc *quic.Conn, st *quic.Stream) {
	defer close(p.done)
	defer close(p.errs)
	for {
		if err := p.read(st); !p.c.lost(qc, err) {
			return
		}
		for {
			nqc, err := p.c.await(qc, p.stop)
			if err != nil {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			go func() {
				select {
				case <-p.stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			nst, err := nqc.OpenStreamSync(ctx)
			cancel()
			if err == nil {
				p.mu.Lock()
				if p.closed {
					p.mu.Unlock()
					nst.CancelRead(0)
					nst.Close()
					return
				}
				p.qc, p.st, p.fw = nqc, nst, wire.NewWriter(nst)
				p.mu.Unlock()
				qc, st = nqc, nst
				break
			}
			if !p.c.lost(nqc, err) {
				return
			}
			qc = nqc
		}
	}
}

// read answers clock requests and collects Error frames until the stream
// ends.
func (p *Producer) read(st *quic.Stream) error {
	r := wire.NewReader(st, 0)
	for {
		h, payload, err := r.Next()
		if err != nil {
			return err
		}
		switch h.Type {
		case wire.TypeClockRequest:
			t2 := p.clock()
			t1, err := wire.DecodeClockRequest(payload)
			if err != nil {
				continue
			}
			rh := wire.Header{Type: wire.TypeClockResponse}
			p.write(&rh, func(b []byte) []byte { return wire.AppendClockResponse(b, t1, t2, p.clock()) })
		case wire.TypeError:
			e := new(wire.ErrorFrame)
			if wire.DecodeError(payload, e) != nil {
				continue
			}
			p.rejected.Add(1)
			select {
			case p.errs <- e:
			default:
				p.dropped.Add(1)
			}
		}
	}
}

func (p *Producer) write(h *wire.Header, fill func([]byte) []byte) error {
	p.mu.Lock()
	qc, fw, closed := p.qc, p.fw, p.closed
	p.mu.Unlock()
	err := fw.WriteFrame(h, 0, fill)
	if err != nil && !closed && p.c.lost(qc, err) {
		return fmt.Errorf("%w: %w", ErrDisconnected, err)
	}
	return err
}

// Send writes one native data frame from the given source, captured at
// capture (producer clock); fill appends the payload. Sequence numbers are
// kept per source.
func (p *Producer) Send(t wire.Type, source uint32, capture int64, fill func([]byte) []byte) error {
	p.mu.Lock()
	p.seq[source]++
	seq := p.seq[source]
	p.mu.Unlock()
	h := wire.Header{Type: t, Source: source, Seq: seq, Capture: capture}
	if err := p.write(&h, fill); err != nil {
		return fmt.Errorf("send %s: %w", t, err)
	}
	return nil
}

// SendEncoded sends a standard-encoded MessageFrame (enc is
// wire.EncodingCSAE53 or wire.EncodingJ2735) holding a message of type t.
func (p *Producer) SendEncoded(t wire.Type, enc wire.Encoding, source uint32, capture int64, frame []byte) error {
	p.mu.Lock()
	p.seq[source]++
	seq := p.seq[source]
	p.mu.Unlock()
	h := wire.Header{Type: t, Encoding: enc, Source: source, Seq: seq, Capture: capture}
	if err := p.write(&h, func(b []byte) []byte { return append(b, frame...) }); err != nil {
		return fmt.Errorf("send %s: %w", t, err)
	}
	return nil
}

// SendFrame sends a data frame of any encoding: h gives its type,
// encoding, flags (wire.FlagMore: the next frame belongs with this one,
// docs/protocol.md §7.1), source and capture time (producer clock), and
// payload is sent as it is. Seq is counted per source as in Send.
func (p *Producer) SendFrame(h wire.Header, payload []byte) error {
	p.mu.Lock()
	p.seq[h.Source]++
	h.Seq = p.seq[h.Source]
	p.mu.Unlock()
	if err := p.write(&h, func(b []byte) []byte { return append(b, payload...) }); err != nil {
		return fmt.Errorf("send %s: %w", h.Type, err)
	}
	return nil
}

// SendBSM sends a BSM.
func (p *Producer) SendBSM(source uint32, capture int64, m *v2x.BSM) error {
	return p.Send(wire.TypeBSM, source, capture, func(b []byte) []byte { return wire.AppendBSM(b, m) })
}

// SendObjects sends a camera object list.
func (p *Producer) SendObjects(source uint32, capture int64, m *v2x.ObjectList) error {
	return p.Send(wire.TypeObjectList, source, capture, func(b []byte) []byte { return wire.AppendObjectList(b, m) })
}

// SendSensorInfo sends a sensor's declaration of its detection area
// (docs/protocol.md §5.15): the node takes it for the object lists of the
// same source on this stream. Send it before the first object list and
// again whenever it changes.
func (p *Producer) SendSensorInfo(source uint32, capture int64, m *v2x.SensorInfo) error {
	return p.Send(wire.TypeSensorInfo, source, capture, func(b []byte) []byte { return wire.AppendSensorInfo(b, m) })
}

// SendSPAT sends a SPAT.
func (p *Producer) SendSPAT(source uint32, capture int64, m *v2x.SPAT) error {
	return p.Send(wire.TypeSPAT, source, capture, func(b []byte) []byte { return wire.AppendSPAT(b, m) })
}

// SendMap sends a MAP.
func (p *Producer) SendMap(source uint32, capture int64, m *v2x.Map) error {
	return p.Send(wire.TypeMAP, source, capture, func(b []byte) []byte { return wire.AppendMap(b, m) })
}

// SendRSI sends an RSI.
func (p *Producer) SendRSI(source uint32, capture int64, m *v2x.RSI) error {
	return p.Send(wire.TypeRSI, source, capture, func(b []byte) []byte { return wire.AppendRSI(b, m) })
}

// SendRSM sends an RSM.
func (p *Producer) SendRSM(source uint32, capture int64, m *v2x.RSM) error {
	return p.Send(wire.TypeRSM, source, capture, func(b []byte) []byte { return wire.AppendRSM(b, m) })
}

// WriteRaw writes bytes to the stream as they are (for tests of bad input).
// It must not race with the other writes of the stream.
func (p *Producer) WriteRaw(b []byte) error {
	p.mu.Lock()
	st := p.st
	p.mu.Unlock()
	_, err := st.Write(b)
	return err
}

// Errors delivers the Error frames the node sent on this stream. It is
// closed when the stream's read side ends. Errors beyond its buffer of 64
// are dropped and counted in Stats.
func (p *Producer) Errors() <-chan *wire.ErrorFrame { return p.errs }

// Stats returns how many Error frames the node sent and how many of them
// Errors dropped because nobody read them.
func (p *Producer) Stats() (rejected, dropped uint64) { return p.rejected.Load(), p.dropped.Load() }

// Close ends the stream's send side and waits up to a second for the node
// to end its side.
func (p *Producer) Close() error {
	p.once.Do(func() { close(p.stop) })
	p.mu.Lock()
	p.closed = true
	st := p.st
	p.mu.Unlock()
	err := st.Close()
	select {
	case <-p.done:
	case <-time.After(time.Second):
		st.CancelRead(0)
	}
	return err
}

package edge

import (
	"context"
	"fmt"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// producer is the ingest side of one producer stream: it decodes frames into
// reused message structs, validates them, maps capture times to the node
// clock with the stream's clock-offset estimate, and queues measurements for
// the fusion loop. One goroutine (the stream's reader) owns it.
type producer struct {
	n        *Node
	ss       *streamSession // nil for a raw UPER listener
	rej      rejecter
	id       uint64 // stream id, or the listener's source id
	clk      wire.ClockFilter
	offset   int64 // producer clock minus node clock
	synced   bool
	clockReq chan struct{}

	bsm  v2x.BSM
	objs v2x.ObjectList
	rsm  v2x.RSM
	spat v2x.SPAT
	su   spatUpdate
	meas []measurement
	std  *stdDecoder // standard encodings, made on first use
}

// rejecter answers or reports a frame the node refuses.
type rejecter interface {
	reject(h *wire.Header, code wire.Code, msg string)
}

func newProducer(n *Node, ss *streamSession) *producer {
	return &producer{n: n, ss: ss, rej: ss, id: ss.id, clockReq: make(chan struct{}, 1), meas: make([]measurement, 0, 256)}
}

// clockLoop starts a clock exchange at once and then every ClockInterval,
// until ctx ends. It only writes requests; answers arrive through handle.
func (p *producer) clockLoop(ctx context.Context) {
	t := time.NewTicker(p.n.cfg.ClockInterval)
	defer t.Stop()
	for {
		h := wire.Header{Type: wire.TypeClockRequest}
		err := p.ss.fw.WriteFrame(&h, p.n.cfg.ErrorWriteTTL, func(b []byte) []byte {
			return wire.AppendClockRequest(b, clock.Now())
		})
		if err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// handle processes one frame of a producer stream.
func (p *producer) handle(h *wire.Header, payload []byte, ingest int64) {
	n := p.n
	if h.Type == wire.TypeClockResponse {
		t1, t2, t3, err := wire.DecodeClockResponse(payload)
		if err != nil {
			p.rej.reject(h, wire.CodeMalformed, err.Error())
			return
		}
		if !p.clk.Add(wire.ClockSample{T1: t1, T2: t2, T3: t3, T4: ingest}) {
			p.rej.reject(h, wire.CodeInvalidValue, "clock response with negative round trip")
			return
		}
		p.offset, _, p.synced = p.clk.Offset()
		off := float64(p.offset) / 1e9
		n.m.clockOffset.Observe(max(off, -off))
		return
	}
	if !h.Type.IsData() {
		p.rej.reject(h, wire.CodeUnexpectedFrame, fmt.Sprintf("%s frame on a producer stream", h.Type))
		return
	}
	t, reason, ok := p.captureTime(h.Capture, ingest)
	if !ok {
		p.invalid(h, reason, h.Type.String()+" capture time")
		return
	}
	if h.Encoding != wire.EncodingNative {
		p.handleStandard(h, payload, t, ingest)
		return
	}
	var err error
	switch h.Type {
	case wire.TypeBSM:
		if err = wire.DecodeBSM(payload, &p.bsm); err == nil {
			p.ingestBSM(h, t, ingest)
		}
	case wire.TypeObjectList:
		if err = wire.DecodeObjectList(payload, &p.objs); err == nil {
			p.ingestObjects(h, p.objs.Objects, t, ingest)
		}
	case wire.TypeRSM:
		if err = wire.DecodeRSM(payload, &p.rsm); err == nil {
			p.ingestObjects(h, p.rsm.Participants, t, ingest)
		}
	case wire.TypeSPAT:
		if err = wire.DecodeSPAT(payload, &p.spat); err == nil {
			p.ingestSPAT(h, t, ingest)
		}
	case wire.TypeMAP:
		m := new(v2x.Map)
		if err = wire.DecodeMap(payload, m); err == nil {
			if r := checkMap(m); r >= 0 {
				p.invalid(h, r, "map")
			} else if !n.in.putMap(m, nil) {
				p.shed(h, 1)
			}
		}
	case wire.TypeRSI:
		r := new(v2x.RSI)
		if err = wire.DecodeRSI(payload, r); err == nil {
			if reason := checkRSI(r); reason >= 0 {
				p.invalid(h, reason, "rsi")
			} else if !n.in.putMap(nil, r) {
				p.shed(h, 1)
			}
		}
	}
	if err != nil {
		p.rej.reject(h, wire.CodeMalformed, err.Error())
	}
}

// captureTime maps a capture time on the producer's clock to the node
// clock. Before the first clock exchange completes it uses the ingest time.
// A result slightly in the future (the estimate's uncertainty, up to
// MaxFuture) is clamped to the ingest time and counted; one further in the
// future or older than MaxClockSkew is refused: ok is false and reason
// says why.
func (p *producer) captureTime(capture, ingest int64) (t int64, reason int, ok bool) {
	if !p.synced {
		return ingest, 0, true
	}
	t = capture - p.offset
	switch {
	case t-ingest > int64(p.n.cfg.MaxFuture):
		return 0, reasonTimeFuture, false
	case t > ingest:
		if t-ingest > int64(time.Millisecond) {
			p.n.m.clockClamped.Inc()
		}
		return ingest, 0, true
	case ingest-t > int64(p.n.cfg.MaxClockSkew):
		return 0, reasonTimePast, false
	}
	return t, 0, true
}

func (p *producer) invalid(h *wire.Header, reason int, what string) {
	p.n.m.valuesRejected[reason].Inc()
	p.rej.reject(h, wire.CodeInvalidValue, fmt.Sprintf("%s rejected: %s", what, valueReasonNames[reason]))
}

func (p *producer) shed(h *wire.Header, count int) {
	p.n.m.shed.Add(float64(count))
	p.rej.reject(h, wire.CodeOverloaded, fmt.Sprintf("fusion inbox full: %d measurements shed", count))
}

func (p *producer) ingestBSM(h *wire.Header, t, ingest int64) {
	b := &p.bsm
	if r := checkBSM(b); r >= 0 {
		p.invalid(h, r, "bsm")
		return
	}
	class := b.Class
	if class == v2x.ClassUnknown {
		class = v2x.ClassCar
	}
	sin, cos := sincosDeg(float64(b.Heading))
	var cov float32
	if b.AccSemiMajor > 0 { // circular bound from the semi-major axis
		cov = b.AccSemiMajor * b.AccSemiMajor
	}
	p.meas = append(p.meas[:0], measurement{
		Kind: measSelfReport, Class: class, Stream: p.id, Source: h.Source, LocalID: b.VehicleID,
		TimeNS: t, IngestNS: ingest, Lat: b.Lat, Lon: b.Lon,
		VelE: b.Speed * float32(sin), VelN: b.Speed * float32(cos), Speed: b.Speed, Heading: b.Heading,
		Length: b.Length, Width: b.Width, CovEE: cov, CovNN: cov,
	})
	if shed := p.n.in.putMeas(p.meas); shed > 0 {
		p.shed(h, shed)
	}
}

func (p *producer) ingestObjects(h *wire.Header, objs []v2x.DetectedObject, t, ingest int64) {
	p.meas = p.meas[:0]
	bad, firstReason := 0, -1
	for i := range objs {
		o := &objs[i]
		if r := checkObject(o); r >= 0 {
			p.n.m.valuesRejected[r].Inc()
			bad++
			if firstReason < 0 {
				firstReason = r
			}
			continue
		}
		m := measurement{
			Kind: measDetection, Class: o.Class, Stream: p.id, Source: h.Source, LocalID: uint64(o.LocalID),
			TimeNS: t, IngestNS: ingest, Lat: o.Lat, Lon: o.Lon, VelE: o.VelE, VelN: o.VelN,
			Speed: o.Speed(), Heading: o.Heading, Length: o.Length, Width: o.Width,
		}
		if o.HasCov {
			m.CovEE, m.CovEN, m.CovNN = o.CovEE, o.CovEN, o.CovNN
		}
		p.meas = append(p.meas, m)
	}
	if bad > 0 {
		p.rej.reject(h, wire.CodeInvalidValue, fmt.Sprintf("%d of %d objects rejected, first for %s", bad, len(objs), valueReasonNames[firstReason]))
	}
	if len(p.meas) == 0 {
		return
	}
	if shed := p.n.in.putMeas(p.meas); shed > 0 {
		p.shed(h, shed)
	}
}

func (p *producer) ingestSPAT(h *wire.Header, t, ingest int64) {
	if r := checkSPAT(&p.spat); r >= 0 {
		p.invalid(h, r, "spat")
		return
	}
	p.su.TimeNS, p.su.IngestNS, p.su.IntersectionID = t, ingest, p.spat.IntersectionID
	p.su.N = copy(p.su.Phases[:], p.spat.Phases)
	if !p.n.in.putSPAT(&p.su) {
		p.shed(h, 1)
	}
}

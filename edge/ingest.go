package edge

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"sync/atomic"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/quota"
	"github.com/v2x-edge/v2x-edge/edge/trust"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/codec"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// ingestEnv is what ingest needs from the node: its part of the
// configuration, the fusion inbox and the metrics.
type ingestEnv struct {
	maxFuture     time.Duration // capture times further ahead are refused
	maxClockSkew  time.Duration // capture times older than this are refused
	clockInterval time.Duration // between clock exchanges on producer streams
	errorWriteTTL time.Duration // for frames written to a producer
	in            *inbox
	m             *metrics
	maps          *mapDigest     // the MAP queued last, to recognise repeats; nil: none
	rec           *nodeRecorder  // records frames as received; nil: not recording
	cameras       []trust.Camera // detection areas the operator declares for cameras
}

func (n *Node) ingestEnv() ingestEnv {
	return ingestEnv{maxFuture: n.cfg.MaxFuture, maxClockSkew: n.cfg.MaxClockSkew, clockInterval: n.cfg.ClockInterval,
		errorWriteTTL: n.cfg.ErrorWriteTTL, in: n.in, m: n.m, maps: n.maps, rec: n.rec, cameras: n.cfg.Trust.Cameras}
}

// mapDigest recognises a MAP frame identical to the one queued last (same
// encoding and bytes) without decoding it: a MAP is the largest and
// costliest message to decode and apply, and RSUs repeat the same one
// every second.
type mapDigest struct {
	seed maphash.Seed // per node, so collisions cannot be crafted offline
	last atomic.Uint64
}

func newMapDigest() *mapDigest { return &mapDigest{seed: maphash.MakeSeed()} }

func (d *mapDigest) of(enc wire.Encoding, payload []byte) uint64 {
	return maphash.Bytes(d.seed, payload) ^ uint64(enc)<<56
}

// rejecter answers or reports a frame the node refuses.
type rejecter interface {
	reject(h *wire.Header, code wire.Code, msg string)
}

// source is the ingest state of one source of messages, a producer stream
// or the raw UPER listener: it decodes frames of any encoding into one
// reused tagged message, validates it and queues it for the fusion loop.
// One goroutine owns it.
type source struct {
	env  ingestEnv
	rej  rejecter
	acct *quota.Account // the sender's quotas; nil: none
	// ident is the sender's identity, scoping the intersections whose
	// SPAT and MAP it may send; nil: unscoped (the raw UPER listener,
	// whose senders are admitted by source prefix).
	ident *auth.Identity
	am    *authMetrics // counts scope refusals; nil with ident nil
	id    uint64       // Measurement.Stream: the stream id, or uperSourceID
	dec   codec.Decoder
	msg   codec.Message
	meas  []measurement
	held  heldBatch // frames with wire.FlagMore and their measurements (batch.go)
	su    spatUpdate
	// mapSum is the digest of the MAP frame being ingested (mapRepeat),
	// recorded as the last MAP once queued; 0: none.
	mapSum uint64
	// ownerKey and ownerLimit are the sender's Account.Owner and
	// LiveObjects, given to every measurement.
	ownerKey   uint64
	ownerLimit uint32
	// backoff is set when a rate quota refused the frame: how long the
	// stream should wait before reading on (quota.Account.Backoff).
	backoff time.Duration
	// sensors are the camera sensors of this stream whose detection
	// area the operator declares (env.cameras), or that declared their
	// own; at most maxStreamSensors.
	sensors []streamSensor
}

// streamSensor is one camera sensor (frame Source) of a producer stream:
// the operator's declaration for it (an index into env.cameras, -1 none),
// whether it declared its own, and when the operator's is due again.
type streamSensor struct {
	source uint32
	cfg    int
	own    bool
	next   int64
}

// maxStreamSensors bounds the sensors a stream's declarations are kept
// for; the operator's declaration is repeated every sensorRepeat (the
// fusion loop drops it while it has no reference point).
const (
	maxStreamSensors = 64
	sensorRepeat     = int64(time.Second)
)

// sensor returns the state of camera sensor source on this stream, or nil
// when the stream has too many.
func (s *source) sensor(source uint32) *streamSensor {
	for i := range s.sensors {
		if s.sensors[i].source == source {
			return &s.sensors[i]
		}
	}
	if len(s.sensors) == maxStreamSensors {
		return nil
	}
	ss := streamSensor{source: source, cfg: -1}
	if s.ident != nil && s.ident.MaySend(auth.KindCamera) {
		for i := range s.env.cameras {
			if c := &s.env.cameras[i]; c.Sensor == source && (c.Identity == "" || c.Identity == s.ident.Name) {
				if ss.cfg < 0 || c.Identity != "" { // the entry naming the identity wins
					ss.cfg = i
				}
			}
		}
	}
	s.sensors = append(s.sensors, ss)
	return &s.sensors[len(s.sensors)-1]
}

// declareFromConfig queues the operator's declaration of a camera
// sensor's detection area when one applies and is due: with its first
// object list on this stream, then every sensorRepeat, unless the sensor
// declared its own.
func (s *source) declareFromConfig(h *wire.Header, ingest int64) {
	ss := s.sensor(h.Source)
	if ss == nil || ss.cfg < 0 || ss.own || ingest < ss.next {
		return
	}
	ss.next = ingest + sensorRepeat
	c := &s.env.cameras[ss.cfg]
	s.env.in.putSensor(&sensorDecl{Stream: s.id, Source: h.Source, IngestNS: ingest, Info: v2x.SensorInfo{
		SensorID: h.Source, Lat: c.Lat, Lon: c.Lon, Heading: float32(c.Heading), Opening: float32(c.Opening),
		Range: float32(c.Range), MinRange: float32(c.MinRange)}})
}

func newSource(env ingestEnv, rej rejecter, acct *quota.Account, id uint64) source {
	return source{env: env, rej: rej, acct: acct, id: id, meas: make([]measurement, 0, 256),
		ownerKey: acct.Owner(), ownerLimit: uint32(min(acct.LiveObjects(), math.MaxUint32))}
}

// owner is the name the inbox shares are kept by: the sender's identity.
func (s *source) owner() string {
	if s.acct == nil {
		return ""
	}
	return s.acct.Name()
}

// put queues s.meas for fusion, shedding what the inbox refuses; it
// reports false when it shed any.
func (s *source) put(h *wire.Header) bool {
	if h.Flags&wire.FlagMore != 0 || s.held.frames > 0 {
		var now int64
		if len(s.meas) > 0 {
			now = s.meas[0].IngestNS
		} else {
			now = clock.Now()
		}
		return s.hold(h, now)
	}
	return s.putMeas(h, s.meas)
}

// putMeas queues ms for fusion, shedding what the inbox refuses and
// answering h for it; it reports false when it shed any.
func (s *source) putMeas(h *wire.Header, ms []measurement) bool {
	shed, over := s.env.in.putMeasFrom(s.owner(), ms)
	if shed == 0 {
		return true
	}
	if over {
		s.acct.Exceeded(quota.InboxShare, shed)
	}
	return s.shed(h, shed)
}

// allowObjects charges n measurements to the sender's objects quota,
// rejecting the frame when it is exhausted.
func (s *source) allowObjects(h *wire.Header, n int, now int64) bool {
	if s.acct.AllowObjects(now, n) {
		return true
	}
	s.rej.reject(h, wire.CodeOverloaded, fmt.Sprintf("objects-per-second quota of %s exceeded: %d measurements refused", s.acct.Name(), n))
	s.backoff = s.acct.Backoff(quota.Objects, now, n)
	return false
}

// mapRepeat reports whether a MAP frame repeats the MAP queued last
// (rejecting nothing: a repeat is normal); it also charges the sender's
// MAP quota, rejecting the frame when exhausted. Either way the caller
// skips the frame.
func (s *source) mapRepeat(h *wire.Header, payload []byte, now int64) bool {
	if s.env.maps == nil {
		return false
	}
	s.mapSum = s.env.maps.of(h.Encoding, payload) | 1 // never 0
	if s.mapSum == s.env.maps.last.Load() {
		s.env.m.mapsUnchanged.Inc()
		return true
	}
	if !s.acct.AllowMap(now) {
		s.rej.reject(h, wire.CodeOverloaded, fmt.Sprintf("MAP-per-second quota of %s exceeded", s.acct.Name()))
		s.backoff = s.acct.Backoff(quota.Maps, now, 1)
		return true
	}
	return false
}

// decode decodes the payload of a data frame into s.msg: a native payload
// by its header's type, a standard one as exactly one MessageFrame holding
// the message the header names. It rejects what does not decode and
// reports whether the message is there.
func (s *source) decode(h *wire.Header, payload []byte) bool {
	var err error
	code := wire.CodeMalformed
	if h.Encoding == wire.EncodingNative {
		err = codec.DecodeNative(h.Type, payload, &s.msg)
	} else {
		var n int
		n, err = s.dec.Decode(h.Encoding, payload, &s.msg)
		switch {
		case errors.Is(err, codec.ErrUnsupported):
			code = wire.CodeUnsupportedEncoding
		case err != nil:
		case n != len(payload):
			err = fmt.Errorf("%d bytes after the MessageFrame", len(payload)-n)
		case s.msg.Type != h.Type:
			err = fmt.Errorf("header says %s but the MessageFrame holds a %s", h.Type, s.msg.Type)
		}
	}
	if err != nil {
		s.rej.reject(h, code, err.Error())
		return false
	}
	return true
}

// ingest validates the decoded message and queues it for the fusion loop,
// with t its capture time and ingest its arrival, both on the node clock.
// It reports false when it refused any of it (rejected or shed).
func (s *source) ingest(h *wire.Header, t, ingest int64) bool {
	m := &s.msg
	switch m.Type {
	case wire.TypeBSM:
		return s.ingestBSM(h, &m.BSM, t, ingest)
	case wire.TypeObjectList, wire.TypeRSM:
		if m.Type == wire.TypeObjectList && len(s.env.cameras) > 0 {
			s.declareFromConfig(h, ingest)
		}
		return s.ingestObjects(h, m.DetectedObjects(), t, ingest)
	case wire.TypeSensorInfo:
		if r := checkSensor(&m.Sensor); r != reasonOK {
			return s.invalid(h, r, "sensor")
		}
		if ss := s.sensor(h.Source); ss != nil {
			ss.own = true // its own declaration wins over the operator's
		}
		return s.env.in.putSensor(&sensorDecl{Stream: s.id, Source: h.Source, IngestNS: ingest, Info: m.Sensor}) || s.shed(h, 1)
	case wire.TypeSPAT:
		ok := true
		for i := range m.SPATs {
			ok = s.ingestSPAT(h, &m.SPATs[i], t, ingest) && ok
		}
		return ok
	case wire.TypeMAP:
		mp := m.Map
		m.Map = nil // handed over
		if !s.mayGovern(h, auth.KindMap, mp.IntersectionID) {
			return false
		}
		if r := checkMap(mp); r != reasonOK {
			return s.invalid(h, r, "map")
		}
		if !s.env.in.putMap(mp, nil, s.id) {
			return s.shed(h, 1)
		}
		if s.mapSum != 0 {
			s.env.maps.last.Store(s.mapSum)
			s.mapSum = 0
		}
		return true
	case wire.TypeRSI:
		r := m.RSI
		m.RSI = nil
		if reason := checkRSI(r); reason != reasonOK {
			return s.invalid(h, reason, "rsi")
		}
		// Validity times are on the producer's clock, like Capture: shift
		// them by the correction the capture time got.
		for i := range r.Events {
			e := &r.Events[i]
			if e.StartNS != 0 {
				e.StartNS += t - h.Capture
			}
			if e.EndNS != 0 {
				e.EndNS += t - h.Capture
			}
		}
		return s.env.in.putMap(nil, r, s.id) || s.shed(h, 1)
	}
	return true
}

// invalid counts and rejects a value refused for reason; it returns false.
func (s *source) invalid(h *wire.Header, reason rejectReason, what string) bool {
	s.env.m.valuesRejected[reason].Inc()
	s.rej.reject(h, wire.CodeInvalidValue, fmt.Sprintf("%s rejected: %s", what, reason))
	return false
}

// shed counts and rejects measurements the full inbox refused; it returns
// false.
func (s *source) shed(h *wire.Header, count int) bool {
	s.env.m.shed.Add(float64(count))
	s.rej.reject(h, wire.CodeOverloaded, fmt.Sprintf("fusion inbox full: %d measurements shed", count))
	return false
}

func (s *source) ingestBSM(h *wire.Header, b *v2x.BSM, t, ingest int64) bool {
	if r := checkBSM(b); r != reasonOK {
		return s.invalid(h, r, "bsm")
	}
	if !s.allowObjects(h, 1, ingest) {
		return false
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
	s.meas = append(s.meas[:0], measurement{
		Kind: measSelfReport, Class: class, Stream: s.id, Source: h.Source, LocalID: b.VehicleID,
		TimeNS: t, IngestNS: ingest, Lat: b.Lat, Lon: b.Lon,
		VelE: b.Speed * float32(sin), VelN: b.Speed * float32(cos), Speed: b.Speed, Heading: b.Heading,
		Length: b.Length, Width: b.Width, CovEE: cov, CovNN: cov, Owner: s.ownerKey, OwnerLimit: s.ownerLimit,
	})
	return s.put(h)
}

func (s *source) ingestObjects(h *wire.Header, objs []v2x.DetectedObject, t, ingest int64) bool {
	if !s.allowObjects(h, len(objs), ingest) {
		return false
	}
	s.meas = s.meas[:0]
	bad, first := 0, reasonOK
	for i := range objs {
		o := &objs[i]
		if r := checkObject(o); r != reasonOK {
			s.env.m.valuesRejected[r].Inc()
			bad++
			if first == reasonOK {
				first = r
			}
			continue
		}
		m := measurement{
			Kind: measDetection, Class: o.Class, Stream: s.id, Source: h.Source, LocalID: uint64(o.LocalID),
			TimeNS: t, IngestNS: ingest, Lat: o.Lat, Lon: o.Lon, VelE: o.VelE, VelN: o.VelN,
			Speed: o.Speed(), Heading: o.Heading, Length: o.Length, Width: o.Width,
			Owner: s.ownerKey, OwnerLimit: s.ownerLimit,
		}
		if o.HasCov {
			m.CovEE, m.CovEN, m.CovNN = o.CovEE, o.CovEN, o.CovNN
		}
		s.meas = append(s.meas, m)
	}
	if bad > 0 {
		s.rej.reject(h, wire.CodeInvalidValue, fmt.Sprintf("%d of %d objects rejected, first for %s", bad, len(objs), first))
	}
	if len(s.meas) > 0 && !s.put(h) {
		return false
	}
	return bad == 0
}

// mayGovern reports whether the sender may send kind k (signal or map)
// for intersection ix, refusing the message with forbidden and counting
// it when not.
func (s *source) mayGovern(h *wire.Header, k auth.Kind, ix uint32) bool {
	if s.ident == nil || s.ident.MayGovern(k, ix) {
		return true
	}
	if s.am != nil {
		s.am.forbid(k, false)
	}
	s.rej.reject(h, wire.CodeForbidden, fmt.Sprintf("identity %q may not send %s for intersection %d (its intersections: %s)", s.ident.Name, k, ix, s.ident.Intersections))
	return false
}

func (s *source) ingestSPAT(h *wire.Header, sp *v2x.SPAT, t, ingest int64) bool {
	if !s.mayGovern(h, auth.KindSignal, sp.IntersectionID) {
		return false
	}
	if r := checkSPAT(sp); r != reasonOK {
		return s.invalid(h, r, "spat")
	}
	s.su.TimeNS, s.su.IngestNS, s.su.IntersectionID, s.su.Stream = t, ingest, sp.IntersectionID, s.id
	s.su.N = copy(s.su.Phases[:], sp.Phases)
	return s.env.in.putSPAT(&s.su) || s.shed(h, 1)
}

// Package sim simulates a four-leg signalised intersection and the messages
// a roadside edge node receives about it, with ground truth.
//
// The scene: four approaches (1 north, 2 east, 3 south, 4 west), each with
// a left-turn lane, a straight-and-right lane and two egress lanes, a
// crosswalk across every leg, a fixed-time signal plan (DefaultPlan),
// vehicles arriving as Poisson processes and driving with the Intelligent
// Driver Model, pedestrians crossing on their walk phase. The messages: the
// signal controller's SPAT (10 Hz) and MAP (1 Hz), the roadside unit's RSI
// (1 Hz) and relayed BSMs of equipped vehicles (10 Hz each, with GNSS
// error), and object lists from roadside cameras (10-30 Hz, with detection
// misses, position noise growing with range, false positives, their own
// track ids, processing delay and clock offset).
//
// The simulator is deterministic and pure: no I/O, no goroutines, no wall
// clock. Time is a duration since the simulator's start, advanced by Step;
// the same Config and the same sequence of Step durations give the same
// outputs. New runs a warm-up before time 0 so that the scene is already
// populated. A Sim is not safe for concurrent use.
package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// Random streams, one per subsystem (cameras: streamCamera + index), so
// that e.g. adding a camera leaves the traffic unchanged.
const (
	streamTraffic uint64 = iota + 1
	streamPedestrians
	streamGNSS
	streamInfra
	streamCamera      uint64 = 100
	streamCameraNoise uint64 = 200 // + index: the cameras' error models
)

// Timing.
const (
	maxSubstep   = 10 * time.Millisecond // Step integrates in substeps no longer than this
	warmupStep   = 50 * time.Millisecond
	warmup       = 86 * time.Second // one cycle of the default plan
	denseWarmup  = 180 * time.Second
	spatPeriod   = 100 * time.Millisecond
	mapPeriod    = time.Second
	rsiPeriod    = time.Second
	infraDelayLo = 5 * time.Millisecond // signal controller and roadside unit to the node
	infraDelayHi = 20 * time.Millisecond
)

// Sim is a simulated intersection.
type Sim struct {
	cfg     Config
	frame   geo.Frame
	lay     *layout
	plan    Plan
	t       time.Duration
	nextID  uint32
	traffic *traffic
	peds    *pedestrians
	cams    []*camera
	sources []Source
	queue   outQueue

	gnssRand, infraRand        *rand.Rand
	nextSPAT, nextMAP, nextRSI time.Duration
	lastSend                   [RoadsideSourceID + 1]time.Duration // by fixed source id
	rsi                        v2x.RSI
	snap                       []objState
	snapOK                     bool
}

// New returns a simulator for cfg, which it uses as given (see
// Config.SetDefaults). The scene has been running for a warm-up period
// before time 0: vehicles and pedestrians are already there, and the first
// messages are captured at time 0.
func New(cfg Config) (*Sim, error) {
	s, err := newScene(cfg, 0, [4]bool{})
	if err != nil {
		return nil, err
	}
	for s.t < 0 {
		s.advance(min(warmupStep, -s.t))
	}
	s.startBSMs()
	return s, nil
}

// newScene returns a simulator at the start of its warm-up: vehicle ids
// count from idBase, and legs marked closed get no arrivals of their own.
func newScene(cfg Config, idBase uint32, closed [4]bool) (*Sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	vehPerMin, pedPerMin, legLen := cfg.effective()
	warm := warmup
	if cfg.Dense {
		warm = denseWarmup
	}
	seed := uint64(cfg.Seed)
	stream := func(n uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, n)) }
	s := &Sim{
		cfg:       cfg,
		frame:     geo.NewFrame(cfg.RefLat, cfg.RefLon, elevation),
		lay:       newLayout(legLen),
		plan:      DefaultPlan(),
		t:         -warm,
		gnssRand:  stream(streamGNSS),
		infraRand: stream(streamInfra),
		nextID:    idBase,
	}
	s.traffic = newTraffic(s.lay, &s.plan, stream(streamTraffic), vehPerMin, cfg.EquippedShare, cfg.GNSSSigma, s.t, &s.nextID)
	s.traffic.closed = closed
	s.peds = newPedestrians(s.lay, &s.plan, stream(streamPedestrians), pedPerMin, s.t, &s.nextID)
	s.traffic.blocked = s.peds.blocked
	s.rsi = roadsideRSI(&s.frame)
	if cfg.RoadWorksEnd > 0 {
		s.rsi.Events[0].EndNS = int64(cfg.RoadWorksEnd) // on the roadside clock, from the start; the feed makes it absolute
	}
	s.sources = []Source{
		{ID: SignalSourceID, Kind: SourceSignal, Name: "signal", RateHz: float64(time.Second / spatPeriod)},
		{ID: VehiclesSourceID, Kind: SourceVehicles, Name: "vehicles", RateHz: float64(time.Second / bsmPeriod)},
		{ID: RoadsideSourceID, Kind: SourceRoadside, Name: "roadside", RateHz: float64(time.Second / rsiPeriod)},
	}
	for i := range cfg.Cameras {
		c := newCamera(i, cfg.Seed, cfg.CameraClockOffsetMax, cfg.CameraNoise)
		c.oracle = cfg.OracleNoBias
		s.cams = append(s.cams, c)
		s.sources = append(s.sources, Source{ID: c.Source, Kind: SourceCamera, Name: fmt.Sprintf("camera-%d", i+1),
			ClockOffset: c.ClockOffset, RateHz: c.RateHz})
	}
	return s, nil
}

// startBSMs makes vehicles that entered during the warm-up send their
// first BSM in their own phase after time 0.
func (s *Sim) startBSMs() {
	for _, v := range s.traffic.vehicles {
		if v.bsm != nil && v.bsm.next < 0 {
			v.bsm.start(0)
		}
	}
}

// Map returns the intersection MAP (a fresh copy).
func (s *Sim) Map() v2x.Map { return s.lay.mapMessage(s.cfg.RefLat, s.cfg.RefLon) }

// Sources returns every message source: the signal controller, the BSM
// relay, the roadside unit and the cameras.
func (s *Sim) Sources() []Source { return append([]Source(nil), s.sources...) }

// Cameras returns the placement and characteristics of the cameras.
func (s *Sim) Cameras() []Camera {
	out := make([]Camera, len(s.cams))
	for i, c := range s.cams {
		out[i] = c.Camera
	}
	return out
}

// Plan returns the signal plan.
func (s *Sim) Plan() Plan {
	p := s.plan
	p.Groups = append([]GroupTiming(nil), p.Groups...)
	return p
}

// Now returns the true time since the start.
func (s *Sim) Now() time.Duration { return s.t }

// Step advances true time by dt, integrating in substeps of at most 10 ms,
// and queues every message captured in that interval. Queued messages
// stay until Due returns them, so call Due regularly.
func (s *Sim) Step(dt time.Duration) {
	if dt <= 0 {
		return
	}
	n := (dt + maxSubstep - 1) / maxSubstep
	h := dt / n
	for i := time.Duration(1); i <= n; i++ {
		if i == n {
			h = dt - h*(n-1)
		}
		s.advance(h)
		s.emit()
	}
}

// Due appends to dst and removes every queued message whose SendAt <=
// Now(), in SendAt order.
func (s *Sim) Due(dst []Output) []Output { return s.queue.popDue(dst, s.t) }

// Truth appends the current true objects to dst.
func (s *Sim) Truth(dst []TruthObject) []TruthObject {
	snap := s.snapshot()
	if s.cfg.CameraNoise == CameraNoiseCorrelated {
		for _, c := range s.cams {
			c.truthOcc = c.occluders(c.truthOcc[:0], snap, 0)
		}
	}
	for _, o := range snap {
		lat, lon, _ := s.frame.FromENU(o.e, o.n, 0)
		dst = append(dst, TruthObject{
			ID: o.id, Class: o.class, Lat: lat, Lon: lon, E: o.e, N: o.n,
			Speed: float32(o.speed), Heading: float32(o.heading),
			Length: float32(o.length), Width: float32(o.width), Height: float32(o.height),
			VehicleID: o.vid, Equipped: o.equipped, Lane: o.lane,
			Hidden: s.cfg.CameraNoise == CameraNoiseCorrelated && !o.equipped && s.hidden(&o),
		})
	}
	return dst
}

// hidden reports whether o is in some camera's view and hidden behind a
// tall object from every camera that has it in view (occluders as last
// computed by Truth).
func (s *Sim) hidden(o *objState) bool {
	inView := false
	for _, c := range s.cams {
		rng, bearing, ok := c.sees(o.e, o.n)
		if !ok {
			continue
		}
		if !occluded(c.truthOcc, rng, bearing, o.height) {
			return false
		}
		inView = true
	}
	return inView
}

// Stats counts what happened since New (including the warm-up).
type Stats struct {
	VehiclesEntered, VehiclesLeft int
	ArrivalsDropped               int // vehicles that found their lane's entrance queue full
	PedestriansArrived            int
	PedestriansCrossed            int
	FramesCaptured, FramesDropped int // camera frames, all cameras
	Queued                        int // messages waiting for their SendAt
}

// Stats returns the counters.
func (s *Sim) Stats() Stats {
	st := Stats{
		VehiclesEntered: s.traffic.spawned, VehiclesLeft: s.traffic.left, ArrivalsDropped: s.traffic.dropped,
		PedestriansArrived: s.peds.spawned, PedestriansCrossed: s.peds.crossed, Queued: s.queue.len(),
	}
	for _, c := range s.cams {
		st.FramesCaptured += c.frames
		st.FramesDropped += c.dropped
	}
	return st
}

// advance moves the world forward by h.
func (s *Sim) advance(h time.Duration) {
	s.t += h
	sec := h.Seconds()
	s.peds.step(s.t, sec)
	s.traffic.step(s.t, sec)
	s.snapOK = false
}

// snapshot returns the true states of all objects at the current time.
func (s *Sim) snapshot() []objState {
	if s.snapOK {
		return s.snap
	}
	s.snap = s.snap[:0]
	for _, v := range s.traffic.vehicles {
		s.snap = append(s.snap, objState{})
		v.state(&s.snap[len(s.snap)-1])
	}
	for _, p := range s.peds.peds {
		s.snap = append(s.snap, objState{})
		p.state(&s.snap[len(s.snap)-1])
	}
	s.snapOK = true
	return s.snap
}

// infraSend returns when a message of a fixed source captured at t leaves
// it: after a radio/network delay, and never before the source's previous
// message.
func (s *Sim) infraSend(src uint32, t time.Duration) time.Duration {
	d := infraDelayLo + time.Duration(s.infraRand.Int64N(int64(infraDelayHi-infraDelayLo)))
	at := max(t+d, s.lastSend[src])
	s.lastSend[src] = at
	return at
}

// emit queues every message captured up to the current time.
func (s *Sim) emit() {
	t := s.t
	for ; s.nextMAP <= t; s.nextMAP += mapPeriod {
		c := s.nextMAP
		s.queue.push(&Output{SendAt: s.infraSend(SignalSourceID, c), Source: SignalSourceID, Capture: c, Type: MsgMAP, Map: s.Map()})
	}
	for ; s.nextSPAT <= t; s.nextSPAT += spatPeriod {
		c := s.nextSPAT
		s.queue.push(&Output{SendAt: s.infraSend(SignalSourceID, c), Source: SignalSourceID, Capture: c, Type: MsgSPAT, SPAT: s.plan.SPAT(c)})
	}
	for ; s.nextRSI <= t; s.nextRSI += rsiPeriod {
		c := s.nextRSI
		rsi := s.rsi
		rsi.Events = append([]v2x.RoadEvent(nil), s.rsi.Events...)
		s.queue.push(&Output{SendAt: s.infraSend(RoadsideSourceID, c), Source: RoadsideSourceID, Capture: c, Type: MsgRSI, RSI: rsi})
	}
	due := false
	for _, v := range s.traffic.vehicles {
		if v.bsm != nil && v.bsm.next <= t {
			due = true
			break
		}
	}
	for _, c := range s.cams {
		due = due || c.next <= t
	}
	if !due {
		return
	}
	snap := s.snapshot()
	for i := range snap {
		o := &snap[i]
		if o.veh == nil || o.veh.bsm == nil {
			continue
		}
		for b := o.veh.bsm; b.next <= t; b.next += bsmPeriod {
			c := b.next
			st := o.back((t - c).Seconds())
			m := makeBSM(&st, b, s.gnssRand, &s.frame)
			d := bsmDelayLo + time.Duration(s.gnssRand.Int64N(int64(bsmDelayHi-bsmDelayLo)))
			at := max(c+d, s.lastSend[VehiclesSourceID])
			s.lastSend[VehiclesSourceID] = at
			s.queue.push(&Output{SendAt: at, Source: VehiclesSourceID, Capture: c, Type: MsgBSM, BSM: m})
		}
	}
	for _, c := range s.cams {
		for ; c.next <= t; c.advance() {
			if !s.cfg.NoSensorInfo && (c.k == 0 || c.next-c.declared >= sensorInfoEvery) {
				out := c.sensorInfo(c.next, &s.frame)
				s.queue.push(&out)
			}
			if out, ok := c.capture(c.next, t, snap, s.cfg.CameraDropRate, &s.frame); ok {
				s.queue.push(&out)
			}
		}
	}
}

package edge

import (
	"context"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/edge/trust"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// world is the fusion loop. One goroutine (run) owns everything in it; the
// ingest side reaches it only through the inbox, the hub only through
// published snapshots.
type world struct {
	cfg   fusionConfig
	log   *slog.Logger
	m     *fusionMetrics
	in    *inbox
	hub   *hub
	fuser fuser
	mon   *trust.Monitor // misbehaviour checks; nil when disabled
	ev    eventLog
	names *streamNames  // identities of producer streams, for findings
	rec   *nodeRecorder // records each published state; nil: not recording
	corr  *corridorLink // handovers and events for the NATS uplink; nil: no uplink
	rc    *recCycle     // the cycle being recorded, or nil
	kept  []measurement // a recorded cycle's measurements that go on to fusion
	now   func() int64  // the node clock (clock.Now); -refuse replays recorded times
	// ownerCapped counts n measurements of owner that started no object
	// (its live-objects quota); nil: not counted.
	ownerCapped func(owner uint64, n int)

	batch    batch
	hasFrame bool
	frame    geo.Frame
	mapData  *v2x.Map
	// mapPub is mapData for readers outside the fusion loop (the live
	// view); a MAP is never changed once set.
	mapPub    atomic.Pointer[v2x.Map]
	rsi       *v2x.RSI
	spat      spatUpdate // latest SPAT, by node capture time
	hasSPAT   bool
	pubIngest int64 // ingestNS of the last snapshot published
	ingestNS  int64 // newest ingest time folded in
	e, n      []float64
	seq       uint64
}

// fusionConfig is what the fusion loop needs of the node's configuration.
type fusionConfig struct {
	refLat, refLon float64 // configured reference point; NaN: none
	maxRange       float64 // metres from the reference point
	publishTick    time.Duration
	signalStale    time.Duration
	trust          trust.Config
}

func newFusionConfig(c *Config) fusionConfig {
	return fusionConfig{refLat: c.RefLat, refLon: c.RefLon, maxRange: c.MaxRange, publishTick: c.PublishTick, signalStale: c.SignalStale,
		trust: c.Trust}
}

// hasRef reports whether the configuration fixes the reference point.
func (c *fusionConfig) hasRef() bool { return !math.IsNaN(c.refLat) && !math.IsNaN(c.refLon) }

func newWorld(cfg fusionConfig, log *slog.Logger, m *fusionMetrics, in *inbox, hub *hub, f fuser) *world {
	w := &world{cfg: cfg, log: log, m: m, in: in, hub: hub, fuser: f, now: clock.Now}
	if tf, ok := f.(*trackFuser); ok {
		w.mon = tf.mon
	} else if !cfg.trust.Disabled {
		w.mon = trust.New(cfg.trust)
	}
	boot := clock.Now()
	w.seq = firstSeq(boot) - 1
	m.started.Set(float64(boot) / 1e9)
	if cfg.hasRef() {
		w.frame, w.hasFrame = geo.NewFrame(cfg.refLat, cfg.refLon, 0), true
	}
	return w
}

// run processes inbox batches as they come (wakeups coalesce, so a burst
// of frames costs one cycle) and, when none came for PublishTick, runs a
// cycle without new data (expiry, signal countdowns, heartbeats),
// publishing a snapshot after each cycle. The tick counts from the last
// cycle: while data flows it adds no cycles, and no snapshots that carry
// nothing new.
func (w *world) run(ctx context.Context) {
	tick := time.NewTimer(w.cfg.publishTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.in.wake:
			// A wakeup whose frames an earlier cycle already took would
			// publish a state without new data that supersedes the one
			// with it, before its subscribers read it.
			if w.in.empty() {
				continue
			}
		case <-tick.C:
		}
		w.cycle(clock.Now())
		tick.Reset(w.cfg.publishTick)
	}
}

// cycle drains the inbox, folds it in, expires stale state and publishes.
func (w *world) cycle(start int64) {
	w.in.swap(&w.batch)
	w.fold(start)
}

// fold folds w.batch in, expires stale state and publishes; start is the
// cycle's start on the node clock.
func (w *world) fold(start int64) {
	if w.rec != nil {
		w.rc = w.rec.begin(start)
	}
	for i, mp := range w.batch.maps {
		if w.mon != nil && i < len(w.batch.mapOwn) {
			w.mon.Own(w.batch.mapSrc[i], w.batch.mapOwn[i], start)
		}
		if w.mon == nil || w.mon.Map(mp, w.batch.mapSrc[i], start) {
			w.setMap(mp)
		}
	}
	for i := range w.batch.sensors {
		w.declareSensor(&w.batch.sensors[i])
	}
	if n := len(w.batch.rsis); n > 0 {
		w.rsi = w.batch.rsis[n-1]
	}
	w.hub.rsi.update(w.batch.rsis, start) // roadside events for subscribers (rsiboard.go)
	for i := range w.batch.spats {
		s := &w.batch.spats[i]
		if !w.hasSPAT || s.TimeNS >= w.spat.TimeNS {
			if w.mon != nil {
				w.mon.Own(s.Stream, s.Owner, s.IngestNS)
			}
			if w.mon != nil && !w.mon.SPAT(s.Stream, s.TimeNS, s.IngestNS, s.Phases[:s.N]) {
				continue
			}
			w.spat, w.hasSPAT = *s, true
			w.ingestNS = max(w.ingestNS, s.IngestNS)
		}
	}
	ms := w.batch.meas
	if len(ms) > 0 && !w.hasFrame {
		// No MAP and no configured point: the positions cannot be placed.
		// The reference frame never comes from a position anyone sends.
		w.m.noRef.Add(float64(len(ms)))
		ms = ms[:0]
	}
	// Positions far outside the intersection never reach a track: drop
	// them and count. The rest are kept in place, or, when the batch goes
	// to the recorder as drained, in w.kept.
	w.e, w.n = grow(w.e, len(ms)), grow(w.n, len(ms))
	kept := ms[:0]
	if w.rc != nil {
		kept = w.kept[:0]
	}
	maxR2 := w.cfg.maxRange * w.cfg.maxRange
	// The misbehaviour checks take a camera frame's detections together
	// (trust.Monitor.Detections): det is where the pending run of one
	// frame's detections starts in kept.
	det := 0
	for i := range ms {
		if w.mon != nil && i > 0 && !sameFrame(&ms[i], &ms[i-1]) {
			kept = w.checkDetections(kept, det)
			det = len(kept)
		}
		e, n, _ := w.frame.ToENU(ms[i].Lat, ms[i].Lon, 0)
		if e*e+n*n > maxR2 {
			w.m.outsideMap.Inc()
			continue
		}
		if w.mon != nil && ms[i].Kind == measSelfReport {
			kept = w.checkDetections(kept, det) // the detections before it first, in order
			det = len(kept) + 1
			if !w.mon.Measurement(&ms[i], e, n) {
				det--
				continue
			}
		}
		w.e[len(kept)], w.n[len(kept)] = e, n
		kept = append(kept, ms[i])
	}
	if w.mon != nil {
		kept = w.checkDetections(kept, det)
	}
	if w.rc != nil {
		w.kept = kept
	}
	ms = kept
	if w.corr != nil {
		// Handovers received by now are seeds before this cycle's
		// measurements: a vehicle's first BSM in the same cycle as its
		// handover then finds its seed.
		w.corr.seedIn(w, w.tracker())
	}
	// Frames arrive whole and in one piece (one putMeas per frame), so a
	// frame is a run of measurements with the same stream, source and time.
	for lo := 0; lo < len(ms); {
		hi := lo + 1
		for hi < len(ms) && sameFrame(&ms[hi], &ms[lo]) {
			hi++
		}
		c, visible := w.fuser.UpdateFrame(ms[lo:hi], w.e[lo:hi], w.n[lo:hi])
		if c > 0 && w.ownerCapped != nil {
			w.ownerCapped(ms[lo].Owner, c)
		}
		// A frame that changed no object subscribers get (it only fed or
		// started tentative tracks, or the live-objects quota refused it)
		// does not make the next state fresh: fresh states go to every
		// subscriber at once, others only as heartbeats.
		if visible {
			w.ingestNS = max(w.ingestNS, ms[lo].IngestNS)
		}
		lo = hi
	}
	w.m.measuresIn.Add(float64(len(w.batch.meas)))
	now := w.now()
	w.fuser.Expire(now)
	if w.corr != nil {
		w.corr.cycle(w, w.tracker(), now)
	}
	if w.hasSPAT && now-w.spat.TimeNS > int64(w.cfg.signalStale) {
		w.hasSPAT = false
	}
	if w.mon != nil {
		w.trustCycle(now)
	}
	s := w.publish(now)
	if w.rec != nil {
		w.rec.end(w.rc, &w.batch, now, w.seq, s)
		w.rc = nil
	}
	w.m.cycle.Observe(float64(clock.Now()-start) / 1e9)
}

// sameFrame reports whether two measurements belong to one frame (one
// stream, sensor and capture time).
func sameFrame(a, b *measurement) bool {
	return a.Stream == b.Stream && a.Source == b.Source && a.TimeNS == b.TimeNS
}

// checkDetections runs the misbehaviour checks on the detections
// kept[det:] (one frame's, in range; their positions in w.e, w.n) and
// drops those the monitor keeps out (a quarantined source's).
func (w *world) checkDetections(kept []measurement, det int) []measurement {
	if det >= len(kept) {
		return kept
	}
	return kept[:det+w.mon.Detections(kept[det:], w.e[det:len(kept)], w.n[det:len(kept)])]
}

// tracker returns the fuser's tracker, nil if the fuser is not one.
func (w *world) tracker() *track.Tracker {
	if tf, ok := w.fuser.(*trackFuser); ok {
		return tf.tr
	}
	return nil
}

func (w *world) setMap(mp *v2x.Map) {
	if w.mapData != nil && sameMap(w.mapData, mp) {
		w.m.mapsUnchanged.Inc()
		return
	}
	w.mapData = mp
	w.mapPub.Store(mp)
	defer func() {
		w.fuser.SetMap(mp, &w.frame)
		if w.mon != nil {
			mf := geo.NewFrame(mp.RefLat, mp.RefLon, 0)
			w.mon.SetMap(mp, func(e, n float64) (float64, float64) {
				lat, lon, h := mf.FromENU(e, n, 0)
				x, y, _ := w.frame.ToENU(lat, lon, h)
				return x, y
			})
		}
	}()
	if w.cfg.hasRef() {
		return // a configured reference point wins
	}
	lat, lon, _ := w.frame.Origin()
	if w.hasFrame && lat == mp.RefLat && lon == mp.RefLon {
		return
	}
	old := w.frame
	w.frame = geo.NewFrame(mp.RefLat, mp.RefLon, 0)
	if w.hasFrame {
		w.fuser.Reframe(&old, &w.frame)
		if w.mon != nil {
			w.mon.Reset()
			w.mon.Reproject(func(e, n float64) (float64, float64) {
				lat, lon, h := old.FromENU(e, n, 0)
				x, y, _ := w.frame.ToENU(lat, lon, h)
				return x, y
			})
		}
	}
	w.hasFrame = true
	w.log.Info("intersection reference point from MAP", "intersection", mp.IntersectionID, "lat", roundDeg(mp.RefLat), "lon", roundDeg(mp.RefLon), "lanes", len(mp.Lanes))
}

// declareSensor gives the misbehaviour checks a camera's declared
// detection area, in the current ENU frame. Without a reference point it
// cannot be placed and is dropped (counted as no_reference): cameras
// repeat their declarations.
func (w *world) declareSensor(d *sensorDecl) {
	if w.mon == nil {
		return
	}
	if !w.hasFrame {
		w.m.noRef.Inc()
		return
	}
	s := &d.Info
	e, n, _ := w.frame.ToENU(s.Lat, s.Lon, 0)
	if !w.mon.DeclareSensor(d.Stream, d.Source, trust.Sector{E: e, N: n, Heading: float64(s.Heading), Opening: float64(s.Opening),
		Range: float64(s.Range), MinRange: float64(s.MinRange)}, d.IngestNS) {
		return
	}
	w.m.sensorsDeclared.Inc()
}

// publish makes and publishes the snapshot of the world at now, and
// returns it (the hub's until the next publication).
func (w *world) publish(now int64) *snapshot {
	s := w.hub.newSnapshot()
	w.seq++
	s.Seq, s.TimeNS, s.IngestNS = w.seq, now, w.ingestNS
	s.Fresh, w.pubIngest = w.ingestNS > w.pubIngest, w.ingestNS
	s.HasFrame, s.Frame = w.hasFrame, w.frame
	s.Intersection = 0
	if w.mapData != nil {
		s.Intersection = w.mapData.IntersectionID
	}
	s.Objects = w.fuser.AppendObjects(s.Objects[:0], now)
	s.Signals = s.Signals[:0]
	if w.hasSPAT {
		if s.Intersection == 0 {
			s.Intersection = w.spat.IntersectionID
		}
		base := w.spat.TimeNS
		for _, ph := range w.spat.Phases[:w.spat.N] {
			s.Signals = append(s.Signals, wire.SignalState{
				Phase: ph.ID, State: ph.State, Confidence: ph.Confidence,
				MinEndMS: relMS(ph.MinEnd, base, now), LikelyEndMS: relMS(ph.LikelyEnd, base, now),
				MaxEndMS: relMS(ph.MaxEnd, base, now),
			})
		}
	}
	w.m.objects.Set(float64(len(s.Objects)))
	w.m.signals.Set(float64(len(s.Signals)))
	w.m.published.Inc()
	w.hub.publish(s)
	return s
}

// relMS re-bases a phase time given in ms after base to ms after now.
func relMS(t int32, base, now int64) int32 {
	if t == v2x.TimeUnknown {
		return t
	}
	r := (base + int64(t)*1e6 - now) / 1e6
	return int32(max(min(r, math.MaxInt32), math.MinInt32+1))
}

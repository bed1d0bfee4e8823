package edge

import (
	"context"
	"log/slog"
	"math"
	"sync"

	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/edge/uplink"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// corridorLink is the fusion loop's side of the NATS uplink beyond the
// state: handovers to and from the neighbouring nodes of a corridor, and
// the intersection's events (objects entering and leaving, signal
// changes, road events) for the events stream. The fusion loop calls
// cycle once per cycle; the NATS client's goroutine calls receive.
type corridorLink struct {
	log *slog.Logger
	up  corridorBus
	cfg uplink.Config

	// The neighbours as unit vectors from this node's reference point,
	// for the frame they were computed in.
	nbs      []nbDir
	nbOrigin [2]float64
	nbFrame  bool

	inMu   sync.Mutex
	in     []uplink.Handover // received, not yet seeded
	inWork []uplink.Handover

	seen  map[uint32]seenTrack // confirmed tracks of the last cycle
	stamp uint32

	lastSPAT  int64
	phase     [256]v2x.LightState
	phaseSeen [256]bool
	rsi       *v2x.RSI
	roadSeen  map[uint16]bool

	ev  wire.Event
	buf []byte
}

// corridorBus is where the corridor link's handovers and events go: the
// NATS uplink (*uplink.Uplink), or a test's neighbours on simulated time.
type corridorBus interface {
	Handover(h uplink.Handover)
	Event(payload []byte, capture int64)
}

type nbDir struct {
	id       string
	ux, uy   float64
	approach uint8
}

type seenTrack struct {
	stamp uint32
	e, n  float64
}

// Handover geometry: an object is handed over once within this many
// metres of the line to the neighbour and moving towards it.
const (
	handoverLateral  = 20.0 // m
	handoverMinSpeed = 1.0  // m/s along the line
	inboundMax       = 1024 // received handovers waiting for the next cycle; more are dropped
	selfFreshNS      = 1e9  // a handover names the BSM id of a track its BSMs updated within this
)

func newCorridorLink(up corridorBus, cfg uplink.Config) *corridorLink {
	cfg.SetDefaults()
	c := &corridorLink{up: up, cfg: cfg, seen: make(map[uint32]seenTrack, 512), roadSeen: make(map[uint16]bool),
		in: make([]uplink.Handover, 0, 64), inWork: make([]uplink.Handover, 0, 64)}
	c.ev.Lat, c.ev.Lon = math.NaN(), math.NaN()
	return c
}

// receive takes a neighbour's handover (NATS client goroutine).
func (c *corridorLink) receive(h uplink.Handover) {
	c.inMu.Lock()
	if len(c.in) < inboundMax {
		c.in = append(c.in, h)
	}
	c.inMu.Unlock()
}

// cycle runs after the tracker's Expire of a fusion cycle at node time now
// (the handovers were seeded before its measurements, seedIn).
func (c *corridorLink) cycle(w *world, tr *track.Tracker, now int64) {
	if !w.hasFrame {
		return
	}
	c.neighbours(&w.frame)
	if tr != nil {
		c.tracks(w, tr, now)
	}
	c.signals(w, now)
	c.roadEvents(w, now)
}

// neighbours computes the directions to the neighbours when the frame
// is new.
func (c *corridorLink) neighbours(f *geo.Frame) {
	lat, lon, _ := f.Origin()
	if c.nbFrame && c.nbOrigin == [2]float64{lat, lon} {
		return
	}
	c.nbs = c.nbs[:0]
	for _, nb := range c.cfg.Neighbours {
		e, n, _ := f.ToENU(nb.Lat, nb.Lon, 0)
		d := math.Hypot(e, n)
		if d < 1 {
			continue
		}
		c.nbs = append(c.nbs, nbDir{id: nb.NodeID, ux: e / d, uy: n / d, approach: nb.Approach})
	}
	c.nbOrigin, c.nbFrame = [2]float64{lat, lon}, true
}

// seedIn hands the handovers received so far to the tracker as seeds;
// the fusion loop calls it before a cycle's measurements.
func (c *corridorLink) seedIn(w *world, tr *track.Tracker) {
	if !w.hasFrame {
		return
	}
	c.neighbours(&w.frame)
	c.seed(&w.frame, tr)
}

// seed hands the received handovers to the tracker as seeds.
func (c *corridorLink) seed(f *geo.Frame, tr *track.Tracker) {
	c.inMu.Lock()
	c.in, c.inWork = c.inWork[:0], c.in
	c.inMu.Unlock()
	if tr == nil {
		return
	}
	for i := range c.inWork {
		h := &c.inWork[i]
		e, n, _ := f.ToENU(h.Lat, h.Lon, 0)
		ve, vn := h.VelE, h.VelN
		// The road between neighbours runs along the line between their
		// reference points: a seed travels along it towards this node.
		// (A heading a degree off puts a seed a lane off 100 m on.)
		for _, nb := range c.nbs {
			if nb.id != h.From {
				continue
			}
			if along := -(ve*nb.ux + vn*nb.uy); along > 0 {
				sp := math.Hypot(ve, vn)
				ve, vn = -nb.ux*sp, -nb.uy*sp
			}
			break
		}
		tr.AddSeed(track.Seed{ID: h.ID, Class: v2x.Class(h.Class), TimeNS: h.TimeNS, E: e, N: n, VE: ve, VN: vn,
			PosVar: (h.CovEE + h.CovNN) / 2, VehicleID: h.VehicleID})
		if c.log != nil && c.log.Enabled(context.Background(), slog.LevelDebug) {
			c.log.Debug("corridor: seed", "id", h.ID, "from", h.From, "e", e, "n", n, "time_ns", h.TimeNS)
		}
	}
}

// tracks hands over confirmed tracks leaving towards a neighbour and
// emits object enter and leave events.
func (c *corridorLink) tracks(w *world, tr *track.Tracker, now int64) {
	c.stamp++
	ts := tr.Tracks()
	for i := range ts {
		t := &ts[i]
		if !t.Confirmed {
			continue
		}
		e, n := t.Position()
		if s, ok := c.seen[t.ID]; !ok {
			lat, lon := tr.LatLon(t, e, n)
			c.event(wire.EventObjectEnter, t.ID, uint64(t.Class), lat, lon, "", now)
			if c.log != nil && c.log.Enabled(context.Background(), slog.LevelDebug) {
				c.log.Debug("corridor: object entered", "id", t.ID, "seeded", t.Seeded, "e", e, "n", n, "vehicle_id", t.VehicleID, "born_ns", t.BornNS, "seeds", len(tr.Seeds()))
			}
		} else if s.stamp == c.stamp {
			continue // merged duplicates share nothing, but be safe
		}
		c.seen[t.ID] = seenTrack{stamp: c.stamp, e: e, n: n}
		if t.HandedOver {
			continue
		}
		ve, vn := t.Velocity()
		for _, nb := range c.nbs {
			along := e*nb.ux + n*nb.uy
			if along < c.cfg.HandoverDistance || math.Abs(-e*nb.uy+n*nb.ux) > handoverLateral ||
				ve*nb.ux+vn*nb.uy < handoverMinSpeed ||
				(nb.approach != 0 && t.Approach != 0 && t.Approach != nb.approach) {
				continue
			}
			lat, lon := tr.LatLon(t, e, n)
			ee, en, nn := t.PosCov()
			// The BSM id only while the vehicle's own BSMs keep the track
			// (a one-off association with a neighbour's BSM would make the
			// neighbour node give this id to that other vehicle).
			var vid uint64
			if t.LastSelf != 0 && t.TimeNS-t.LastSelf <= selfFreshNS {
				vid = t.VehicleID
			}
			c.up.Handover(uplink.Handover{To: nb.id, ID: t.ID, Class: uint8(t.Class), TimeNS: t.TimeNS, Lat: lat, Lon: lon,
				VelE: ve, VelN: vn, CovEE: ee, CovEN: en, CovNN: nn, Length: t.Length, Width: t.Width, VehicleID: vid})
			t.HandedOver = true
			w.m.handovers.Inc()
			if c.log != nil && c.log.Enabled(context.Background(), slog.LevelDebug) {
				c.log.Debug("corridor: handover", "id", t.ID, "to", nb.id, "e", e, "n", n, "ve", ve, "vn", vn, "vehicle_id", vid, "time_ns", t.TimeNS)
			}
			break
		}
	}
	for id, s := range c.seen {
		if s.stamp != c.stamp {
			lat, lon, _ := w.frame.FromENU(s.e, s.n, 0)
			c.event(wire.EventObjectLeave, id, 0, lat, lon, "", now)
			if c.log != nil && c.log.Enabled(context.Background(), slog.LevelDebug) {
				c.log.Debug("corridor: object left", "id", id, "e", s.e, "n", s.n, "now_ns", now)
			}
			delete(c.seen, id)
		}
	}
}

// signals emits a signal change event for every signal group whose state
// changed in a new SPAT.
func (c *corridorLink) signals(w *world, now int64) {
	if !w.hasSPAT || w.spat.TimeNS == c.lastSPAT {
		return
	}
	c.lastSPAT = w.spat.TimeNS
	for _, ph := range w.spat.Phases[:w.spat.N] {
		if c.phaseSeen[ph.ID] && c.phase[ph.ID] == ph.State {
			continue
		}
		c.phase[ph.ID], c.phaseSeen[ph.ID] = ph.State, true
		c.event(wire.EventSignalChange, 0, uint64(ph.ID), math.NaN(), math.NaN(), ph.State.String(), w.spat.TimeNS)
	}
}

// roadEvents emits an event for every roadside event new in the RSI.
func (c *corridorLink) roadEvents(w *world, now int64) {
	if w.rsi == nil || w.rsi == c.rsi {
		return
	}
	c.rsi = w.rsi
	for i := range w.rsi.Events {
		re := &w.rsi.Events[i]
		if c.roadSeen[re.ID] {
			continue
		}
		c.roadSeen[re.ID] = true
		c.event(wire.EventRoadEvent, 0, uint64(re.ID), re.Lat, re.Lon, re.Text, now)
	}
}

// event hands one event to the uplink.
func (c *corridorLink) event(a wire.EventAction, object uint32, local uint64, lat, lon float64, text string, t int64) {
	c.ev = wire.Event{TimeNS: t, Action: a, ObjectID: object, LocalID: local, Lat: lat, Lon: lon, Text: text}
	c.buf = wire.AppendEvent(c.buf[:0], &c.ev)
	c.up.Event(c.buf, t)
}

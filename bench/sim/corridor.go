package sim

import (
	"fmt"
	"sync"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// Corridor geometry: intersections in a row from west to east along one
// arterial (the east-west legs), each the simulator's intersection with
// its reference point Spacing metres east of the previous one. A vehicle
// leaving one by the leg towards a neighbour drives on into that
// neighbour's facing approach: its rear passes from one simulator to the
// other Spacing-(stopLine+legLength) metres from the centre it leaves (86
// m at the default 250 m), where the neighbour's ingress lane starts, keeping its
// id, size, driver, speed and BSM sender. The legs between neighbours get
// no arrivals of their own; the outer legs and the cross streets do.
const (
	DefaultCorridorSpacing = 250.0
	legEnd                 = stopLine + legLength // where a leg's lanes end, from the centre
	MinCorridorSpacing     = legEnd + 30          // the hand-over point at least 30 m from the centre it leaves
	MaxCorridors           = 16
	legEast, legWest       = 1, 3
	corridorIDBlock        = 10_000_000 // vehicle ids of intersection i start at i·this
)

// MaxCorridorSpacing is the largest spacing: the legs of neighbours
// must meet.
const MaxCorridorSpacing = 2 * legEnd

// CorridorConfig describes a corridor scenario.
type CorridorConfig struct {
	Base    Config  // the first (westmost) intersection; the others are shifted east
	N       int     // intersections, 1..MaxCorridors
	Spacing float64 // metres between reference points; default DefaultCorridorSpacing
	// PlanStart is the time into the signal cycle (DefaultPlan, the same
	// at every intersection) at which the run starts: 0 starts with the
	// north-south green, 55s in the arterial's (east-west) green.
	PlanStart time.Duration
}

// Validate checks the corridor (the base configuration included).
func (c *CorridorConfig) Validate() error {
	if c.N < 1 || c.N > MaxCorridors {
		return fmt.Errorf("sim: corridor of %d intersections outside 1..%d", c.N, MaxCorridors)
	}
	if c.Spacing < MinCorridorSpacing || c.Spacing > MaxCorridorSpacing {
		return fmt.Errorf("sim: corridor spacing %v m outside %v..%v", c.Spacing, MinCorridorSpacing, MaxCorridorSpacing)
	}
	if c.Base.Dense {
		return fmt.Errorf("sim: a corridor runs without -dense")
	}
	if c.PlanStart < 0 || c.PlanStart > 24*time.Hour {
		return fmt.Errorf("sim: corridor plan start %v outside 0..24h", c.PlanStart)
	}
	return c.Base.Validate()
}

// Transfer is a vehicle passing from one intersection to the next.
type Transfer struct {
	VehicleID uint32        // the true id, the same on both sides
	From, To  int           // intersection indices
	At        time.Duration // true time since the start
}

// Corridor is N simulated intersections in a row with vehicles driving
// from one to the next. Each intersection's messages go to its own node
// through its View; the views may be driven from different goroutines
// (a Corridor locks), and the whole corridor advances as far as the
// furthest view asked.
type Corridor struct {
	cfg   CorridorConfig
	mu    sync.Mutex
	sims  []*Sim
	views []*View
	t     time.Duration
	trans []Transfer
	step  time.Duration
}

// NewCorridor returns a corridor whose intersections have been running
// together (vehicles passing between them) for the warm-up period.
func NewCorridor(cfg CorridorConfig) (*Corridor, error) {
	if cfg.Spacing == 0 {
		cfg.Spacing = DefaultCorridorSpacing
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Corridor{cfg: cfg, step: warmupStep}
	f := geo.NewFrame(cfg.Base.RefLat, cfg.Base.RefLon, 0)
	exit := cfg.Spacing - legEnd
	for i := range cfg.N {
		sc := cfg.Base
		sc.Seed = cfg.Base.Seed + int64(i)*7919 // each intersection its own draws
		sc.RefLat, sc.RefLon, _ = f.FromENU(float64(i)*cfg.Spacing, 0, 0)
		var closed [4]bool
		closed[legWest] = i > 0
		closed[legEast] = i < cfg.N-1
		s, err := newScene(sc, uint32(i)*corridorIDBlock, closed)
		if err != nil {
			return nil, err
		}
		for k := range s.plan.Groups {
			s.plan.Groups[k].GreenStart -= cfg.PlanStart
		}
		if i > 0 {
			s.traffic.exitAt[legWest] = exit
		}
		if i < cfg.N-1 {
			s.traffic.exitAt[legEast] = exit
		}
		c.sims = append(c.sims, s)
		c.views = append(c.views, &View{c: c, i: i})
	}
	c.t = c.sims[0].t
	for c.t < 0 {
		c.advance(min(warmupStep, -c.t))
	}
	for _, s := range c.sims {
		s.startBSMs()
	}
	c.trans = c.trans[:0] // transfers of the warm-up do not count
	return c, nil
}

// N returns the number of intersections.
func (c *Corridor) N() int { return len(c.sims) }

// View returns intersection i's view.
func (c *Corridor) View(i int) *View { return c.views[i] }

// Transfers appends the transfers since time 0 to dst.
func (c *Corridor) Transfers(dst []Transfer) []Transfer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append(dst, c.trans...)
}

// advance moves every intersection forward by h (at most maxSubstep at a
// time), passing vehicles on; c.mu is held.
func (c *Corridor) advance(h time.Duration) {
	for h > 0 {
		d := min(h, maxSubstep)
		h -= d
		c.t += d
		for _, s := range c.sims {
			s.advance(d)
			if s.t > 0 { // as Step: the first messages are captured at time 0 and emitted after the first substep
				s.emit()
			}
		}
		for i, s := range c.sims {
			tr := s.traffic
			for _, v := range tr.exits {
				to, leg := i+1, legWest
				if v.outLeg() == legWest {
					to, leg = i-1, legEast
				}
				c.sims[to].traffic.handIn(v, leg)
				c.trans = append(c.trans, Transfer{VehicleID: v.id, From: i, To: to, At: c.t})
			}
			clear(tr.exits)
			tr.exits = tr.exits[:0]
		}
		for _, v := range c.views {
			v.record()
		}
	}
}

// View is one intersection of a corridor as its feed sees it: the
// methods of a Sim, with Step advancing the whole corridor.
type View struct {
	c     *Corridor
	i     int
	t     time.Duration // how far this view has stepped
	truth []truthAt     // the intersection's truth at the corridor's recent times
}

type truthAt struct {
	t    time.Duration
	objs []TruthObject
}

// truthKeep is how long a view keeps truth snapshots for a lagging feed.
const truthKeep = 2 * time.Second

// record keeps the intersection's truth at the corridor's time.
func (v *View) record() {
	s := v.c.sims[v.i]
	var buf []TruthObject
	for len(v.truth) > 0 && v.c.t-v.truth[0].t > truthKeep {
		buf = v.truth[0].objs[:0]
		v.truth = v.truth[1:]
	}
	v.truth = append(v.truth, truthAt{t: v.c.t, objs: s.Truth(buf)})
}

// Sim returns the intersection's simulator, for its static description
// (Map, Sources, Cameras, Plan); step it only through the view.
func (v *View) Sim() *Sim { return v.c.sims[v.i] }

// Index returns the view's intersection index.
func (v *View) Index() int { return v.i }

// Sources returns the intersection's message sources.
func (v *View) Sources() []Source { return v.c.sims[v.i].Sources() }

// Now returns how far this view has stepped.
func (v *View) Now() time.Duration { return v.t }

// Step advances this view by dt, and the corridor as far as needed.
func (v *View) Step(dt time.Duration) {
	if dt <= 0 {
		return
	}
	v.c.mu.Lock()
	defer v.c.mu.Unlock()
	v.t += dt
	if v.t > v.c.t {
		v.c.advance(v.t - v.c.t)
	}
}

// Due appends the intersection's messages due by the view's time.
func (v *View) Due(dst []Output) []Output {
	v.c.mu.Lock()
	defer v.c.mu.Unlock()
	return v.c.sims[v.i].queue.popDue(dst, v.t)
}

// Truth appends the intersection's true objects at the view's time (the
// nearest recorded step).
func (v *View) Truth(dst []TruthObject) []TruthObject {
	v.c.mu.Lock()
	defer v.c.mu.Unlock()
	best := -1
	for k := len(v.truth) - 1; k >= 0; k-- {
		if v.truth[k].t <= v.t {
			best = k
			break
		}
	}
	if best < 0 {
		return v.c.sims[v.i].Truth(dst)
	}
	return append(dst, v.truth[best].objs...)
}

package sim

import (
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// Plan is a fixed-time signal plan: every group is green, then yellow, then
// red for the rest of the cycle, once per cycle. Cycle time 0 is simulator
// time 0 (and every multiple of Cycle, also before 0).
type Plan struct {
	Cycle  time.Duration
	Groups []GroupTiming
}

// GroupTiming is one signal group's share of the cycle.
type GroupTiming struct {
	Group      uint8
	GreenStart time.Duration // offset of the start of green in the cycle
	Green      time.Duration
	Yellow     time.Duration
}

// Timing of the default plan.
const (
	throughGreen = 25 * time.Second
	leftGreen    = 8 * time.Second
	yellowTime   = 3 * time.Second
	allRed       = 2 * time.Second
	walkTime     = 6 * time.Second // pedestrians start crossing only this long into their green
)

// DefaultPlan returns the plan of the simulated intersection, an 86 s cycle:
// north-south straight and right (group 1) 25 s green, north-south left
// (group 2) 8 s, east-west straight and right (group 3) 25 s, east-west
// left (group 4) 8 s, each followed by 3 s yellow and 2 s all-red.
// Pedestrians cross during the green of the through group parallel to
// them, starting in its first 6 s.
func DefaultPlan() Plan {
	var p Plan
	at := time.Duration(0)
	for _, g := range []struct {
		group uint8
		green time.Duration
	}{{GroupNSThrough, throughGreen}, {GroupNSLeft, leftGreen}, {GroupEWThrough, throughGreen}, {GroupEWLeft, leftGreen}} {
		p.Groups = append(p.Groups, GroupTiming{Group: g.group, GreenStart: at, Green: g.green, Yellow: yellowTime})
		at += g.green + yellowTime + allRed
	}
	p.Cycle = at
	return p
}

// State returns the state of a signal group at time t and the times at
// which that state began and will end. An unknown group is dark forever.
func (p *Plan) State(group uint8, t time.Duration) (state v2x.LightState, start, end time.Duration) {
	for i := range p.Groups {
		g := &p.Groups[i]
		if g.Group != group {
			continue
		}
		c := (t - g.GreenStart) % p.Cycle // time since the last start of green
		if c < 0 {
			c += p.Cycle
		}
		base := t - c
		switch {
		case c < g.Green:
			return v2x.LightGreen, base, base + g.Green
		case c < g.Green+g.Yellow:
			return v2x.LightYellow, base + g.Green, base + g.Green + g.Yellow
		default:
			return v2x.LightRed, base + g.Green + g.Yellow, base + p.Cycle
		}
	}
	return v2x.LightDark, -1 << 62, 1 << 62
}

// walk reports whether pedestrians on a crosswalk whose parallel group is
// given may start crossing at t.
func (p *Plan) walk(group uint8, t time.Duration) bool {
	st, start, _ := p.State(group, t)
	return st == v2x.LightGreen && t-start < walkTime
}

// Confidence of the SPAT's LikelyEnd: the plan is fixed-time, so the
// controller is certain.
const spatConfidence = 100

// SPAT returns the SPAT the controller sends at capture time t (simulator
// time), with a fresh Phases slice.
func (p *Plan) SPAT(t time.Duration) v2x.SPAT {
	s := v2x.SPAT{IntersectionID: IntersectionID, Phases: make([]v2x.Phase, len(p.Groups))}
	for i := range p.Groups {
		g := p.Groups[i].Group
		st, start, end := p.State(g, t)
		e := msRel(end - t)
		s.Phases[i] = v2x.Phase{ID: g, State: st, Confidence: spatConfidence,
			Start: msRel(start - t), MinEnd: e, LikelyEnd: e, MaxEnd: e}
	}
	return s
}

// msRel converts a relative time to SPAT milliseconds, TimeUnknown when it
// does not fit.
func msRel(d time.Duration) int32 {
	ms := d / time.Millisecond
	if ms <= time.Duration(v2x.TimeUnknown) || ms > 1<<31-1 {
		return v2x.TimeUnknown
	}
	return int32(ms)
}

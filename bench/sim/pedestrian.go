package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// Pedestrian behaviour: they arrive at either end of a crosswalk (a Poisson
// process per crosswalk), wait on the kerb until they may start crossing
// (the first walkTime of the parallel through group's green), walk across
// at their own pace and disappear on the far kerb.
const (
	pedSpeedLo, pedSpeedHi = 1.2, 1.5 // m/s
	pedWaitLo, pedWaitHi   = 0.3, 1.2 // m beyond the kerb where they wait
	pedOffMax              = 1.5      // m either side of the crosswalk centre line
	pedFinish              = 0.5      // m beyond the far kerb where they disappear
)

type pedestrian struct {
	id                    uint32
	cw                    *crosswalk
	dir                   float64 // +1 or -1: the direction they cross in, along the crosswalk
	along, off            float64
	speed                 float64 // walking speed
	walking               bool
	length, width, height float64
}

// walker is a walking pedestrian's position and velocity along a crosswalk.
type walker struct{ along, vel float64 }

type pedestrians struct {
	lay         *layout
	plan        *Plan
	r           *rand.Rand
	ratePerSec  float64
	peds        []*pedestrian
	nextArrival [4]time.Duration
	nextID      *uint32
	walkers     [4][]walker // the walking pedestrians on each crosswalk

	spawned, crossed int
}

func newPedestrians(lay *layout, plan *Plan, r *rand.Rand, perMin float64, start time.Duration, nextID *uint32) *pedestrians {
	p := &pedestrians{lay: lay, plan: plan, r: r, ratePerSec: perMin / 60, nextID: nextID}
	for i := range p.nextArrival {
		p.nextArrival[i] = start + p.interArrival()
	}
	return p
}

func (p *pedestrians) interArrival() time.Duration {
	if p.ratePerSec <= 0 {
		return 1 << 62
	}
	return time.Duration(p.r.ExpFloat64() / p.ratePerSec * float64(time.Second))
}

// step advances the pedestrians from t-h to t.
func (p *pedestrians) step(t time.Duration, h float64) {
	for cw := range p.nextArrival {
		for p.nextArrival[cw] <= t {
			p.nextArrival[cw] += p.interArrival()
			p.spawn(cw)
		}
	}
	var walk [4]bool
	for cw := range walk {
		walk[cw] = p.plan.walk(p.lay.crosswalks[cw].group, t)
	}
	n := 0
	for _, ped := range p.peds {
		if !ped.walking && walk[ped.cw.leg] {
			ped.walking = true
		}
		if ped.walking {
			ped.along += ped.dir * ped.speed * h
			if ped.dir*ped.along >= crosswalkHalfSpan+pedFinish {
				p.crossed++
				continue
			}
		}
		p.peds[n] = ped
		n++
	}
	clear(p.peds[n:])
	p.peds = p.peds[:n]
	for cw := range p.walkers {
		p.walkers[cw] = p.walkers[cw][:0]
	}
	for _, ped := range p.peds {
		if ped.walking {
			p.walkers[ped.cw.leg] = append(p.walkers[ped.cw.leg], walker{ped.along, ped.dir * ped.speed})
		}
	}
}

func (p *pedestrians) spawn(cw int) {
	r := p.r
	dir := 1.0
	if r.IntN(2) == 0 {
		dir = -1
	}
	*p.nextID++
	ped := &pedestrian{
		id: *p.nextID, cw: &p.lay.crosswalks[cw], dir: dir,
		along:  -dir * (crosswalkHalfSpan + pedWaitLo + (pedWaitHi-pedWaitLo)*r.Float64()),
		off:    pedOffMax * (2*r.Float64() - 1),
		speed:  pedSpeedLo + (pedSpeedHi-pedSpeedLo)*r.Float64(),
		length: 0.3 + 0.2*r.Float64(), width: 0.45 + 0.15*r.Float64(), height: 1.5 + 0.35*r.Float64(),
	}
	p.peds = append(p.peds, ped)
	p.spawned++
}

// blocked reports whether a walking pedestrian is within [lo, hi] across
// crosswalk cw now or will be within the next horizon seconds.
func (p *pedestrians) blocked(cw int, lo, hi, horizon float64) bool {
	for _, w := range p.walkers[cw] {
		switch {
		case w.along >= lo && w.along <= hi:
			return true
		case w.along < lo && w.vel > 0 && (lo-w.along) < w.vel*horizon:
			return true
		case w.along > hi && w.vel < 0 && (w.along-hi) < -w.vel*horizon:
			return true
		}
	}
	return false
}

func (ped *pedestrian) state(o *objState) {
	c := ped.cw
	e, n := c.point(ped.along, ped.off)
	de, dn := c.r[0]*ped.dir, c.r[1]*ped.dir // unit vector of the crossing direction
	speed := 0.0
	if ped.walking {
		speed = ped.speed
	}
	*o = objState{
		id: ped.id, class: v2x.ClassPedestrian, e: e, n: n, ve: de * speed, vn: dn * speed, speed: speed,
		heading: compass(math.Atan2(dn, de)), length: ped.length, width: ped.width, height: ped.height, lane: c.lane,
	}
}

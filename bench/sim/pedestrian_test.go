package sim

import (
	"math"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// Pedestrians start crossing only in their walk interval, walk at 1.2-1.5
// m/s straight across, and disappear on the far side.
func TestPedestriansCross(t *testing.T) {
	s := newSim(t, func(c *Config) { c.Cameras, c.EquippedShare, c.PedestriansPerMin = 0, 0, 6 })
	type track struct {
		walking         bool
		first, last     objState
		startedAt, seen time.Duration
	}
	tracks := map[uint32]*track{}
	for s.Now() < 2*s.plan.Cycle {
		s.Step(tick)
		for _, ped := range s.peds.peds {
			var o objState
			ped.state(&o)
			k := tracks[o.id]
			if k == nil {
				k = &track{first: o}
				tracks[o.id] = k
			}
			k.last, k.seen = o, s.Now()
			if ped.walking && !k.walking {
				k.walking, k.startedAt = true, s.Now()
				if !s.plan.walk(ped.cw.group, s.Now()) {
					st, start, _ := s.plan.State(ped.cw.group, s.Now())
					t.Errorf("pedestrian %d started crossing lane %d with group %d %v for %v", o.id, o.lane, ped.cw.group, st, s.Now()-start)
				}
			}
			if k.walking && (o.speed < pedSpeedLo || o.speed > pedSpeedHi) {
				t.Fatalf("pedestrian %d walks at %.2f m/s", o.id, o.speed)
			}
			if !k.walking && (o.e != k.first.e || o.n != k.first.n) {
				t.Fatalf("waiting pedestrian %d moved", o.id)
			}
		}
	}
	crossed := 0
	for id, k := range tracks {
		if k.seen == s.Now() {
			continue
		}
		crossed++
		// gone: it walked from one kerb to the other
		if !k.walking {
			t.Errorf("pedestrian %d vanished without crossing", id)
		}
		if d := math.Hypot(k.last.e-k.first.e, k.last.n-k.first.n); d < 2*crosswalkHalfSpan {
			t.Errorf("pedestrian %d vanished after %.1f m", id, d)
		}
	}
	if crossed < 10 {
		t.Errorf("%d pedestrians crossed in two cycles", crossed)
	}
}

// Vehicles yield to pedestrians: no walking pedestrian is ever inside a
// vehicle's footprint.
func TestVehiclesYieldToPedestrians(t *testing.T) {
	s := newSim(t, func(c *Config) {
		c.Cameras, c.EquippedShare, c.PedestriansPerMin, c.VehiclesPerMin = 0, 0, 8, 10
	})
	var tr []TruthObject
	near := 0
	for s.Now() < 2*s.plan.Cycle {
		s.Step(5 * tick)
		tr = s.Truth(tr[:0])
		for _, p := range tr {
			if p.Class != v2x.ClassPedestrian || p.Speed == 0 {
				continue
			}
			for _, v := range tr {
				if !v.Class.Vehicle() || math.Hypot(v.E-p.E, v.N-p.N) > 10 {
					continue
				}
				near++
				// the pedestrian in the vehicle's frame
				sh, ch := math.Sincos(float64(v.Heading) * math.Pi / 180)
				dx, dy := p.E-v.E, p.N-v.N
				along, across := dx*sh+dy*ch, dx*ch-dy*sh
				if math.Abs(along) < float64(v.Length)/2 && math.Abs(across) < float64(v.Width)/2 {
					t.Fatalf("at %v pedestrian %d is inside vehicle %d", s.Now(), p.ID, v.ID)
				}
			}
		}
	}
	if near == 0 {
		t.Error("no vehicle ever came near a walking pedestrian")
	}
	t.Logf("%d vehicle-pedestrian pairs within 10 m", near)
}

func TestBlocked(t *testing.T) {
	p := &pedestrians{}
	p.walkers[0] = []walker{{along: -5, vel: 1.5}, {along: 6, vel: -1.2}}
	for _, tc := range []struct {
		lo, hi, horizon float64
		want            bool
	}{
		{-6, -4, 0, true},  // inside
		{-3, -1, 1, false}, // 2 m ahead, 1.5 m in a second
		{-3, -1, 2, true},  // reaches it in 1.33 s
		{-9, -7, 5, false}, // walking away; the other one needs 10.8 s
		{-9, -7, 11, true}, // the other one arrives
		{3, 4, 1.6, false}, // the other one is 2 m away at 1.2 m/s
		{3, 4, 1.7, true},
	} {
		if got := p.blocked(0, tc.lo, tc.hi, tc.horizon); got != tc.want {
			t.Errorf("blocked(%v..%v, %vs) = %v, want %v", tc.lo, tc.hi, tc.horizon, got, tc.want)
		}
	}
	if p.blocked(1, -100, 100, 100) {
		t.Error("empty crosswalk blocked")
	}
}

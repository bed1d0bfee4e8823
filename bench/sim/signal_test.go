package sim

import (
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

func TestPlanStates(t *testing.T) {
	p := DefaultPlan()
	if p.Cycle != 86*time.Second || len(p.Groups) != 4 {
		t.Fatalf("cycle %v with %d groups", p.Cycle, len(p.Groups))
	}
	s := time.Second
	for _, tc := range []struct {
		group      uint8
		t          time.Duration
		want       v2x.LightState
		start, end time.Duration
	}{
		{1, 0, v2x.LightGreen, 0, 25 * s},
		{1, 25 * s, v2x.LightYellow, 25 * s, 28 * s},
		{1, 28 * s, v2x.LightRed, 28 * s, 86 * s},
		{1, -1 * s, v2x.LightRed, -58 * s, 0},
		{2, 0, v2x.LightRed, -45 * s, 30 * s},
		{2, 30 * s, v2x.LightGreen, 30 * s, 38 * s},
		{2, 40 * s, v2x.LightYellow, 38 * s, 41 * s},
		{3, 43 * s, v2x.LightGreen, 43 * s, 68 * s},
		{3, 70 * s, v2x.LightYellow, 68 * s, 71 * s},
		{4, 73 * s, v2x.LightGreen, 73 * s, 81 * s},
		{4, 85 * s, v2x.LightRed, 84 * s, 159 * s},
		{1, 86*s + 500*time.Millisecond, v2x.LightGreen, 86 * s, 111 * s},
		{9, 0, v2x.LightDark, -1 << 62, 1 << 62},
	} {
		st, start, end := p.State(tc.group, tc.t)
		if st != tc.want || start != tc.start || end != tc.end {
			t.Errorf("group %d at %v: %v %v..%v, want %v %v..%v", tc.group, tc.t, st, start, end, tc.want, tc.start, tc.end)
		}
	}
}

// At most one group is not red at any time, and between two groups'
// greens there is yellow and all-red.
func TestPlanExclusive(t *testing.T) {
	p := DefaultPlan()
	lastGreen := map[uint8]bool{}
	var lastNonRed time.Duration = -1 << 62
	var lastNonRedGroup uint8
	for at := time.Duration(0); at < 2*p.Cycle; at += 100 * time.Millisecond {
		nonRed := 0
		for _, g := range p.Groups {
			st, _, _ := p.State(g.Group, at)
			if st != v2x.LightRed {
				nonRed++
				if st == v2x.LightGreen && !lastGreen[g.Group] && lastNonRedGroup != g.Group && at-lastNonRed < allRed {
					t.Errorf("group %d turns green %v after group %d was not red", g.Group, at-lastNonRed, lastNonRedGroup)
				}
				lastNonRed, lastNonRedGroup = at, g.Group
			}
			lastGreen[g.Group] = st == v2x.LightGreen
		}
		if nonRed > 1 {
			t.Fatalf("%d groups not red at %v", nonRed, at)
		}
	}
}

// SPATs from the simulator: 10 Hz, every group, states matching the plan,
// LikelyEnd counting down within a state, Start counting up.
func TestSPATTiming(t *testing.T) {
	s := newSim(t, func(c *Config) { c.Cameras = 0; c.EquippedShare = 0 })
	plan := s.Plan()
	var prev *v2x.SPAT
	var prevCapture time.Duration
	n := 0
	for _, o := range collect(s, 100*time.Second) {
		if o.Type != MsgSPAT {
			continue
		}
		n++
		sp := o.SPAT
		if sp.IntersectionID != IntersectionID || len(sp.Phases) != len(plan.Groups) {
			t.Fatalf("SPAT for %d with %d phases", sp.IntersectionID, len(sp.Phases))
		}
		for i, ph := range sp.Phases {
			want, _, _ := plan.State(ph.ID, o.Capture)
			if ph.State != want {
				t.Fatalf("group %d at %v: %v, plan says %v", ph.ID, o.Capture, ph.State, want)
			}
			if !(ph.Start <= 0 && 0 < ph.MinEnd && ph.MinEnd <= ph.LikelyEnd && ph.LikelyEnd <= ph.MaxEnd) || ph.Confidence > 100 {
				t.Fatalf("group %d at %v: implausible timing %+v", ph.ID, o.Capture, ph)
			}
			if prev == nil {
				continue
			}
			dt := int32((o.Capture - prevCapture) / time.Millisecond)
			p := prev.Phases[i]
			if p.State == ph.State {
				if ph.LikelyEnd != p.LikelyEnd-dt || ph.Start != p.Start-dt {
					t.Fatalf("group %d: LikelyEnd %d then %d, Start %d then %d, %d ms apart", ph.ID, p.LikelyEnd, ph.LikelyEnd, p.Start, ph.Start, dt)
				}
			} else if p.LikelyEnd > dt || ph.Start > 0 || ph.Start < -dt {
				t.Fatalf("group %d changed %v -> %v with %d ms left, new state started %d ms ago", ph.ID, p.State, ph.State, p.LikelyEnd, -ph.Start)
			}
		}
		if prev != nil && o.Capture-prevCapture != spatPeriod {
			t.Fatalf("SPATs captured %v apart", o.Capture-prevCapture)
		}
		sp2 := sp
		prev, prevCapture = &sp2, o.Capture
	}
	if n < 990 {
		t.Errorf("%d SPATs in 100 s", n)
	}
}

func TestWalk(t *testing.T) {
	p := DefaultPlan()
	for _, tc := range []struct {
		group uint8
		t     time.Duration
		want  bool
	}{
		{GroupNSThrough, 0, true},
		{GroupNSThrough, 5 * time.Second, true},
		{GroupNSThrough, walkTime, false},
		{GroupNSThrough, 20 * time.Second, false},
		{GroupEWThrough, 43 * time.Second, true},
		{GroupEWThrough, 0, false},
	} {
		if got := p.walk(tc.group, tc.t); got != tc.want {
			t.Errorf("walk(%d, %v) = %v, want %v", tc.group, tc.t, got, tc.want)
		}
	}
}

package sim

import (
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

func TestMapConsistent(t *testing.T) {
	for _, legLen := range []float64{legLength, denseLegLength} {
		lay := newLayout(legLen)
		m := lay.mapMessage(DefaultRefLat, DefaultRefLon)
		if m.IntersectionID != IntersectionID || m.RefLat != DefaultRefLat || m.RefLon != DefaultRefLon {
			t.Errorf("map header %d %v %v", m.IntersectionID, m.RefLat, m.RefLon)
		}
		if len(m.Lanes) != 20 || len(m.Lanes) > v2x.MaxLanes {
			t.Fatalf("%d lanes, want 20", len(m.Lanes))
		}
		byID := map[uint8]*v2x.Lane{}
		for i := range m.Lanes {
			l := &m.Lanes[i]
			if byID[l.ID] != nil || l.ID == 0 {
				t.Fatalf("lane id %d zero or twice", l.ID)
			}
			byID[l.ID] = l
		}
		plan := DefaultPlan()
		groups := map[uint8]bool{}
		for _, g := range plan.Groups {
			groups[g.Group] = true
		}
		count := map[string]int{}
		for _, l := range m.Lanes {
			if l.Approach < 1 || l.Approach > 4 || !l.Kind.Valid() || l.Width <= 0 {
				t.Errorf("lane %d: approach %d kind %d width %v", l.ID, l.Approach, l.Kind, l.Width)
			}
			if len(l.Nodes) < 2 || len(l.Nodes) > v2x.MaxLaneNodes || len(l.Connections) > v2x.MaxConnections {
				t.Errorf("lane %d: %d nodes, %d connections", l.ID, len(l.Nodes), len(l.Connections))
			}
			switch {
			case l.Kind == v2x.LaneCrosswalk:
				count["crosswalk"]++
				if l.Ingress || len(l.Connections) != 0 {
					t.Errorf("crosswalk %d is ingress or connected", l.ID)
				}
				continue
			case l.Ingress:
				count["ingress"]++
				if len(l.Connections) == 0 {
					t.Errorf("ingress lane %d has no connections", l.ID)
				}
			default:
				count["egress"]++
				if len(l.Connections) != 0 {
					t.Errorf("egress lane %d has connections", l.ID)
				}
			}
			// Vehicle lanes start at the stop line and run outwards along
			// their leg for its length.
			first, last := l.Nodes[0], l.Nodes[len(l.Nodes)-1]
			d0 := math.Max(math.Abs(float64(first.E)), math.Abs(float64(first.N)))
			d1 := math.Max(math.Abs(float64(last.E)), math.Abs(float64(last.N)))
			if math.Abs(d0-stopLine) > 1e-3 || math.Abs(d1-stopLine-legLen) > 1e-3 {
				t.Errorf("lane %d runs from %v to %v m, want %v to %v", l.ID, d0, d1, stopLine, stopLine+legLen)
			}
			var allowed v2x.Maneuver
			for _, c := range l.Connections {
				to := byID[c.ToLane]
				switch {
				case to == nil:
					t.Errorf("lane %d connects to missing lane %d", l.ID, c.ToLane)
					continue
				case to.Ingress || to.Kind != v2x.LaneVehicle:
					t.Errorf("lane %d connects to lane %d, not an egress vehicle lane", l.ID, c.ToLane)
				case to.Approach == l.Approach:
					t.Errorf("lane %d connects to its own approach", l.ID)
				case !groups[c.SignalGroup]:
					t.Errorf("lane %d connection to %d has signal group %d, not in the plan", l.ID, c.ToLane, c.SignalGroup)
				case c.Maneuver&l.Maneuvers == 0:
					t.Errorf("lane %d connection maneuver %b not in the lane's %b", l.ID, c.Maneuver, l.Maneuvers)
				}
				allowed |= c.Maneuver
			}
			if l.Ingress && allowed != l.Maneuvers {
				t.Errorf("lane %d allows %b, connections give %b", l.ID, l.Maneuvers, allowed)
			}
		}
		if count["crosswalk"] != 4 || count["ingress"] != 8 || count["egress"] != 8 {
			t.Errorf("lane counts %v", count)
		}
	}
}

func TestMovements(t *testing.T) {
	// approach, maneuver -> approach of the egress lane, signal group
	for _, tc := range []struct {
		approach uint8
		man      v2x.Maneuver
		to       uint8
		group    uint8
	}{
		{1, v2x.ManeuverLeft, 2, GroupNSLeft},
		{1, v2x.ManeuverStraight, 3, GroupNSThrough},
		{1, v2x.ManeuverRight, 4, GroupNSThrough},
		{2, v2x.ManeuverLeft, 3, GroupEWLeft},
		{2, v2x.ManeuverStraight, 4, GroupEWThrough},
		{2, v2x.ManeuverRight, 1, GroupEWThrough},
		{3, v2x.ManeuverLeft, 4, GroupNSLeft},
		{3, v2x.ManeuverStraight, 1, GroupNSThrough},
		{3, v2x.ManeuverRight, 2, GroupNSThrough},
		{4, v2x.ManeuverLeft, 1, GroupEWLeft},
		{4, v2x.ManeuverStraight, 2, GroupEWThrough},
		{4, v2x.ManeuverRight, 3, GroupEWThrough},
	} {
		m := newLayout(legLength).mapMessage(0, 0)
		found := false
		for _, l := range m.Lanes {
			for _, c := range l.Connections {
				if l.Approach == tc.approach && c.Maneuver == tc.man {
					found = true
					if c.ToLane/10 != tc.to || c.SignalGroup != tc.group {
						t.Errorf("approach %d maneuver %b: to lane %d group %d, want approach %d group %d",
							tc.approach, tc.man, c.ToLane, c.SignalGroup, tc.to, tc.group)
					}
				}
			}
		}
		if !found {
			t.Errorf("approach %d has no maneuver %b", tc.approach, tc.man)
		}
	}
}

// Each movement's path runs along its ingress lane's centre line to the stop
// line, through the box, and along its egress lane's centre line, with
// matching headings where the pieces meet.
func TestMovementPathsFollowLanes(t *testing.T) {
	lay := newLayout(legLength)
	m := lay.mapMessage(0, 0)
	lanes := map[uint8]v2x.Lane{}
	for _, l := range m.Lanes {
		lanes[l.ID] = l
	}
	for i := range lay.moves {
		mv := &lay.moves[i]
		in, out := lanes[mv.inLane], lanes[mv.outLane]
		for s := 0.0; s <= mv.path.total; s += 1 {
			e, n, _, _ := mv.path.at(s)
			var d float64
			switch {
			case s <= mv.inEnd:
				d = distToPolyline(e, n, in.Nodes)
			case s >= mv.connEnd:
				d = distToPolyline(e, n, out.Nodes)
			default:
				if math.Abs(e) > stopLine+1e-9 || math.Abs(n) > stopLine+1e-9 {
					t.Fatalf("movement %d leaves the box at %v,%v", i, e, n)
				}
				continue
			}
			if d > 1e-3 {
				t.Fatalf("movement %d at %v m is %v m off its lane", i, s, d)
			}
		}
		_, _, th0, _ := mv.path.at(mv.inEnd - 1e-6)
		_, _, th1, _ := mv.path.at(mv.inEnd + 1e-6)
		_, _, th2, _ := mv.path.at(mv.connEnd - 1e-6)
		_, _, th3, _ := mv.path.at(mv.connEnd + 1e-6)
		if math.Abs(wrapPi(th1-th0)) > 1e-4 || math.Abs(wrapPi(th3-th2)) > 1e-4 {
			t.Errorf("movement %d: heading jumps at the stop line or the egress lane", i)
		}
	}
}

// Right turns cross a crosswalk walked during their own green, so they
// have a conflict with it; every conflict lies on the connector.
func TestConflicts(t *testing.T) {
	lay := newLayout(legLength)
	for i := range lay.moves {
		mv := &lay.moves[i]
		var sameGroup bool
		for _, c := range mv.conflicts {
			if c.s < mv.inEnd || c.exit > mv.connEnd || c.exit < c.s || c.lo >= c.hi {
				t.Errorf("movement %d: conflict %+v outside its connector", i, c)
			}
			if lay.crosswalks[c.cw].group == mv.group {
				sameGroup = true
			}
		}
		if want := mv.maneuver == v2x.ManeuverRight; sameGroup != want {
			t.Errorf("movement %d (%b): conflict with a crosswalk of its own group: %v, want %v", i, mv.maneuver, sameGroup, want)
		}
	}
}

// distToPolyline returns the distance of a point from a polyline.
func distToPolyline(e, n float64, ps []v2x.Point) float64 {
	best := math.Inf(1)
	for i := 1; i < len(ps); i++ {
		ax, ay := float64(ps[i-1].E), float64(ps[i-1].N)
		bx, by := float64(ps[i].E), float64(ps[i].N)
		dx, dy := bx-ax, by-ay
		u := ((e-ax)*dx + (n-ay)*dy) / (dx*dx + dy*dy)
		u = math.Max(0, math.Min(1, u))
		best = math.Min(best, math.Hypot(e-ax-u*dx, n-ay-u*dy))
	}
	return best
}

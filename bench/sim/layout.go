package sim

import (
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// IntersectionID is the id of the simulated intersection in its MAP and
// SPAT.
const IntersectionID = 1001

// Geometry of the simulated intersection, in metres in the local ENU frame
// whose origin is the reference point at the centre of the box. Approach 1
// is the north leg, 2 east, 3 south, 4 west; traffic drives on the right.
// Each leg has two ingress lanes (the inner one for left turns, the outer
// one for straight and right) and two egress lanes, all laneWidth wide, and
// one crosswalk across it between the box and the stop line.
const (
	laneWidth         = 3.5
	stopLine          = 14.0 // distance of stop lines and egress lane starts from the centre
	crosswalkCentre   = 11.0 // distance of the crosswalk centre lines from the centre
	crosswalkWidth    = 4.0
	crosswalkHalfSpan = 9.0 // crosswalks run from kerb to kerb, ±this across the leg
	legLength         = 150.0
	denseLegLength    = 300.0
	nodeSpacing       = 25.0
	speedLimit        = 50 / 3.6 // m/s
	turnLatAccel      = 3.0      // m/s², lateral acceleration drivers accept in a turn
	elevation         = 0        // metres; the intersection is flat
)

// Lane ids: approach number × 10 + the kind of lane.
const (
	laneIngressLeft     = 1 // left turns
	laneIngressStraight = 2 // straight and right turns
	laneEgressInner     = 3
	laneEgressOuter     = 4
	laneCrosswalk       = 5
)

func laneID(leg, kind int) uint8 { return uint8((leg+1)*10 + kind) }

// Signal groups of the fixed-time plan.
const (
	GroupNSThrough uint8 = 1 // north and south approaches, straight and right
	GroupNSLeft    uint8 = 2 // north and south approaches, left turns
	GroupEWThrough uint8 = 3 // east and west approaches, straight and right
	GroupEWLeft    uint8 = 4 // east and west approaches, left turns
)

func throughGroup(leg int) uint8 {
	if leg%2 == 0 {
		return GroupNSThrough
	}
	return GroupEWThrough
}

func leftGroup(leg int) uint8 {
	if leg%2 == 0 {
		return GroupNSLeft
	}
	return GroupEWLeft
}

// legDir is the outward unit vector of each leg (N, E, S, W).
var legDir = [4][2]float64{{0, 1}, {1, 0}, {0, -1}, {-1, 0}}

// legSide is the unit vector from a leg's centre line towards its ingress
// lanes: the right-hand side of traffic entering the intersection.
func legSide(leg int) [2]float64 {
	u := legDir[leg]
	return [2]float64{-u[1], u[0]}
}

// legPoint returns the point at distance d from the centre along the leg
// and lateral offset off towards its ingress side.
func legPoint(leg int, d, off float64) (e, n float64) {
	u, r := legDir[leg], legSide(leg)
	return u[0]*d + r[0]*off, u[1]*d + r[1]*off
}

// laneOffset is the lateral offset of the centre of the k-th lane (0 inner)
// from the leg's centre line.
func laneOffset(k int) float64 { return (float64(k) + 0.5) * laneWidth }

// Car-following sections: every ingress lane, egress lane and connector is
// one section, and vehicles keep their order within a section.
const (
	numIngress  = 8
	numEgress   = 8
	numMoves    = 12
	numSections = numIngress + numEgress + numMoves
)

func ingressSection(leg, k int) int { return leg*2 + k }
func egressSection(leg, k int) int  { return numIngress + leg*2 + k }
func connSection(move int) int      { return numIngress + numEgress + move }

// Movements of one approach, in movement-index order.
const (
	moveLeft = iota
	moveStraight
	moveRight
)

// movement is one path through the intersection: an ingress lane, a
// connector through the box and an egress lane.
type movement struct {
	leg       int
	maneuver  v2x.Maneuver
	group     uint8
	inLane    uint8 // MAP lane ids
	outLane   uint8
	sections  [3]int     // ingress, connector, egress
	secStart  [3]float64 // where each section starts along the path
	path      path       // from the far end of the ingress lane to the far end of the egress lane
	inEnd     float64    // the stop line, along the path
	connEnd   float64    // the start of the egress lane, along the path
	limits    []limit
	turnSpeed float64 // speed limit through the box
	conflicts []conflict
}

// limit caps the speed of a vehicle whose front is within [from, to]
// along its path.
type limit struct{ from, to, vmax float64 }

// conflict is where a movement's connector crosses a crosswalk: the front
// of a vehicle enters the crosswalk at s along the path and leaves it at
// exit, and the vehicle occupies [lo, hi] across the crosswalk.
type conflict struct {
	cw      int
	s, exit float64
	lo, hi  float64
}

// crosswalk is the crosswalk across one leg. Positions on it are "along"
// (across the leg, towards the ingress side positive) and "off" (offset
// from its centre line, outwards positive).
type crosswalk struct {
	leg    int
	lane   uint8
	group  uint8 // pedestrians walk during this group's green
	u, r   [2]float64
	centre float64
}

func (c *crosswalk) point(along, off float64) (e, n float64) {
	d := c.centre + off
	return c.u[0]*d + c.r[0]*along, c.u[1]*d + c.r[1]*along
}

func (c *crosswalk) coords(e, n float64) (along, off float64) {
	return e*c.r[0] + n*c.r[1], e*c.u[0] + n*c.u[1] - c.centre
}

// workZone is the road works the roadside unit reports: a stretch of one
// egress lane where vehicles slow down.
type workZone struct {
	leg, k   int     // egress lane
	from, to float64 // distance along the lane from the box
	vmax     float64
	radius   float64
}

var roadWorks = workZone{leg: 1, k: 1, from: 50, to: 80, vmax: 30 / 3.6, radius: 25}

// centre returns the centre of the work zone in ENU.
func (w *workZone) centre() (e, n float64) {
	return legPoint(w.leg, stopLine+(w.from+w.to)/2, -laneOffset(w.k))
}

// layout is the static geometry: lanes, movements and crosswalks.
type layout struct {
	legLen     float64
	lanes      []v2x.Lane // the MAP lanes
	moves      [numMoves]movement
	crosswalks [4]crosswalk
	secLane    [numSections]uint8 // MAP lane id of each section, 0 for connectors
}

func newLayout(legLen float64) *layout {
	l := &layout{legLen: legLen}
	for leg := range 4 {
		l.crosswalks[leg] = crosswalk{leg: leg, lane: laneID(leg, laneCrosswalk), group: throughGroup(leg + 1),
			u: legDir[leg], r: legSide(leg), centre: crosswalkCentre}
		for k := range 2 {
			l.secLane[ingressSection(leg, k)] = laneID(leg, laneIngressLeft+k)
			l.secLane[egressSection(leg, k)] = laneID(leg, laneEgressInner+k)
		}
	}
	for leg := range 4 {
		for m := range 3 {
			l.moves[leg*3+m] = l.newMovement(leg, m)
		}
	}
	l.lanes = l.buildLanes()
	return l
}

func (l *layout) newMovement(leg, m int) movement {
	var mv movement
	mv.leg = leg
	inK, outLeg := 1, (leg+2)%4
	switch m {
	case moveLeft:
		mv.maneuver, mv.group, inK, outLeg = v2x.ManeuverLeft, leftGroup(leg), 0, (leg+1)%4
	case moveStraight:
		mv.maneuver, mv.group = v2x.ManeuverStraight, throughGroup(leg)
	case moveRight:
		mv.maneuver, mv.group, outLeg = v2x.ManeuverRight, throughGroup(leg), (leg+3)%4
	}
	outK := inK // left turns go inner to inner, the others outer to outer
	mv.inLane = laneID(leg, laneIngressLeft+inK)
	mv.outLane = laneID(outLeg, laneEgressInner+outK)
	mv.sections = [3]int{ingressSection(leg, inK), connSection(leg*3 + m), egressSection(outLeg, outK)}

	fe, fn := legPoint(leg, stopLine+l.legLen, laneOffset(inK))
	se, sn := legPoint(leg, stopLine, laneOffset(inK))
	in := line(fe, fn, se, sn)
	ee, en := legPoint(outLeg, stopLine, -laneOffset(outK))
	xe, xn := legPoint(outLeg, stopLine+l.legLen, -laneOffset(outK))
	conn := arcBetween(se, sn, in.theta0, ee, en)
	out := line(ee, en, xe, xn)
	mv.path = newPath(in, conn, out)
	mv.inEnd = in.length
	mv.connEnd = in.length + conn.length
	mv.secStart = [3]float64{0, mv.inEnd, mv.connEnd}

	mv.turnSpeed = speedLimit
	if conn.k != 0 {
		mv.turnSpeed = math.Sqrt(turnLatAccel / math.Abs(conn.k))
		mv.limits = append(mv.limits, limit{from: mv.inEnd, to: mv.connEnd, vmax: mv.turnSpeed})
	}
	if outLeg == roadWorks.leg && outK == roadWorks.k {
		mv.limits = append(mv.limits, limit{from: mv.connEnd + roadWorks.from, to: mv.connEnd + roadWorks.to, vmax: roadWorks.vmax})
	}
	mv.conflicts = l.conflictsOf(&mv)
	return mv
}

// conflictsOf finds the crosswalks a movement's connector crosses.
func (l *layout) conflictsOf(mv *movement) []conflict {
	const step = 0.05
	const halfBody = 1.3 // half the width of a wide vehicle
	var out []conflict
	for cw := range l.crosswalks {
		c := &l.crosswalks[cw]
		found := false
		var cf conflict
		for s := mv.inEnd; s <= mv.connEnd; s += step {
			e, n, _, _ := mv.path.at(s)
			along, off := c.coords(e, n)
			if math.Abs(off) > crosswalkWidth/2 || math.Abs(along) > crosswalkHalfSpan {
				continue
			}
			if !found {
				found = true
				cf = conflict{cw: cw, s: s, lo: along, hi: along}
			}
			cf.lo, cf.hi, cf.exit = min(cf.lo, along), max(cf.hi, along), s
		}
		if found {
			cf.lo -= halfBody
			cf.hi += halfBody
			out = append(out, cf)
		}
	}
	return out
}

// buildLanes returns the MAP lanes: per approach the two ingress lanes, the
// two egress lanes and the crosswalk.
func (l *layout) buildLanes() []v2x.Lane {
	nodes := func(leg int, off float64) []v2x.Point {
		n := int(l.legLen/nodeSpacing) + 1
		ps := make([]v2x.Point, 0, n+1)
		for i := range n {
			e, nn := legPoint(leg, stopLine+float64(i)*nodeSpacing, off)
			ps = append(ps, v2x.Point{E: float32(e), N: float32(nn)})
		}
		if d := float64(n-1) * nodeSpacing; d < l.legLen {
			e, nn := legPoint(leg, stopLine+l.legLen, off)
			ps = append(ps, v2x.Point{E: float32(e), N: float32(nn)})
		}
		return ps
	}
	var lanes []v2x.Lane
	for leg := range 4 {
		approach := uint8(leg + 1)
		left := v2x.Lane{ID: laneID(leg, laneIngressLeft), Kind: v2x.LaneVehicle, Approach: approach, Ingress: true,
			Maneuvers: v2x.ManeuverLeft, Width: laneWidth, SpeedLimit: speedLimit, Nodes: nodes(leg, laneOffset(0))}
		straight := v2x.Lane{ID: laneID(leg, laneIngressStraight), Kind: v2x.LaneVehicle, Approach: approach, Ingress: true,
			Maneuvers: v2x.ManeuverStraight | v2x.ManeuverRight, Width: laneWidth, SpeedLimit: speedLimit, Nodes: nodes(leg, laneOffset(1))}
		for m := range 3 {
			mv := &l.moves[leg*3+m]
			c := v2x.Connection{ToLane: mv.outLane, SignalGroup: mv.group, Maneuver: mv.maneuver}
			if mv.inLane == left.ID {
				left.Connections = append(left.Connections, c)
			} else {
				straight.Connections = append(straight.Connections, c)
			}
		}
		lanes = append(lanes, left, straight)
		for k := range 2 {
			lanes = append(lanes, v2x.Lane{ID: laneID(leg, laneEgressInner+k), Kind: v2x.LaneVehicle, Approach: approach,
				Width: laneWidth, SpeedLimit: speedLimit, Nodes: nodes(leg, -laneOffset(k))})
		}
		c := &l.crosswalks[leg]
		e0, n0 := c.point(-crosswalkHalfSpan, 0)
		e1, n1 := c.point(crosswalkHalfSpan, 0)
		lanes = append(lanes, v2x.Lane{ID: c.lane, Kind: v2x.LaneCrosswalk, Approach: approach, Width: crosswalkWidth,
			Nodes: []v2x.Point{{E: float32(e0), N: float32(n0)}, {E: float32(e1), N: float32(n1)}}})
	}
	return lanes
}

// mapMessage returns a deep copy of the intersection MAP.
func (l *layout) mapMessage(refLat, refLon float64) v2x.Map {
	m := v2x.Map{IntersectionID: IntersectionID, RefLat: refLat, RefLon: refLon, RefElevation: elevation,
		Lanes: make([]v2x.Lane, len(l.lanes))}
	for i, ln := range l.lanes {
		ln.Nodes = append([]v2x.Point(nil), ln.Nodes...)
		ln.Connections = append([]v2x.Connection(nil), ln.Connections...)
		m.Lanes[i] = ln
	}
	return m
}

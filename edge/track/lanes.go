package track

import (
	"math"
	"slices"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// laneIndex holds the MAP's lanes as segments in the tracker's ENU frame,
// for map matching.
type laneIndex struct {
	segs []laneSeg
	// boxes bound each lane's segments (grown by its half width and the
	// 1 m allowance along): matchLane tests a lane's segments only when
	// the point is in its box, so a large MAP costs a track little more
	// than its lane count.
	boxes []laneBox
	spare []laneSeg // the next SetMap builds here, to compare with segs
}

// laneBox bounds segs[first:end], the segments of one lane.
type laneBox struct {
	minX, minY, maxX, maxY float64
	first, end             int
}

type laneSeg struct {
	lane, approach uint8
	kind           v2x.LaneKind
	ax, ay         float64 // start, in travel direction
	dx, dy         float64 // unit direction of travel
	length         float64
	halfWidth      float64
}

// laneRematchNS is how often a track's lane is recomputed.
const laneRematchNS = 200e6

// SetMap installs the MAP's lanes. toFrame converts a point given in the
// MAP's own east/north offsets to the tracker's ENU frame. A MAP whose
// lane geometry in the tracker's frame is the one installed (the same MAP
// re-sent, or one that changed only attributes map matching does not use)
// keeps every track's lane; a changed one has every track re-matched.
func (tr *Tracker) SetMap(m *v2x.Map, toFrame func(e, n float64) (float64, float64)) {
	li := &tr.lanes
	segs := li.spare[:0]
	for i := range m.Lanes {
		l := &m.Lanes[i]
		for k := 0; k+1 < len(l.Nodes); k++ {
			// Nodes run from the stop line outwards: ingress traffic moves
			// from node k+1 to node k, egress from k to k+1.
			a, b := l.Nodes[k], l.Nodes[k+1]
			if l.Ingress {
				a, b = b, a
			}
			ax, ay := toFrame(float64(a.E), float64(a.N))
			bx, by := toFrame(float64(b.E), float64(b.N))
			dx, dy := bx-ax, by-ay
			d := math.Hypot(dx, dy)
			if d < 0.01 {
				continue
			}
			segs = append(segs, laneSeg{lane: l.ID, approach: l.Approach, kind: l.Kind,
				ax: ax, ay: ay, dx: dx / d, dy: dy / d, length: d, halfWidth: float64(l.Width) / 2})
		}
	}
	if slices.Equal(segs, li.segs) {
		li.spare = segs
		return
	}
	li.spare, li.segs = li.segs[:0], segs
	li.boxes = li.boxes[:0]
	for first := 0; first < len(segs); {
		end := first + 1
		for end < len(segs) && segs[end].lane == segs[first].lane {
			end++
		}
		li.boxes = append(li.boxes, boxOf(segs[:end], first))
		first = end
	}
	for i := range tr.tracks {
		tr.tracks[i].laneAt = 0
	}
}

// matchLane returns the lane and approach the point lies on, moving with
// velocity (ve, vn), or zeros. Vehicles match vehicle lanes in their
// direction of travel; pedestrians crosswalks, in either direction.
func (li *laneIndex) matchLane(c v2x.Class, e, n, ve, vn float64) (lane, approach uint8) {
	best := math.Inf(1)
	speed := math.Hypot(ve, vn)
	ped := c == v2x.ClassPedestrian
	for b := range li.boxes {
		bx := &li.boxes[b]
		if e < bx.minX || e > bx.maxX || n < bx.minY || n > bx.maxY {
			continue
		}
		for i := bx.first; i < bx.end; i++ {
			if l, a, d, ok := li.segs[i].match(ped, e, n, ve, vn, speed); ok && d < best {
				best, lane, approach = d, l, a
			}
		}
	}
	return lane, approach
}

// boxOf bounds segs[first:]: every point a segment can match lies inside.
func boxOf(segs []laneSeg, first int) laneBox {
	b := laneBox{minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1), first: first, end: len(segs)}
	for i := first; i < len(segs); i++ {
		s := &segs[i]
		r := s.halfWidth + 0.5 + 1 // across, plus the 1 m allowed along
		for _, p := range [2][2]float64{{s.ax, s.ay}, {s.ax + s.dx*s.length, s.ay + s.dy*s.length}} {
			b.minX, b.maxX = min(b.minX, p[0]-r), max(b.maxX, p[0]+r)
			b.minY, b.maxY = min(b.minY, p[1]-r), max(b.maxY, p[1]+r)
		}
	}
	return b
}

// match reports whether the point (moving with (ve, vn), speed its norm)
// lies on segment s, and how far across it.
func (s *laneSeg) match(ped bool, e, n, ve, vn, speed float64) (lane, approach uint8, across float64, ok bool) {
	if ped != (s.kind == v2x.LaneCrosswalk) {
		return 0, 0, 0, false
	}
	px, py := e-s.ax, n-s.ay
	along := px*s.dx + py*s.dy
	if along < -1 || along > s.length+1 {
		return 0, 0, 0, false
	}
	across = math.Abs(px*s.dy - py*s.dx)
	if across > s.halfWidth+0.5 {
		return 0, 0, 0, false
	}
	if !ped && speed > 1 && (ve*s.dx+vn*s.dy)/speed < 0.7 { // more than ~45° off the lane
		return 0, 0, 0, false
	}
	return s.lane, s.approach, across, true
}

// MatchLanes refreshes the lane of every confirmed track whose match is
// older than laneRematchNS.
func (tr *Tracker) MatchLanes(now int64) {
	for i := range tr.tracks {
		tr.MatchLane(&tr.tracks[i], now)
	}
}

// MatchLane refreshes the lane of track t (one of Tracks) if it is
// confirmed and its match is older than laneRematchNS: callers that walk
// the tracks anyway (to publish them) match them on the way.
func (tr *Tracker) MatchLane(t *Track, now int64) {
	if !t.Confirmed || now-t.laneAt < laneRematchNS || len(tr.lanes.segs) == 0 {
		return
	}
	e, n, ve, vn := t.At(now)
	t.Lane, t.Approach = tr.lanes.matchLane(t.Class, e, n, ve, vn)
	t.laneAt = now
}

// Reframe moves every track into a new ENU frame; conv maps a point of the
// old frame to the new one. Velocities are kept: frames about nearby
// reference points differ by a negligible rotation.
func (tr *Tracker) Reframe(conv func(e, n float64) (float64, float64)) {
	for i := range tr.tracks {
		t := &tr.tracks[i]
		t.f.x[0], t.f.x[1] = conv(t.f.x[0], t.f.x[1])
		t.anchorE, t.anchorN = conv(t.anchorE, t.anchorN)
		t.laneAt = 0
		if tr.cfg.ExactOOSM {
			tr.histReset(i) // its history is in the old frame
		}
	}
	tr.g.invalidate()
	tr.lanes.segs = tr.lanes.segs[:0]
	tr.lanes.boxes = tr.lanes.boxes[:0]
}

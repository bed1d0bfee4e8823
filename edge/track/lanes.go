package track

import (
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// laneIndex holds the MAP's lanes as segments in the tracker's ENU frame,
// for map matching.
type laneIndex struct {
	segs []laneSeg
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
// MAP's own east/north offsets to the tracker's ENU frame.
func (tr *Tracker) SetMap(m *v2x.Map, toFrame func(e, n float64) (float64, float64)) {
	tr.lanes.segs = tr.lanes.segs[:0]
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
			tr.lanes.segs = append(tr.lanes.segs, laneSeg{lane: l.ID, approach: l.Approach, kind: l.Kind,
				ax: ax, ay: ay, dx: dx / d, dy: dy / d, length: d, halfWidth: float64(l.Width) / 2})
		}
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
	for i := range li.segs {
		s := &li.segs[i]
		ped := c == v2x.ClassPedestrian
		if ped != (s.kind == v2x.LaneCrosswalk) {
			continue
		}
		px, py := e-s.ax, n-s.ay
		along := px*s.dx + py*s.dy
		if along < -1 || along > s.length+1 {
			continue
		}
		across := math.Abs(px*s.dy - py*s.dx)
		if across > s.halfWidth+0.5 {
			continue
		}
		if !ped && speed > 1 && (ve*s.dx+vn*s.dy)/speed < 0.7 { // more than ~45° off the lane
			continue
		}
		if across < best {
			best, lane, approach = across, s.lane, s.approach
		}
	}
	return lane, approach
}

// MatchLanes refreshes the lane of every confirmed track whose match is
// older than laneRematchNS.
func (tr *Tracker) MatchLanes(now int64) {
	if len(tr.lanes.segs) == 0 {
		return
	}
	for i := range tr.tracks {
		t := &tr.tracks[i]
		if !t.Confirmed || now-t.laneAt < laneRematchNS {
			continue
		}
		e, n, ve, vn := t.At(now)
		t.Lane, t.Approach = tr.lanes.matchLane(t.Class, e, n, ve, vn)
		t.laneAt = now
	}
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
	}
	tr.lanes.segs = tr.lanes.segs[:0]
}

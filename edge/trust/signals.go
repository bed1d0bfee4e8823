package trust

import (
	"hash/fnv"
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// group is the accepted state of one signal group.
type group struct {
	state  v2x.LightState
	minEnd int64 // absolute node time; 0 unknown
	t      int64 // capture time of the SPAT
	yellow bool  // the plan has yellow for this group (seen once)
	ok     bool
	stream uint64 // the stream of the SPAT
}

// spatRestart is how long a signal stream must have been silent for
// another stream's SPAT to start the signal state afresh instead of
// continuing it: a controller that restarts or reconnects comes on a new
// stream, and nothing says what its signals did in between (a sweep of
// seeds against one node: each seed's controller a new stream, its plan
// unrelated to the last seed's). SPATs come at 10 Hz: two from another
// stream within this of the last are two controllers at once, and judged.
const spatRestart = int64(300e6)

// signals is the signal state the checks compare each SPAT with, and the
// conflicts between signal groups derived from the MAP.
type signals struct {
	groups    [256]group
	conflicts [256][4]uint64 // bit set of the groups each group conflicts with
	green     [4]uint64      // scratch
}

func isGreen(s v2x.LightState) bool { return s == v2x.LightGreen || s == v2x.LightGreenPermissive }

// SPAT checks the phases of one SPAT of a source, captured at t (node
// clock), against the accepted signal state; it reports whether the SPAT
// may replace the signal state. A SPAT from a quarantined source, or with
// a finding, is refused.
func (m *Monitor) SPAT(stream uint64, t, ingest int64, phases []v2x.Phase) bool {
	src := m.source(stream, ingest)
	if src.quarantined {
		m.C.Refused++
		return false
	}
	sg := &m.sig
	clear(sg.green[:])
	for i := range phases {
		if phases[i].State == v2x.LightGreen { // protected green only: permissive movements may cross
			sg.green[phases[i].ID/64] |= 1 << (phases[i].ID % 64)
		}
	}
	tol := int64(m.cfg.SignalTolerance)
	bad, val := wire.CheckNone, 0.0
	for i := range phases {
		p := &phases[i]
		c := &sg.conflicts[p.ID]
		if p.State == v2x.LightGreen && (c[0]&sg.green[0]|c[1]&sg.green[1]|c[2]&sg.green[2]|c[3]&sg.green[3]) != 0 {
			bad, val = wire.CheckConflictingGreen, float64(p.ID)
			break
		}
		g := &sg.groups[p.ID]
		if !g.ok || t <= g.t || t-g.t > 2e9 || g.stream != stream && t-g.t > spatRestart {
			continue
		}
		minEnd := absTime(t, p.MinEnd)
		switch {
		case p.State != g.state && g.minEnd != 0 && t < g.minEnd-tol:
			bad, val = wire.CheckPhaseSequence, float64(p.ID) // changed before its announced minimum end
		case p.State != g.state && isGreen(g.state) && p.State == v2x.LightRed && g.yellow:
			bad, val = wire.CheckPhaseSequence, float64(p.ID) // green to red without yellow
		case p.State == g.state && g.minEnd != 0 && minEnd != 0 && minEnd < g.minEnd-tol:
			bad, val = wire.CheckMinEndBackwards, float64(g.minEnd-minEnd)/1e6
		}
		if bad != wire.CheckNone {
			break
		}
	}
	if bad != wire.CheckNone {
		m.C.Refused++
		m.find(Finding{Check: bad, Type: wire.TypeSPAT, Stream: stream, TimeNS: t, E: nan, N: nan, Value: val})
		return false
	}
	for i := range phases {
		p := &phases[i]
		g := &sg.groups[p.ID]
		y := g.yellow || p.State == v2x.LightYellow
		*g = group{state: p.State, minEnd: absTime(t, p.MinEnd), t: t, yellow: y, ok: true, stream: stream}
	}
	return true
}

// absTime converts a SPAT time (ms after the capture time t) to node time;
// 0 when unknown.
func absTime(t int64, ms int32) int64 {
	if ms == v2x.TimeUnknown {
		return 0
	}
	return t + int64(ms)*1e6
}

// Map checks a MAP from a source at node time t and reports whether it
// may replace the node's MAP. The first MAP is taken; after that a MAP
// whose content differs is a finding and refused: the model carries no
// revision, so any geometry change of the intersection mid-run needs an
// operator (a restart with the new MAP). A quarantined source's MAP is
// refused.
func (m *Monitor) Map(mp *v2x.Map, stream uint64, t int64) bool {
	src := m.source(stream, t)
	if src.quarantined {
		m.C.Refused++
		return false
	}
	sum := mapSum(mp)
	switch {
	case !m.hasMap:
		m.hasMap, m.mapSum = true, sum
		return true
	case sum == m.mapSum:
		return true
	}
	m.C.Refused++
	m.find(Finding{Check: wire.CheckMapChange, Type: wire.TypeMAP, Stream: stream, LocalID: uint64(mp.IntersectionID),
		TimeNS: t, E: nan, N: nan})
	return false
}

// SetMap takes an accepted MAP's geometry (proj converts its offsets into
// the current ENU frame) and derives the conflicting signal groups.
func (m *Monitor) SetMap(mp *v2x.Map, proj func(e, n float64) (float64, float64)) {
	m.road.set(mp, proj)
	m.sig.conflicts = conflicts(mp)
}

// conflicts derives, from the MAP's lane connections, which signal groups
// must never be green together: two connections from different approaches
// whose paths (stop line to the egress lane's start) cross, or which lead
// into the same egress lane.
func conflicts(mp *v2x.Map) (c [256][4]uint64) {
	type path struct {
		ae, an, be, bn float64
		approach, to   uint8
		group          uint8
	}
	byID := make(map[uint8]*v2x.Lane, len(mp.Lanes))
	for i := range mp.Lanes {
		byID[mp.Lanes[i].ID] = &mp.Lanes[i]
	}
	var ps []path
	for i := range mp.Lanes {
		l := &mp.Lanes[i]
		if len(l.Nodes) == 0 {
			continue
		}
		for _, cn := range l.Connections {
			to, ok := byID[cn.ToLane]
			if !ok || len(to.Nodes) == 0 || cn.SignalGroup == 0 {
				continue
			}
			ps = append(ps, path{float64(l.Nodes[0].E), float64(l.Nodes[0].N), float64(to.Nodes[0].E), float64(to.Nodes[0].N),
				l.Approach, cn.ToLane, cn.SignalGroup})
		}
	}
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			a, b := &ps[i], &ps[j]
			if a.group == b.group || a.approach == b.approach {
				continue
			}
			if a.to == b.to || cross(a.ae, a.an, a.be, a.bn, b.ae, b.an, b.be, b.bn) {
				c[a.group][b.group/64] |= 1 << (b.group % 64)
				c[b.group][a.group/64] |= 1 << (a.group % 64)
			}
		}
	}
	return c
}

// cross reports whether segments a-b and c-d properly intersect.
func cross(ax, ay, bx, by, cx, cy, dx, dy float64) bool {
	o := func(px, py, qx, qy, rx, ry float64) float64 { return (qx-px)*(ry-py) - (qy-py)*(rx-px) }
	d1, d2 := o(cx, cy, dx, dy, ax, ay), o(cx, cy, dx, dy, bx, by)
	d3, d4 := o(ax, ay, bx, by, cx, cy), o(ax, ay, bx, by, dx, dy)
	return d1*d2 < 0 && d3*d4 < 0
}

// mapSum hashes a MAP's content.
func mapSum(mp *v2x.Map) uint64 {
	h := fnv.New64a()
	var b [8]byte
	put := func(v uint64) {
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
		h.Write(b[:])
	}
	put(uint64(mp.IntersectionID))
	put(math.Float64bits(mp.RefLat))
	put(math.Float64bits(mp.RefLon))
	for i := range mp.Lanes {
		l := &mp.Lanes[i]
		put(uint64(l.ID) | uint64(l.Kind)<<8 | uint64(l.Approach)<<16 | uint64(l.Maneuvers)<<24 | uint64(math.Float32bits(l.Width))<<32)
		if l.Ingress {
			put(1)
		}
		put(uint64(math.Float32bits(l.SpeedLimit)))
		for _, p := range l.Nodes {
			put(uint64(math.Float32bits(p.E)) | uint64(math.Float32bits(p.N))<<32)
		}
		for _, cn := range l.Connections {
			put(uint64(cn.ToLane) | uint64(cn.SignalGroup)<<8 | uint64(cn.Maneuver)<<16)
		}
	}
	return h.Sum64()
}

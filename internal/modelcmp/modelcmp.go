// Package modelcmp compares the node's MAP and SPAT models within a
// standard encoding's precision, for the round-trip tests of the csae53
// and j2735 conversions, and the fixtures they start from (the simulated
// MAP, straight lanes).
package modelcmp

import (
	"fmt"
	"math"
	"strings"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// MapTol is the precision a comparison allows.
type MapTol struct {
	Pos        float64 // metres, each of E and N, and for the reference point
	Width      float64 // metres
	SpeedLimit float64 // m/s
}

// MapDiff describes how got differs from want beyond tol, or returns "".
// Lanes are matched by id, so their order does not matter.
func MapDiff(got, want *v2x.Map, tol MapTol) string {
	var d []string
	add := func(format string, a ...any) { d = append(d, fmt.Sprintf(format, a...)) }
	if got.IntersectionID != want.IntersectionID {
		add("intersection %#x, want %#x", got.IntersectionID, want.IntersectionID)
	}
	const mPerDeg = 111_320.0
	if math.Abs(got.RefLat-want.RefLat)*mPerDeg > tol.Pos || math.Abs(got.RefLon-want.RefLon)*mPerDeg > tol.Pos {
		add("reference %.8f,%.8f, want %.8f,%.8f", got.RefLat, got.RefLon, want.RefLat, want.RefLon)
	}
	if math.Abs(float64(got.RefElevation-want.RefElevation)) > 0.05+1e-6 {
		add("elevation %v, want %v", got.RefElevation, want.RefElevation)
	}
	if len(got.Lanes) != len(want.Lanes) {
		add("%d lanes, want %d", len(got.Lanes), len(want.Lanes))
	}
	byID := map[uint8]*v2x.Lane{}
	for i := range got.Lanes {
		byID[got.Lanes[i].ID] = &got.Lanes[i]
	}
	for i := range want.Lanes {
		w := &want.Lanes[i]
		g := byID[w.ID]
		if g == nil {
			add("lane %d missing", w.ID)
			continue
		}
		if g.Kind != w.Kind || g.Approach != w.Approach || g.Ingress != w.Ingress || g.Maneuvers != w.Maneuvers {
			add("lane %d: kind %d approach %d ingress %v maneuvers %04b, want %d %d %v %04b", w.ID,
				g.Kind, g.Approach, g.Ingress, g.Maneuvers, w.Kind, w.Approach, w.Ingress, w.Maneuvers)
		}
		if math.Abs(float64(g.Width-w.Width)) > tol.Width || math.Abs(float64(g.SpeedLimit-w.SpeedLimit)) > tol.SpeedLimit {
			add("lane %d: width %v speed limit %v, want %v %v", w.ID, g.Width, g.SpeedLimit, w.Width, w.SpeedLimit)
		}
		if len(g.Nodes) != len(w.Nodes) {
			add("lane %d: %d nodes, want %d", w.ID, len(g.Nodes), len(w.Nodes))
		} else {
			for k := range w.Nodes {
				if math.Abs(float64(g.Nodes[k].E-w.Nodes[k].E)) > tol.Pos || math.Abs(float64(g.Nodes[k].N-w.Nodes[k].N)) > tol.Pos {
					add("lane %d node %d: %v, want %v", w.ID, k, g.Nodes[k], w.Nodes[k])
				}
			}
		}
		if len(g.Connections) != len(w.Connections) {
			add("lane %d: connections %v, want %v", w.ID, g.Connections, w.Connections)
		} else {
			for k := range w.Connections {
				if g.Connections[k] != w.Connections[k] {
					add("lane %d connection %d: %+v, want %+v", w.ID, k, g.Connections[k], w.Connections[k])
				}
			}
		}
	}
	return strings.Join(d, "; ")
}

// SPATDiff describes how got differs from want beyond timeTol
// milliseconds, or returns "". conf maps a wanted confidence to the one
// the encoding carries (nil: the same).
func SPATDiff(got, want *v2x.SPAT, timeTol int32, conf func(uint8) uint8) string {
	var d []string
	add := func(format string, a ...any) { d = append(d, fmt.Sprintf(format, a...)) }
	if got.IntersectionID != want.IntersectionID {
		add("intersection %#x, want %#x", got.IntersectionID, want.IntersectionID)
	}
	if len(got.Phases) != len(want.Phases) {
		add("%d phases, want %d", len(got.Phases), len(want.Phases))
		return strings.Join(d, "; ")
	}
	time := func(g, w int32) bool {
		if g == v2x.TimeUnknown || w == v2x.TimeUnknown {
			return g == w
		}
		return max(g-w, w-g) <= timeTol
	}
	for i := range want.Phases {
		g, w := &got.Phases[i], &want.Phases[i]
		c := w.Confidence
		if conf != nil {
			c = conf(c)
		}
		if g.ID != w.ID || g.State != w.State || g.Confidence != c || !time(g.Start, w.Start) || !time(g.MinEnd, w.MinEnd) ||
			!time(g.LikelyEnd, w.LikelyEnd) || !time(g.MaxEnd, w.MaxEnd) {
			add("phase %d: %s, want %s (confidence %d)", i, phase(g), phase(w), c)
		}
	}
	return strings.Join(d, "; ")
}

func phase(p *v2x.Phase) string {
	t := func(v int32) string {
		if v == v2x.TimeUnknown {
			return "?"
		}
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("{id %d %v conf %d start %s min %s likely %s max %s}", p.ID, p.State, p.Confidence,
		t(p.Start), t(p.MinEnd), t(p.LikelyEnd), t(p.MaxEnd))
}

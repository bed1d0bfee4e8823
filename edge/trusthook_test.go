package edge

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// twoGroupMap has group 1 (north-south) and group 3 (east-west) crossing.
func twoGroupMap() *v2x.Map {
	lane := func(id, appr uint8, in bool, e, n float32, conns ...v2x.Connection) v2x.Lane {
		return v2x.Lane{ID: id, Kind: v2x.LaneVehicle, Approach: appr, Ingress: in, Width: 3.5,
			Nodes: []v2x.Point{{E: e, N: n}, {E: e * 10, N: n * 10}}, Connections: conns}
	}
	return &v2x.Map{IntersectionID: 3, RefLat: refLat, RefLon: refLon, Lanes: []v2x.Lane{
		lane(1, 1, true, 1.75, 15, v2x.Connection{ToLane: 6, SignalGroup: 1}),
		lane(3, 2, true, 15, -1.75, v2x.Connection{ToLane: 8, SignalGroup: 3}),
		lane(6, 3, false, 1.75, -15),
		lane(8, 4, false, -15, -1.75),
	}}
}

// A forged all-green SPAT from a second source never replaces the signal
// state, is counted as a finding, and reaches an event subscriber; a
// swapped MAP is refused.
func TestWorldRefusesForgedSignalsAndMap(t *testing.T) {
	w, in, hub := testWorld(t, FusionTrack)
	q := newEventQueue()
	hub.events.add(q)
	now := clock.Now()
	in.putMap(twoGroupMap(), nil, 1)
	honest := spatUpdate{TimeNS: now, IntersectionID: 3, N: 2, Stream: 1}
	honest.Phases[0] = v2x.Phase{ID: 1, State: v2x.LightGreen, MinEnd: 5000, LikelyEnd: 5000, MaxEnd: v2x.TimeUnknown}
	honest.Phases[1] = v2x.Phase{ID: 3, State: v2x.LightRed, MinEnd: 10000, LikelyEnd: 10000, MaxEnd: v2x.TimeUnknown}
	in.putSPAT(&honest)
	w.cycle(now)

	forged := honest
	forged.Stream, forged.TimeNS = 2, now+1e6
	forged.Phases[1].State = v2x.LightGreen
	in.putSPAT(&forged)
	w.cycle(now + 2e6)
	swapped := twoGroupMap()
	swapped.Lanes[0].Nodes[1].E += 100
	in.putMap(swapped, nil, 3)
	w.cycle(now + 3e6)

	s := hub.Acquire()
	for _, g := range s.Signals {
		if g.Phase == 3 && g.State != v2x.LightRed {
			t.Errorf("forged green broadcast: %+v", g)
		}
	}
	hub.Release(s)
	if w.mapData.Lanes[0].Nodes[1] != twoGroupMap().Lanes[0].Nodes[1] {
		t.Error("swapped MAP replaced the intersection")
	}
	if n := testutil.ToFloat64(w.m.trust.findings[wire.CheckConflictingGreen]); n != 1 {
		t.Errorf("%v conflicting_green findings, want 1", n)
	}
	if n := testutil.ToFloat64(w.m.trust.findings[wire.CheckMapChange]); n != 1 {
		t.Errorf("%v map_change findings, want 1", n)
	}
	var checks []wire.Check
	for len(q.c) > 0 {
		ev := <-q.c
		if ev.Stream != 2 && ev.Stream != 3 {
			t.Errorf("event against stream %d, want 2 or 3", ev.Stream)
		}
		checks = append(checks, ev.Check)
	}
	if len(checks) != 4 || checks[0] != wire.CheckConflictingGreen || checks[2] != wire.CheckMapChange {
		t.Errorf("events %v, want conflicting_green and map_change, each with a quarantine", checks)
	}
}

package trust

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// crossMap is a four-leg intersection: north-south through movements on
// signal group 1, east-west on group 3, crossing in the box.
func crossMap() *v2x.Map {
	lane := func(id, appr uint8, in bool, e, n float32, conns ...v2x.Connection) v2x.Lane {
		return v2x.Lane{ID: id, Kind: v2x.LaneVehicle, Approach: appr, Ingress: in, Width: 3.5,
			Nodes: []v2x.Point{{E: e, N: n}, {E: e * 10, N: n * 10}}, Connections: conns}
	}
	return &v2x.Map{IntersectionID: 5, RefLat: 30, RefLon: 120, Lanes: []v2x.Lane{
		lane(1, 1, true, 1.75, 15, v2x.Connection{ToLane: 6, SignalGroup: 1}), // from the north, southbound
		lane(2, 1, false, -1.75, 15),
		lane(3, 2, true, 15, -1.75, v2x.Connection{ToLane: 8, SignalGroup: 3}), // from the east, westbound
		lane(4, 2, false, 15, 1.75),
		lane(5, 3, true, -1.75, -15, v2x.Connection{ToLane: 2, SignalGroup: 1}),
		lane(6, 3, false, 1.75, -15),
		lane(7, 4, true, -15, 1.75, v2x.Connection{ToLane: 4, SignalGroup: 3}),
		lane(8, 4, false, -15, -1.75),
	}}
}

type spat struct {
	stream uint64
	t      int64 // ms
	states [2]v2x.LightState
	minEnd [2]int32 // ms after t
}

func (s spat) phases() []v2x.Phase {
	return []v2x.Phase{{ID: 1, State: s.states[0], MinEnd: s.minEnd[0], MaxEnd: v2x.TimeUnknown, LikelyEnd: v2x.TimeUnknown},
		{ID: 3, State: s.states[1], MinEnd: s.minEnd[1], MaxEnd: v2x.TimeUnknown, LikelyEnd: v2x.TimeUnknown}}
}

const (
	red, yellow, green = v2x.LightRed, v2x.LightYellow, v2x.LightGreen
)

// plan returns an honest fixed-time controller's SPATs every 100 ms from
// t0 (ms) for n messages: group 1 green 10 s, yellow 3 s, all red 2 s, then
// group 3 the same.
func plan(stream uint64, t0 int64, n int) []spat {
	const g, y, r = 10000, 3000, 2000
	cycle := int64(2 * (g + y + r))
	out := make([]spat, n)
	for i := range out {
		t := t0 + int64(i)*100
		var s spat
		s.stream, s.t = stream, t
		for k, off := range []int64{0, g + y + r} {
			c := ((t-off)%cycle + cycle) % cycle
			switch {
			case c < g:
				s.states[k], s.minEnd[k] = green, int32(g-c)
			case c < g+y:
				s.states[k], s.minEnd[k] = yellow, int32(g+y-c)
			default:
				s.states[k], s.minEnd[k] = red, int32(cycle-c)
			}
		}
		out[i] = s
	}
	return out
}

func TestSignalChecks(t *testing.T) {
	cases := []struct {
		name string
		seq  []spat
		want wire.Check
	}{
		{"honest plan, two cycles", plan(1, 0, 600), wire.CheckNone},
		{"both greens", []spat{{1, 0, [2]v2x.LightState{green, green}, [2]int32{5000, 5000}}}, wire.CheckConflictingGreen},
		{"fake green before the red's end", append(plan(1, 0, 20), spat{2, 2000, [2]v2x.LightState{green, green}, [2]int32{5000, 5000}}), wire.CheckConflictingGreen},
		{"red approach turned green early", append(plan(1, 10000, 40), spat{2, 14100, [2]v2x.LightState{yellow, green}, [2]int32{2000, 5000}}), wire.CheckPhaseSequence},
		{"green to red without yellow", append(plan(1, 0, 160), spat{1, 16000, [2]v2x.LightState{red, red}, [2]int32{14000, 1000}}), wire.CheckPhaseSequence},
		{"another stream 600 ms after the last fell silent: a restart", append(plan(1, 0, 20), spat{2, 2500, [2]v2x.LightState{red, green}, [2]int32{5000, 5000}}), wire.CheckNone},
		{"the same stream 600 ms later", append(plan(1, 0, 20), spat{1, 2500, [2]v2x.LightState{red, green}, [2]int32{5000, 5000}}), wire.CheckPhaseSequence},
		{"min end backwards", append(plan(1, 0, 20), spat{1, 2000, [2]v2x.LightState{green, red}, [2]int32{1000, 13000}}), wire.CheckMinEndBackwards},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Config{})
			mp := crossMap()
			m.Map(mp, 9, 0)
			m.SetMap(mp, func(e, n float64) (float64, float64) { return e, n })
			got := wire.CheckNone
			for _, s := range tc.seq {
				ok := m.SPAT(s.stream, s.t*1e6, s.t*1e6, s.phases())
				if fs := m.Drain(); len(fs) > 0 {
					got = fs[0].Check
					if ok {
						t.Error("SPAT with a finding accepted")
					}
					break
				}
			}
			if got != tc.want {
				t.Errorf("finding %s, want %s", got, tc.want)
			}
		})
	}
}

func TestMapChangeRefused(t *testing.T) {
	m := New(Config{})
	a := crossMap()
	if !m.Map(a, 1, 0) || !m.Map(crossMap(), 1, 1e9) {
		t.Fatal("first MAP or its repetition refused")
	}
	b := crossMap()
	b.Lanes[0].Nodes[1].E += 50
	if m.Map(b, 2, 2e9) {
		t.Fatal("changed MAP accepted")
	}
	if fs := m.Drain(); len(fs) == 0 || fs[0].Check != wire.CheckMapChange || fs[0].Stream != 2 {
		t.Fatalf("findings %+v, want map_change against stream 2", fs)
	}
	if !m.Map(crossMap(), 1, 3e9) {
		t.Fatal("the original MAP refused after a swap attempt")
	}
}

// A producer that sends only SPATs and MAPs is judged by its identity
// (Own): quarantined for a forged green on one stream, its SPATs and MAPs
// on the stream it reconnects on are refused too; another identity's are
// not, and without an identity the stream is the source.
func TestSignalTrustFollowsIdentity(t *testing.T) {
	m := New(Config{})
	mp := crossMap()
	m.Map(mp, 9, 0)
	m.SetMap(mp, func(e, n float64) (float64, float64) { return e, n })
	const forger, honest = 0x1234, 0x5678
	m.Own(2, forger, 1e9)
	if m.SPAT(2, 1e9, 1e9, spat{2, 1000, [2]v2x.LightState{green, green}, [2]int32{5000, 5000}}.phases()) {
		t.Fatal("conflicting greens accepted")
	}
	if !m.Quarantined(2) {
		t.Fatal("one conflicting-green finding did not quarantine")
	}
	m.Drain()
	// Reconnected on stream 7: the same identity, still quarantined.
	m.Own(7, forger, 2e9)
	if !m.Quarantined(7) || m.SPAT(7, 2e9, 2e9, plan(7, 2000, 1)[0].phases()) || m.Map(crossMap(), 7, 2e9) {
		t.Fatal("the quarantined identity's new stream was believed")
	}
	m.Own(8, honest, 2e9)
	if m.Quarantined(8) || !m.SPAT(8, 2.1e9, 2.1e9, plan(8, 2100, 1)[0].phases()) {
		t.Fatal("another identity's SPAT refused")
	}
	if m.Quarantined(11) || !m.SPAT(11, 2.2e9, 2.2e9, plan(11, 2200, 1)[0].phases()) {
		t.Fatal("an anonymous stream's SPAT refused")
	}
}

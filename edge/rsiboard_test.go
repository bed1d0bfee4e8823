package edge

import (
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func eventIDs(s *rsiSet) []uint16 {
	var ids []uint16
	for _, e := range s.events {
		ids = append(ids, e.ID)
	}
	return ids
}

// TestRSIBoard: the published set holds the events active now, highest
// priority first, over the latest RSI of each RSU; start and end are
// honoured; a repeated RSI (validity times moved by clock-correction
// jitter) changes nothing; an RSU silent for rsiHold loses its events.
func TestRSIBoard(t *testing.T) {
	const s = int64(time.Second)
	t0 := int64(1_800_000_000) * s
	a := &v2x.RSI{RSUID: 7, Events: []v2x.RoadEvent{
		{ID: 1, Priority: 2},                                 // open
		{ID: 2, Priority: 6, StartNS: t0 + 2*s},              // starts at 2 s
		{ID: 3, Priority: 4, EndNS: t0 + 3*s},                // ends at 3 s
		{ID: 4, Priority: 4, StartNS: t0 + s, EndNS: t0 + s}, // empty window: never active
	}}
	b := &v2x.RSI{RSUID: 3, Events: []v2x.RoadEvent{{ID: 9, Priority: 7, Kind: v2x.KindSign}}}
	var board rsiBoard
	board.update(nil, t0)
	if set := board.load(); set == nil || len(set.events) != 0 {
		t.Fatalf("first set %+v, want empty", set)
	}
	gen := board.load().gen
	steps := []struct {
		at   int64
		in   []*v2x.RSI
		want []uint16
		new  bool // a new generation
	}{
		{t0, []*v2x.RSI{a}, []uint16{3, 1}, true},
		{t0 + s/2, nil, []uint16{3, 1}, false},
		{t0 + s, []*v2x.RSI{b}, []uint16{9, 3, 1}, true},
		{t0 + 2*s, nil, []uint16{9, 2, 3, 1}, true},
		{t0 + 3*s, nil, []uint16{9, 2, 1}, true},
		{t0 + 3*s + s/2, []*v2x.RSI{jitter(a, 5*int64(time.Millisecond))}, []uint16{9, 2, 1}, false},
		{t0 + 4*s, []*v2x.RSI{{RSUID: 7}}, []uint16{9}, true}, // RSU 7 withdraws its events
		{t0 + s + int64(rsiHold), nil, []uint16{}, true},      // RSU 3 silent since t0+1 s
		{t0 + 5*s + int64(rsiHold), nil, []uint16{}, false},
	}
	for i, st := range steps {
		board.update(st.in, st.at)
		set := board.load()
		got := eventIDs(set)
		if len(got) != len(st.want) {
			t.Errorf("step %d: events %v, want %v", i, got, st.want)
			continue
		}
		for k := range got {
			if got[k] != st.want[k] {
				t.Errorf("step %d: events %v, want %v", i, got, st.want)
				break
			}
		}
		if (set.gen != gen) != st.new {
			t.Errorf("step %d: generation %d after %d, new generation wanted: %v", i, set.gen, gen, st.new)
		}
		gen = set.gen
	}
	allocs := testing.AllocsPerRun(100, func() { board.update(nil, t0+6*s+int64(rsiHold)) })
	if allocs != 0 {
		t.Errorf("an unchanged cycle allocates %.1f times", allocs)
	}
}

func jitter(r *v2x.RSI, d int64) *v2x.RSI {
	c := &v2x.RSI{RSUID: r.RSUID, Events: append([]v2x.RoadEvent(nil), r.Events...)}
	for i := range c.Events {
		if c.Events[i].StartNS != 0 {
			c.Events[i].StartNS += d
		}
		if c.Events[i].EndNS != 0 {
			c.Events[i].EndNS -= d
		}
	}
	return c
}

// TestRegionTouches: an event touches a region when its zone and the
// region's circle overlap; radius 0 or no reference point is everything.
func TestRegionTouches(t *testing.T) {
	f := geo.NewFrame(22.5431, 114.0579, 0)
	at := func(e, n float64, r float32) *v2x.RoadEvent {
		lat, lon, _ := f.FromENU(e, n, 0)
		return &v2x.RoadEvent{Lat: lat, Lon: lon, Radius: r}
	}
	snap := &snapshot{}
	snap.HasFrame, snap.Frame = true, f
	centred := &wire.Subscribe{Radius: 100}
	lat, lon, _ := f.FromENU(500, 0, 0)
	away := &wire.Subscribe{Flags: wire.SubCenter, CenterLat: lat, CenterLon: lon, Radius: 100}
	for _, tc := range []struct {
		name string
		snap *snapshot
		sub  *wire.Subscribe
		ev   *v2x.RoadEvent
		want bool
	}{
		{"inside", snap, centred, at(50, 0, 0), true},
		{"zone reaches in", snap, centred, at(0, 130, 35), true},
		{"zone stops short", snap, centred, at(0, 130, 25), false},
		{"own centre: near it", snap, away, at(450, 0, 0), true},
		{"own centre: at the reference", snap, away, at(0, 0, 50), false},
		{"radius 0", snap, &wire.Subscribe{}, at(9000, 0, 0), true},
		{"no reference point", &snapshot{}, centred, at(9000, 0, 0), true},
	} {
		g := regionOf(tc.snap, tc.sub)
		if got := g.touches(tc.ev); got != tc.want {
			t.Errorf("%s: touches %v, want %v", tc.name, got, tc.want)
		}
	}
}

package track

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// confirm feeds a camera's detections of one object moving east at 12
// m/s, from (e, n) at time t, until the tracker confirms its track; it
// returns the track.
func confirm(t *testing.T, tr *Tracker, local uint64, at int64, e, n float64) Track {
	t.Helper()
	for k := range 20 {
		m, x, y := detection(local, at+int64(k)*100e6, e+1.2*float64(k), n)
		tr.UpdateFrame([]Measurement{m}, []float64{x}, []float64{y})
		for _, trk := range tr.Tracks() {
			if trk.Confirmed && trk.VehicleID == 0 {
				if px, _ := trk.Position(); px-x < 3 && x-px < 3 {
					return trk
				}
			}
		}
	}
	t.Fatalf("no confirmed track near %v,%v", e, n)
	return Track{}
}

// detection is one camera measurement at (e, n) moving east at 12 m/s.
func detection(local uint64, t int64, e, n float64) (Measurement, float64, float64) {
	return Measurement{Kind: MeasDetection, Class: v2x.ClassCar, Stream: 1, Source: 10, LocalID: local, TimeNS: t,
		VelE: 12, Speed: 12, Heading: 90, CovEE: 0.5, CovNN: 0.5}, e, n
}

func TestSeedTakesCorridorID(t *testing.T) {
	const handed = 1<<24 | 77 // node 1's id space
	seed := Seed{ID: handed, Class: v2x.ClassCar, TimeNS: 1e9, E: -160, N: -5, VE: 12, PosVar: 1}
	for _, tc := range []struct {
		name   string
		at     int64   // measurement time, ns
		e, n   float64 // measurement position
		seeded bool
	}{
		{"on time", 4e9, -124, -5, true},                // predicted -124
		{"slowed down", 4e9, -135, -5.5, true},          // 11 m behind after 3 s: inside the along-track gate
		{"other lane", 4e9, -124, -12.5, false},         // 7.5 m across: a third lane
		{"a lane over", 4e9, -124, -9, true},            // 4 m across: the other lane of its direction
		{"other side of the road", 4e9, -124, 2, false}, // over the line between the nodes (N 0)
		{"behind the handover point", 4e9, -185, -5, false},
		{"opposite side of the box", 4e9, 124, -5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := New(Config{IDNamespace: 2})
			tr.AddSeed(seed)
			got := confirm(t, tr, 5, tc.at, tc.e, tc.n)
			if got.Seeded != tc.seeded || (tc.seeded && got.ID != handed) || (!tc.seeded && got.ID>>24 != 2) {
				t.Fatalf("track id %#x seeded %v, want seeded %v", got.ID, got.Seeded, tc.seeded)
			}
			if tc.seeded && len(tr.Seeds()) != 0 {
				t.Fatalf("seed still waiting after it was taken")
			}
		})
	}
}

func TestSeedRepeatsAndStaleness(t *testing.T) {
	tr := New(Config{SeedStaleNS: 5e9})
	s := Seed{ID: 9, Class: v2x.ClassCar, TimeNS: 1e9, E: 0, N: 0, VE: 10}
	tr.AddSeed(s)
	s.TimeNS, s.E = 2e9, 10
	tr.AddSeed(s) // a repeat updates
	if len(tr.Seeds()) != 1 || tr.Seeds()[0].E != 10 {
		t.Fatalf("seeds %+v after a repeat, want one updated", tr.Seeds())
	}
	tr.Expire(8e9) // 6 s after the seed's time: stale
	if len(tr.Seeds()) != 0 || tr.C.SeedsExpired != 1 {
		t.Fatalf("%d seeds, %d expired after stale_after, want 0 and 1", len(tr.Seeds()), tr.C.SeedsExpired)
	}
	tr.AddSeed(s) // the same handover again, later: stale, ignored
	if len(tr.Seeds()) != 0 {
		t.Fatalf("a stale handover's repeat was seeded again")
	}
	// A measurement where the stale seed would be predicted starts a
	// track of the tracker's own.
	if got := confirm(t, tr, 1, 8e9, 70, 0); got.ID == 9 || got.Seeded {
		t.Fatalf("track %d took a stale seed", got.ID)
	}
}

func TestNamespaceIDs(t *testing.T) {
	tr := New(Config{IDNamespace: 3})
	for i := range 3 {
		m, e, n := detection(uint64(i), 1e9, float64(i)*30, 0)
		tr.UpdateFrame([]Measurement{m}, []float64{e}, []float64{n})
	}
	for _, trk := range tr.Tracks() {
		if trk.ID>>24 != 3 || trk.ID&0xffffff == 0 {
			t.Fatalf("id %#x outside namespace 3", trk.ID)
		}
	}
}

func TestSeedsAllocateNothing(t *testing.T) {
	tr := New(Config{})
	ms := make([]Measurement, 1)
	es, ns := make([]float64, 1), make([]float64, 1)
	now := int64(1e9)
	id := uint32(1 << 24)
	// Warm up the maps and workspaces.
	for range 200 {
		now += 100e6
		id++
		tr.AddSeed(Seed{ID: id, Class: v2x.ClassCar, TimeNS: now, E: -150, VE: 12})
		ms[0], es[0], ns[0] = detection(uint64(id), now, -150, 0)
		tr.UpdateFrame(ms, es, ns)
		tr.Expire(now)
	}
	allocs := testing.AllocsPerRun(100, func() {
		now += 100e6
		id++
		tr.AddSeed(Seed{ID: id, Class: v2x.ClassCar, TimeNS: now, E: -150, VE: 12})
		ms[0], es[0], ns[0] = detection(uint64(id%300), now, -150, 0)
		tr.UpdateFrame(ms, es, ns)
		tr.Expire(now)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per handover and frame, want 0", allocs)
	}
}

// TestSeedOrder: seeds are taken in the order they were handed over
// (vehicles keep their order between intersections, whatever their
// speed did), except that a BSM takes its own vehicle's seed.
func TestSeedOrder(t *testing.T) {
	a := Seed{ID: 1<<24 | 1, Class: v2x.ClassCar, TimeNS: 1e9, E: -160, N: -5, VE: 12}
	b := Seed{ID: 1<<24 | 2, Class: v2x.ClassCar, TimeNS: 3e9, E: -160, N: -5, VE: 9, VehicleID: 77}
	c := Seed{ID: 1<<24 | 3, Class: v2x.ClassCar, TimeNS: 4e9, E: -160, N: -5, VE: 12}
	tr := New(Config{IDNamespace: 2})
	tr.AddSeed(a)
	tr.AddSeed(b)
	tr.AddSeed(c)
	// The first camera detection, where c's prediction lies (a slowed
	// down): a, the first handed over without a BSM id.
	confirm(t, tr, 5, 6e9, -136, -5)
	// b's BSM, wherever its prediction is.
	bsm := Measurement{Kind: MeasSelfReport, Class: v2x.ClassCar, Stream: 2, Source: 1, LocalID: 77, TimeNS: 6e9, VelE: 9, Speed: 9, CovEE: 1, CovNN: 1}
	tr.UpdateFrame([]Measurement{bsm}, []float64{-150}, []float64{-5})
	// The next detection: c.
	confirm(t, tr, 6, 8e9, -170, -8.5) // behind, in the other lane
	for _, trk := range tr.Tracks() {
		x, y := trk.Position()
		t.Logf("%#x at %.1f,%.1f hits %d", trk.ID, x, y, trk.Hits)
	}
	var got []uint32
	for _, trk := range tr.Tracks() {
		got = append(got, trk.ID)
	}
	want := []uint32{a.ID, b.ID, c.ID}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("ids %#x, want %#x", got, want)
	}
}

// TestStaleSeedNotTakenBeforeExpire: a handover that is already older
// than SeedStaleNS when it arrives (a neighbour's retried or delayed
// handover, after the neighbour or the bus was down) never seeds a
// track, even when the measurement comes before the next Expire would
// drop it: the node adds the cycle's handovers after Expire, so the
// next cycle's measurements meet them first.
func TestStaleSeedNotTakenBeforeExpire(t *testing.T) {
	for _, tc := range []struct {
		name  string
		age   int64 // of the seed when the measurement comes, ns
		taken bool
	}{
		{"fresh", 1e9, true},
		{"at the bound", 5e9, true},
		{"past the bound", 5e9 + 1, false},
		{"long past", 60e9, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := New(Config{SeedStaleNS: 5e9})
			const at = 100e9
			tr.AddSeed(Seed{ID: 9, Class: v2x.ClassCar, TimeNS: at - tc.age, E: 0, N: 0, VE: 12})
			// The measurement's own time decides, not an Expire: no Expire
			// runs between AddSeed and the first measurement.
			m, x, y := detection(1, at, 5, 0)
			m.Kind, m.LocalID = MeasSelfReport, 77
			tr.UpdateFrame([]Measurement{m}, []float64{x}, []float64{y})
			ts := tr.Tracks()
			if len(ts) != 1 || !ts[0].Confirmed {
				t.Fatalf("tracks %+v, want one confirmed", ts)
			}
			if got := ts[0].ID == 9; got != tc.taken {
				t.Errorf("seed %v old: taken %v, want %v (track id %d)", tc.age, got, tc.taken, ts[0].ID)
			}
		})
	}
}

// TestSeedNotTakenByTwin: a second track of a vehicle that took a seed (a
// camera reporting it twice, 2.5 m apart, so that one frame updates two
// tracks) is not the vehicle handed over after it: it keeps an id of the
// node's own, and the next seed waits for the vehicle 25 m behind.
func TestSeedNotTakenByTwin(t *testing.T) {
	a := Seed{ID: 1<<24 | 1, Class: v2x.ClassCar, TimeNS: 1e9, E: -160, N: -5, VE: 12}
	b := Seed{ID: 1<<24 | 2, Class: v2x.ClassCar, TimeNS: 3e9, E: -160, N: -5, VE: 12}
	for _, tc := range []struct {
		name   string
		twinAt float64 // the twin's offset along the road from the first track, m
		twin   uint32  // the id the twin should get: 0 one of the node's own
	}{
		{"beside", 2.5, 0},
		{"a vehicle ahead", 9, b.ID}, // beyond seedTwinAlong: another vehicle, takes the next seed
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := New(Config{IDNamespace: 2})
			tr.AddSeed(a)
			tr.AddSeed(b)
			first := confirm(t, tr, 5, 4e9, -130, -5)
			if first.ID != a.ID {
				t.Fatalf("first track %#x, want a's id %#x", first.ID, a.ID)
			}
			// One camera's frames with the vehicle twice.
			var twin *Track
			for k := range 20 {
				at := int64(6e9) + int64(k)*100e6
				e := -130 + 12*float64(at-4e9)/1e9 - 12*0.1*20 // roughly where the first track is
				m1, x1, y1 := detection(5, at, e, -5)
				m2, x2, y2 := detection(6, at, e+tc.twinAt, -5)
				tr.UpdateFrame([]Measurement{m1, m2}, []float64{x1, x2}, []float64{y1, y2})
				for i := range tr.Tracks() {
					if trk := &tr.Tracks()[i]; trk.Confirmed && trk.ID != a.ID {
						twin = trk
					}
				}
				if twin != nil {
					break
				}
			}
			if twin == nil {
				t.Fatal("the second report never confirmed a track")
			}
			if want := tc.twin; want == 0 && twin.ID>>24 != 2 || want != 0 && twin.ID != want {
				t.Fatalf("second track %#x, want %#x (0: the node's own)", twin.ID, want)
			}
			if tc.twin == 0 {
				if len(tr.Seeds()) != 1 || tr.Seeds()[0].ID != b.ID {
					t.Fatalf("seeds %+v, want b waiting", tr.Seeds())
				}
				if behind := confirm(t, tr, 7, 8e9, -150, -5); behind.ID != b.ID {
					t.Fatalf("the vehicle behind got %#x, want b's id %#x", behind.ID, b.ID)
				}
			}
		})
	}
}

// TestSeedOrderTentativeAhead: seeds a and b handed over in that order;
// the camera sees both vehicles, 20 m apart, but misses the one ahead in
// two frames, so the one behind confirms first. It takes b, the seed
// behind the still tentative vehicle ahead, which takes a when it
// confirms.
func TestSeedOrderTentativeAhead(t *testing.T) {
	a := Seed{ID: 1<<24 | 1, Class: v2x.ClassCar, TimeNS: 1e9, E: -160, N: -5, VE: 12}
	b := Seed{ID: 1<<24 | 2, Class: v2x.ClassCar, TimeNS: 2.5e9, E: -160, N: -5, VE: 12}
	tr := New(Config{IDNamespace: 2})
	tr.AddSeed(a)
	tr.AddSeed(b)
	ids := map[uint64]uint32{}
	for k := range 30 {
		at := int64(6e9) + int64(k)*100e6
		e := -130 + 1.2*float64(k)
		var ms []Measurement
		var es, ns []float64
		for _, o := range []struct {
			local uint64
			e     float64
			seen  bool
		}{{5, e, k < 3 || k > 4}, {6, e - 20, true}} { // the one ahead missed in frames 3 and 4
			if !o.seen {
				continue
			}
			m, x, y := detection(o.local, at, o.e, -5)
			ms, es, ns = append(ms, m), append(es, x), append(ns, y)
		}
		tr.UpdateFrame(ms, es, ns)
		for _, trk := range tr.Tracks() {
			if !trk.Confirmed {
				continue
			}
			x, _ := trk.Position()
			local := uint64(6)
			if x > e-10 {
				local = 5
			}
			if _, ok := ids[local]; !ok {
				ids[local] = trk.ID
				t.Logf("frame %d: vehicle %d confirmed with %#x", k, local, trk.ID)
			}
		}
	}
	for _, trk := range tr.Tracks() {
		x, y := trk.Position()
		t.Logf("%#x at %.1f,%.1f hits %d confirmed %v", trk.ID, x, y, trk.Hits, trk.Confirmed)
	}
	if ids[5] != a.ID || ids[6] != b.ID {
		t.Fatalf("vehicle ahead %#x, behind %#x; want a's %#x and b's %#x", ids[5], ids[6], a.ID, b.ID)
	}
}

// TestSeedReturnedWhenLostOnTheWayIn: the track that took seed a dies
// (the camera lost the vehicle) about 75 m before the centre; the vehicle
// re-found 25 m on gets a's id again. A track that took the seed and dies
// past the window's end (it drove through) gives nothing back.
func TestSeedReturnedWhenLostOnTheWayIn(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lastAt   float64 // the last detection of the first track, m east
		returned bool
	}{
		{"on its way in", -75, true},
		{"past the window", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seed := Seed{ID: 1<<24 | 1, Class: v2x.ClassCar, TimeNS: 1e9, E: -160, N: -5, VE: 12}
			tr := New(Config{IDNamespace: 2})
			tr.AddSeed(seed)
			now := int64(4e9)
			for e := -90.0; e <= tc.lastAt; e += 1.2 {
				m, x, y := detection(5, now, e, -5)
				tr.UpdateFrame([]Measurement{m}, []float64{x}, []float64{y})
				now += 100e6
			}
			if ts := tr.Tracks(); len(ts) != 1 || ts[0].ID != seed.ID {
				t.Fatalf("tracks %+v, want one with the seed's id", ts)
			}
			for end := now + 5e9; now < end && tr.Len() > 0; now += 100e6 {
				tr.Expire(now)
			}
			if tr.Len() != 0 {
				t.Fatalf("%d tracks left, want the lost one deleted", tr.Len())
			}
			if got := len(tr.Seeds()) == 1; got != tc.returned {
				t.Fatalf("seed returned %v (%d waiting), want %v", got, len(tr.Seeds()), tc.returned)
			}
			if !tc.returned {
				return
			}
			if again := confirm(t, tr, 6, now, -50, -5); again.ID != seed.ID {
				t.Fatalf("re-found track %#x, want the seed's id %#x", again.ID, seed.ID)
			}
		})
	}
}

// TestLostTrackRefound: a confirmed track dies (its camera lost the
// vehicle: hidden in a queue); a new track where the vehicle may have got
// to takes its id back, and whether it was handed over; one moving the
// other way, or far behind, does not.
func TestLostTrackRefound(t *testing.T) {
	for _, tc := range []struct {
		name    string
		after   int64   // ns after the death
		e, n    float64 // where the new track starts
		west    bool    // the new track moves west
		refound bool
	}{
		{"a little on", 2e9, -70, -5, false, true},
		{"far behind", 2e9, -110, -5, false, false},
		{"other lane", 2e9, -70, -9, false, false},
		{"moving the other way", 2e9, -70, -5, true, false},
		{"too late", 25e9, -70, -5, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := New(Config{IDNamespace: 2})
			now := int64(1e9)
			for e := -100.0; e <= -80; e += 1.2 {
				m, x, y := detection(5, now, e, -5)
				tr.UpdateFrame([]Measurement{m}, []float64{x}, []float64{y})
				now += 100e6
			}
			ts := tr.Tracks()
			if len(ts) != 1 || !ts[0].Confirmed {
				t.Fatalf("tracks %+v, want one confirmed", ts)
			}
			ts[0].HandedOver = true
			first := ts[0].ID
			for end := now + 5e9; now < end && tr.Len() > 0; now += 100e6 {
				tr.Expire(now)
			}
			if tr.Len() != 0 {
				t.Fatalf("%d tracks left, want the lost one deleted", tr.Len())
			}
			var got Track
			at := now + tc.after
			for k := range 20 {
				e, ve := tc.e+1.2*float64(k), 12.0
				if tc.west {
					e, ve = tc.e-1.2*float64(k), -12
				}
				m, x, y := detection(6, at+int64(k)*100e6, e, tc.n)
				m.VelE, m.Heading = float32(ve), 90
				if tc.west {
					m.Heading = 270
				}
				tr.UpdateFrame([]Measurement{m}, []float64{x}, []float64{y})
				if ts := tr.Tracks(); len(ts) == 1 && ts[0].Confirmed {
					got = ts[0]
					break
				}
			}
			if got.ID == 0 {
				t.Fatalf("no confirmed track")
			}
			if refound := got.ID == first; refound != tc.refound || refound != got.HandedOver {
				t.Fatalf("new track %#x (handed over %v), lost %#x: refound %v, want %v", got.ID, got.HandedOver, first, refound, tc.refound)
			}
		})
	}
}

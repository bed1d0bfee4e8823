package edge

import (
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func sampleBatch() batch {
	var b batch
	for i := 0; i < 3; i++ {
		b.meas = append(b.meas, measurement{Kind: measDetection, Class: v2x.ClassCar, Stream: 4, Source: 9, LocalID: uint64(i),
			TimeNS: 1e18 + int64(i), IngestNS: 1e18 + 5, Lat: 22.5 + float64(i)*1e-6, Lon: 114.05, VelE: 1.5, VelN: -2, Speed: 2.5,
			Heading: 143, Length: 4.5, Width: 1.8, CovEE: 0.2, CovEN: 0.01, CovNN: 0.3, Owner: 0xfeedbeef12345678, OwnerLimit: 1000})
	}
	su := spatUpdate{TimeNS: 7, IngestNS: 8, Stream: 12, Owner: 0xabcdef0123456789, IntersectionID: 3, N: 2}
	su.Phases[0] = v2x.Phase{ID: 1, State: v2x.LightGreen, Confidence: 90, Start: -1000, MinEnd: 2000, LikelyEnd: 3000, MaxEnd: 5000}
	su.Phases[1] = v2x.Phase{ID: 2, State: v2x.LightRed, Start: -1, MinEnd: v2x.TimeUnknown, LikelyEnd: v2x.TimeUnknown, MaxEnd: v2x.TimeUnknown}
	b.spats = append(b.spats, su)
	b.maps = append(b.maps, &v2x.Map{IntersectionID: 3, RefLat: 22.5, RefLon: 114.05, Lanes: []v2x.Lane{{ID: 1, Approach: 1, Ingress: true, Width: 3.5, Nodes: []v2x.Point{{E: 1, N: 2}, {E: 3, N: 40}}}}})
	b.mapSrc = append(b.mapSrc, 12)
	b.mapOwn = append(b.mapOwn, 0x1122334455667788)
	b.sensors = append(b.sensors, sensorDecl{Stream: 5, Source: 13, IngestNS: 1e18 + 9,
		Info: v2x.SensorInfo{SensorID: 13, Lat: 22.5, Lon: 114.05, Heading: 225, Opening: 95, Range: 90, MinRange: 1}})
	return b
}

func TestCycleRecRoundTrip(t *testing.T) {
	b := sampleBatch()
	rec := appendCycleRec(nil, 11, &b)
	finishCycleRec(rec, 22, 33)
	var c cycleRec
	if err := decodeCycleRec(rec, &c); err != nil {
		t.Fatal(err)
	}
	if c.start != 11 || c.now != 22 || c.seq != 33 {
		t.Errorf("times %d %d seq %d", c.start, c.now, c.seq)
	}
	if len(c.b.meas) != 3 || c.b.meas[2] != b.meas[2] {
		t.Errorf("measurements %+v", c.b.meas)
	}
	if len(c.b.spats) != 1 || c.b.spats[0] != b.spats[0] {
		t.Errorf("spat %+v, want %+v", c.b.spats, b.spats)
	}
	if len(c.b.maps) != 1 || c.b.mapSrc[0] != 12 || c.b.mapOwn[0] != 0x1122334455667788 || !sameMap(c.b.maps[0], b.maps[0]) {
		t.Errorf("map %+v", c.b.maps)
	}
	if len(c.b.sensors) != 1 || c.b.sensors[0] != b.sensors[0] {
		t.Errorf("sensor declarations %+v, want %+v", c.b.sensors, b.sensors)
	}
	// Every cut is an error, never a panic.
	for i := 0; i < len(rec); i++ {
		if err := decodeCycleRec(rec[:i], &c); err == nil {
			t.Fatalf("cut at %d decoded", i)
		}
	}
}

func FuzzDecodeCycleRec(f *testing.F) {
	b := sampleBatch()
	f.Add(appendCycleRec(nil, 1, &b))
	f.Add(appendCycleRec(nil, 1, &batch{}))
	f.Fuzz(func(t *testing.T, p []byte) {
		var c cycleRec
		if err := decodeCycleRec(p, &c); err != nil {
			return
		}
		// What decodes re-encodes to the same bytes.
		again := appendCycleRec(nil, c.start, &c.b)
		finishCycleRec(again, c.now, c.seq)
		var c2 cycleRec
		if err := decodeCycleRec(again, &c2); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if len(c2.b.meas) != len(c.b.meas) || len(c2.b.spats) != len(c.b.spats) || len(c2.b.maps) != len(c.b.maps) ||
			len(c2.b.sensors) != len(c.b.sensors) {
			t.Fatal("re-encoded record differs")
		}
	})
}

func TestCompareState(t *testing.T) {
	objs := []wire.StateObject{{ID: 1, Class: v2x.ClassCar, E: 10, N: 20}, {ID: 2, Class: v2x.ClassPedestrian, E: -3, N: 4}}
	rec := &wire.State{Intersection: 3, Objects: objs, Signals: []wire.SignalState{{Phase: 1, State: v2x.LightGreen, MinEndMS: 100}}}
	mk := func(mod func(*snapshot)) *snapshot {
		s := &snapshot{Intersection: 3, Objects: append([]wire.StateObject(nil), objs...), Signals: append([]wire.SignalState(nil), rec.Signals...)}
		s.Objects[0], s.Objects[1] = s.Objects[1], s.Objects[0] // order does not matter
		if mod != nil {
			mod(s)
		}
		return s
	}
	for _, c := range []struct {
		name string
		mod  func(*snapshot)
		same bool
	}{
		{"same", nil, true},
		{"0.5 mm off", func(s *snapshot) { s.Objects[0].E += 0.0005 }, true},
		{"2 mm off", func(s *snapshot) { s.Objects[0].N += 0.002 }, false},
		{"other id", func(s *snapshot) { s.Objects[1].ID = 7 }, false},
		{"other class", func(s *snapshot) { s.Objects[1].Class = v2x.ClassTruck }, false},
		{"one object less", func(s *snapshot) { s.Objects = s.Objects[:1] }, false},
		{"signal", func(s *snapshot) { s.Signals[0].MinEndMS = 101 }, false},
		{"intersection", func(s *snapshot) { s.Intersection = 4 }, false},
	} {
		why, d := compareState(mk(c.mod), rec)
		if (why == "") != c.same {
			t.Errorf("%s: %q (diff %.4f m)", c.name, why, d)
		}
		if math.IsNaN(d) {
			t.Errorf("%s: diff NaN", c.name)
		}
	}
}

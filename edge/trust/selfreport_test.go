package trust

import (
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// bsm is one self-report of a test sequence, in ENU metres.
type bsm struct {
	stream uint64
	id     uint64
	t      int64 // ms
	e, n   float64
	speed  float64
	head   float64 // degrees from north
}

func (b bsm) meas() (track.Measurement, float64, float64) {
	s, c := math.Sincos(b.head * math.Pi / 180)
	t := b.t * 1e6
	return track.Measurement{Kind: track.MeasSelfReport, Class: v2x.ClassCar, Stream: b.stream, LocalID: b.id, TimeNS: t, IngestNS: t,
		Lat: b.n * 1e-5, Lon: b.e * 1e-5, Speed: float32(b.speed), Heading: float32(b.head),
		VelE: float32(b.speed * s), VelN: float32(b.speed * c), CovEE: 2.25, CovNN: 2.25}, b.e, b.n
}

// drive returns a car driving north at v m/s from n0, one BSM every 100 ms
// for k messages, with a little position noise.
func drive(stream, id uint64, t0 int64, n0, v float64, k int) []bsm {
	out := make([]bsm, k)
	for i := range out {
		noise := 0.8 * math.Sin(float64(i)*1.7)
		out[i] = bsm{stream, id, t0 + int64(i)*100, 3.5 + noise, n0 + v*float64(i)/10 - noise, v, 0}
	}
	return out
}

func TestSelfReportChecks(t *testing.T) {
	honest := drive(1, 7, 1000, -100, 13, 30)
	cases := []struct {
		name string
		seq  []bsm
		want wire.Check
	}{
		{"honest", honest, wire.CheckNone},
		{"honest stopped", drive(1, 7, 1000, -20, 0, 30), wire.CheckNone},
		{"too fast", append(drive(1, 7, 1000, -100, 13, 5), bsm{1, 7, 1500, 3.5, -90, 99, 0}), wire.CheckSpeed},
		{"random speed", append(drive(1, 7, 1000, -100, 13, 5), bsm{1, 7, 1500, 3.5, -93.5, 2, 0}), wire.CheckAccel},
		{"teleport", append(drive(1, 7, 1000, -100, 13, 5), bsm{1, 7, 1500, 3.5, 50, 13, 0}), wire.CheckPosSpeed},
		{"constant position", []bsm{{1, 7, 1000, 3.5, -50, 10, 0}, {1, 7, 1100, 3.5, -50, 10, 0}, {1, 7, 1200, 3.5, -50, 10, 0}}, wire.CheckPosSpeed},
		{"replay on the same stream", append(drive(1, 7, 5000, -100, 13, 5), bsm{1, 7, 1000, 3.5, -150, 13, 0}), wire.CheckReplay},
		{"replay from another stream", append(drive(1, 7, 5000, -100, 13, 5), bsm{2, 7, 1000, 3.5, -150, 13, 0}), wire.CheckReplay},
		{"teleport from another stream", append(drive(1, 7, 1000, -100, 13, 5), bsm{2, 7, 1450, 3.5, 200, 13, 0}), wire.CheckPosSpeed},
		{"relay of the same vehicle", append(drive(1, 7, 1000, -100, 13, 5), bsm{2, 7, 1400, 3.5, -94.8, 13, 0}), wire.CheckNone},
		{"late copy within the replay age", append(drive(1, 7, 1000, -100, 13, 5), bsm{1, 7, 1200, 3.5, -97.4, 13, 0}), wire.CheckNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Config{})
			got := wire.CheckNone
			for i, b := range tc.seq {
				x, e, n := b.meas()
				ok := m.Measurement(&x, e, n)
				if fs := m.Drain(); len(fs) > 0 {
					got = fs[0].Check
					if ok {
						t.Errorf("message %d: finding %s but let through", i, got)
					}
					if fs[0].Stream != b.stream {
						t.Errorf("finding against stream %d, want %d", fs[0].Stream, b.stream)
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

// A MAP with one road north-south through the box: a car on it is on the
// road, a car 40 m inside the block beside it is not, and a new id deep in
// the box of a source that has been sending for a while appeared there.
func TestRoadChecks(t *testing.T) {
	mp := &v2x.Map{IntersectionID: 1, Lanes: []v2x.Lane{
		{ID: 1, Kind: v2x.LaneVehicle, Approach: 1, Ingress: true, Width: 3.5, SpeedLimit: 13.9, Nodes: []v2x.Point{{E: 1.75, N: -15}, {E: 1.75, N: -200}}},
		{ID: 2, Kind: v2x.LaneVehicle, Approach: 1, Width: 3.5, SpeedLimit: 13.9, Nodes: []v2x.Point{{E: -1.75, N: -15}, {E: -1.75, N: -200}}},
		{ID: 3, Kind: v2x.LaneVehicle, Approach: 3, Ingress: true, Width: 3.5, SpeedLimit: 13.9, Nodes: []v2x.Point{{E: -1.75, N: 15}, {E: -1.75, N: 200}}},
		{ID: 4, Kind: v2x.LaneVehicle, Approach: 3, Width: 3.5, SpeedLimit: 13.9, Nodes: []v2x.Point{{E: 1.75, N: 15}, {E: 1.75, N: 200}}},
		{ID: 5, Kind: v2x.LaneVehicle, Approach: 2, Width: 3.5, SpeedLimit: 13.9, Nodes: []v2x.Point{{E: 15, N: 0}, {E: 200, N: 0}}},
	}}
	cases := []struct {
		name string
		seq  []bsm
		want wire.Check
	}{
		{"on the road", drive(1, 7, 1000, -150, 13, 30), wire.CheckNone},
		{"in a building block", []bsm{{1, 7, 1000, 45, -60, 0, 0}}, wire.CheckOffRoad},
		{"99 m/s in a 13.9 m/s zone", []bsm{{1, 7, 1000, 1.75, -100, 99, 0}}, wire.CheckSpeed},
		{"appears in the box", append(drive(1, 7, 1000, -150, 13, 40), bsm{1, 8, 5100, 0, 0, 0, 0}), wire.CheckAppearance},
		{"enters from an approach", append(drive(1, 7, 1000, -150, 13, 40), bsm{1, 8, 5100, 1.75, -140, 13, 0}), wire.CheckNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Config{})
			if !m.Map(mp, 9, 0) {
				t.Fatal("first MAP refused")
			}
			m.SetMap(mp, func(e, n float64) (float64, float64) { return e, n })
			got := wire.CheckNone
			for _, b := range tc.seq {
				x, e, n := b.meas()
				m.Measurement(&x, e, n)
				if fs := m.Drain(); len(fs) > 0 {
					got = fs[0].Check
					break
				}
			}
			if got != tc.want {
				t.Errorf("finding %s, want %s", got, tc.want)
			}
		})
	}
}

// Findings lower a source's trust; below the threshold it is quarantined
// (its measurements kept out, counted), and it is released when it has
// recovered.
func TestQuarantineAndRelease(t *testing.T) {
	m := New(Config{})
	seq := []bsm{{2, 1, 1000, 3.5, -90, 99, 0}, {2, 2, 1000, 3.5, -80, 99, 0}, {2, 3, 1000, 3.5, -70, 99, 0}}
	var actions []wire.EventAction
	for _, b := range seq {
		x, e, n := b.meas()
		m.Measurement(&x, e, n)
		for _, f := range m.Drain() {
			actions = append(actions, f.Action)
		}
	}
	if !m.Quarantined(2) || len(actions) != 4 || actions[3] != wire.EventQuarantine {
		t.Fatalf("after three speed findings: quarantined %v, actions %v", m.Quarantined(2), actions)
	}
	x, e, n := bsm{2, 4, 1100, 3.5, -60, 10, 0}.meas()
	if m.Measurement(&x, e, n) || m.C.Quarantined != 1 {
		t.Fatalf("quarantined source's measurement let through (kept out: %d)", m.C.Quarantined)
	}
	honest, _, _ := bsm{1, 9, 1100, 3.5, -60, 10, 0}.meas()
	if !m.Measurement(&honest, 3.5, -60) {
		t.Fatal("another source's measurement kept out")
	}
	// 0.4 below 1 → 0.7 after 30 s at 0.01/s
	m.Cycle(nil, 1e9)
	m.Cycle(nil, 31e9)
	fs := m.Drain()
	if m.Quarantined(2) || len(fs) != 1 || fs[0].Action != wire.EventRelease {
		t.Fatalf("after 30 s: quarantined %v, findings %+v", m.Quarantined(2), fs)
	}
}

// An object with a finding is refused for BlockFor, then judged afresh:
// its reports after the block do not count against the report before it.
func TestBlockedThenJudgedAfresh(t *testing.T) {
	m := New(Config{})
	seq := append(drive(1, 7, 1000, -100, 13, 5), bsm{1, 7, 1500, 3.5, 50, 13, 0}) // teleport
	for _, b := range seq {
		x, e, n := b.meas()
		m.Measurement(&x, e, n)
	}
	if fs := m.Drain(); len(fs) != 1 || fs[0].Check != wire.CheckPosSpeed {
		t.Fatalf("findings %+v, want one pos_speed", fs)
	}
	x, e, n := bsm{1, 7, 2000, 3.5, 56, 13, 0}.meas()
	if m.Measurement(&x, e, n) {
		t.Fatal("blocked object let through")
	}
	for i, b := range drive(1, 7, 12000, 100, 13, 5) {
		x, e, n := b.meas()
		if !m.Measurement(&x, e, n) {
			t.Fatalf("report %d after the block refused: %+v", i, m.Drain())
		}
	}
}

// Trust follows the identity, not the stream: a producer quarantined on
// one stream is still quarantined when it speaks on another (it
// reconnected), and its release is told under the stream it used last;
// another identity is not touched, and without an identity the stream is
// the source.
func TestQuarantineFollowsIdentity(t *testing.T) {
	m := New(Config{})
	const owner, other = 0xabc, 0xdef
	for _, b := range []bsm{{2, 1, 1000, 3.5, -90, 99, 0}, {2, 2, 1000, 3.5, -80, 99, 0}, {2, 3, 1000, 3.5, -70, 99, 0}} {
		x, e, n := b.meas()
		x.Owner = owner
		m.Measurement(&x, e, n)
	}
	m.Drain()
	if !m.Quarantined(2) {
		t.Fatal("not quarantined after three speed findings")
	}
	// The same identity on a new stream 5 (a reconnect): still kept out.
	x, e, n := bsm{5, 4, 1100, 3.5, -60, 10, 0}.meas()
	x.Owner = owner
	if m.Measurement(&x, e, n) || !m.Quarantined(5) {
		t.Fatal("the quarantined identity's new stream was let through")
	}
	// Another identity on stream 6, and a stream without one: not touched.
	y, e, n := bsm{6, 9, 1100, 3.5, -60, 10, 0}.meas()
	y.Owner = other
	z, _, _ := bsm{7, 9, 1100, 3.5, -60, 10, 0}.meas()
	if !m.Measurement(&y, e, n) || !m.Measurement(&z, e, n) || m.Quarantined(6) || m.Quarantined(7) {
		t.Fatal("another identity's or an anonymous stream's measurement kept out")
	}
	m.Cycle(nil, 1e9)
	m.Cycle(nil, 31e9)
	fs := m.Drain()
	if m.Quarantined(2) || m.Quarantined(5) || len(fs) != 1 || fs[0].Action != wire.EventRelease || fs[0].Stream != 5 {
		t.Fatalf("after 30 s: quarantined %v/%v, findings %+v", m.Quarantined(2), m.Quarantined(5), fs)
	}
}

// BenchmarkMeasurementDetections measures the checks' part of 200 camera
// detections (one frame): the source, the coverage marks and the camera
// location, as the fusion loop calls them per measurement.
func BenchmarkMeasurementDetections(b *testing.B) {
	m := New(Config{})
	xs := make([]track.Measurement, 200)
	es, ns := make([]float64, 200), make([]float64, 200)
	for i := range xs {
		xs[i] = track.Measurement{Kind: track.MeasDetection, Class: v2x.ClassCar, Stream: 2, Source: 3, LocalID: uint64(i),
			CovEE: 0.09, CovNN: 0.09, Length: 4.5, Width: 1.8}
		es[i], ns[i] = float64(i%20)*10-100, float64(i/20)*10-100
	}
	t := int64(1e9)
	b.ReportAllocs()
	b.ResetTimer()
	for k := 0; k < b.N; k++ {
		t += 16e6
		for i := range xs {
			xs[i].TimeNS, xs[i].IngestNS = t, t
			m.Measurement(&xs[i], es[i], ns[i])
		}
	}
}

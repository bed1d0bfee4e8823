package csae53

import (
	"math"
	"os"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/internal/modelcmp"
	"github.com/v2x-edge/v2x-edge/v2x"
)

func sample(t testing.TB, name string) *MessageFrame {
	t.Helper()
	raw, err := os.ReadFile("testdata/samples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	f := new(MessageFrame)
	if _, err := DecodeFrame(raw, f); err != nil {
		t.Fatal(err)
	}
	return f
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestBSMToModel(t *testing.T) {
	// BSM_1.xer: lat 399764645, long 1163509503, elevation 375, speed 0,
	// heading 6161, accel long/lat 2001 (unavailable), width 150,
	// length 450, classification 10 (passenger).
	var b v2x.BSM
	sample(t, "BSM_1.uper").BsmFrame.ToModel(&b)
	if !near(b.Lat, 39.9764645, 1e-9) || !near(b.Lon, 116.3509503, 1e-9) || !near(float64(b.Elevation), 37.5, 1e-4) {
		t.Errorf("position %v,%v,%v", b.Lat, b.Lon, b.Elevation)
	}
	if b.Speed != 0 || !near(float64(b.Heading), 77.0125, 1e-4) || b.AccelLon != 0 || b.AccelLat != 0 {
		t.Errorf("motion: speed %v heading %v accel %v/%v", b.Speed, b.Heading, b.AccelLon, b.AccelLat)
	}
	if b.Width != 1.5 || b.Length != 4.5 || b.Class != v2x.ClassCar || b.MsgCount != 117 {
		t.Errorf("size %vx%v class %v msgCnt %d", b.Length, b.Width, b.Class, b.MsgCount)
	}
	if b.VehicleID != 0xbea9423838383838 {
		t.Errorf("id %x", b.VehicleID)
	}
	if n := testing.AllocsPerRun(100, func() { sample(t, "BSM_1.uper") }); n == 0 {
		t.Fatal("sample() cannot allocate nothing; the check below is meaningless")
	}
	f := sample(t, "BSM_1.uper")
	if n := testing.AllocsPerRun(100, func() { f.BsmFrame.ToModel(&b) }); n != 0 {
		t.Errorf("BSM ToModel: %.0f allocations", n)
	}
}

func TestBSMRoundTrip(t *testing.T) {
	in := v2x.BSM{VehicleID: 0x0102030405060708, MsgCount: 5, Lat: 22.5431234, Lon: 114.0579876, Elevation: 12.3,
		Speed: 13.9, Heading: 271.5, AccelLon: -1.25, AccelLat: 0.5, YawRate: -3.5, Length: 4.6, Width: 1.8, Class: v2x.ClassBus,
		AccSemiMajor: 1.5, AccSemiMinor: 1, AccOrientation: 45}
	var m BasicSafetyMessage
	BSMFromModel(&in, 12345, &m)
	f := MessageFrame{Choice: MessageFrameChoiceBsmFrame, BsmFrame: m}
	raw, err := AppendFrame(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	var g MessageFrame
	if _, err := DecodeFrame(raw, &g); err != nil {
		t.Fatal(err)
	}
	var out v2x.BSM
	g.BsmFrame.ToModel(&out)
	if out.VehicleID != in.VehicleID || out.Class != in.Class || !near(out.Lat, in.Lat, 1e-7) || !near(out.Lon, in.Lon, 1e-7) ||
		!near(float64(out.Speed), 13.9, 0.02) || !near(float64(out.Heading), 271.5, 0.0125) || !near(float64(out.AccelLon), -1.25, 0.01) ||
		!near(float64(out.YawRate), -3.5, 0.01) || !near(float64(out.Length), 4.6, 0.01) || !near(float64(out.AccSemiMajor), 1.5, 0.05) {
		t.Errorf("round trip:\n in %+v\nout %+v", in, out)
	}
}

func TestRSMToModelAndBack(t *testing.T) {
	// RSM.xer: one non-motor participant from video at position-LatLon
	// lon 1074134465 lat 297241937, speed 258 (5.16 m/s), heading 13556
	// (169.45°).
	var r v2x.RSM
	sample(t, "RSM.uper").RsmFrame.ToModel(&r)
	if len(r.Participants) != 1 || r.Source != v2x.SourceVideo {
		t.Fatalf("%d participants, source %v", len(r.Participants), r.Source)
	}
	p := r.Participants[0]
	if p.Class != v2x.ClassBicycle || p.LocalID != 1 || !near(p.Lat, 29.7241937, 1e-9) || !near(p.Lon, 107.4134465, 1e-9) ||
		!near(float64(p.Speed()), 5.16, 1e-4) || !near(float64(p.Heading), 169.45, 1e-4) {
		t.Errorf("participant %+v", p)
	}

	// Fused objects out as an RSM and back, each offset alternative used.
	refLat, refLon := 22.5431, 114.0579
	in := v2x.RSM{RSUID: 77, Source: v2x.SourceIntegrated}
	for i, d := range []float64{1e-5, 5e-4, 2e-3, 1e-2, 0.1, 0.5, 2} { // degrees from the reference
		in.Participants = append(in.Participants, v2x.DetectedObject{LocalID: uint32(i + 1), Class: v2x.Class(1 + i%6),
			Lat: refLat + d, Lon: refLon - d, VelE: 3, VelN: 4, Heading: 36.87, Length: 4.5, Width: 1.8})
	}
	var m RoadsideSafetyMessage
	if err := RSMFromModel(&in, refLat, refLon, 9, 1000, &m); err != nil {
		t.Fatal(err)
	}
	seen := map[uint8]bool{}
	for i := range m.Participants {
		seen[m.Participants[i].Pos.OffsetLL.Choice] = true
	}
	if len(seen) != 7 {
		t.Errorf("offset alternatives used: %v, want all 7", seen)
	}
	f := MessageFrame{Choice: MessageFrameChoiceRsmFrame, RsmFrame: m}
	raw, err := AppendFrame(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	var g MessageFrame
	if _, err := DecodeFrame(raw, &g); err != nil {
		t.Fatal(err)
	}
	var out v2x.RSM
	g.RsmFrame.ToModel(&out)
	if out.RSUID != 77 || out.Source != v2x.SourceIntegrated || len(out.Participants) != len(in.Participants) {
		t.Fatalf("back: %+v", out)
	}
	for i, o := range out.Participants {
		w := in.Participants[i]
		if !near(o.Lat, w.Lat, 1e-7) || !near(o.Lon, w.Lon, 1e-7) || o.Class != w.Class || !near(float64(o.Speed()), 5, 0.02) || !near(float64(o.Length), 4.5, 0.01) {
			t.Errorf("participant %d: %+v, want %+v", i, o, w)
		}
	}
	in.Participants = append(in.Participants, make([]v2x.DetectedObject, 10)...)
	if err := RSMFromModel(&in, refLat, refLon, 0, 0, &m); err == nil {
		t.Error("17 participants fit in one RSM")
	}
}

func TestSPATToModel(t *testing.T) {
	// SPAT.xer: moy 458335, timeStamp 5238; intersection region 255 id 9;
	// phase 33: permissive-green counting startTime 0 likelyEndTime 30,
	// then yellow from 30.
	s := &sample(t, "SPAT.uper").SpatFrame
	ref := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC).UnixNano()
	var out v2x.SPAT
	capture, err := s.ToModel(0, ref, &out)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 15, 6, 55, 5, 238e6, time.UTC).UnixNano(); capture != want {
		t.Errorf("capture %v, want %v", time.Unix(0, capture).UTC(), time.Unix(0, want).UTC())
	}
	if out.IntersectionID != 255<<16|9 || len(out.Phases) == 0 {
		t.Fatalf("intersection %x with %d phases", out.IntersectionID, len(out.Phases))
	}
	p := out.Phases[0]
	if p.ID != 33 || p.State != v2x.LightGreenPermissive || p.LikelyEnd != 3000 || p.Start != v2x.TimeUnknown || p.MinEnd != v2x.TimeUnknown {
		t.Errorf("phase 33: %+v", p)
	}
	if n := testing.AllocsPerRun(50, func() { s.ToModel(0, ref, &out) }); n != 0 {
		t.Errorf("SPAT ToModel into a reused struct: %.0f allocations", n)
	}
	if _, err := s.ToModel(len(s.Intersections), ref, &out); err == nil {
		t.Error("no error for an intersection that is not there")
	}
}

func TestSPATUTCTimingAcrossTheHour(t *testing.T) {
	// A green that started at 10:59:50 and ends at 11:00:20 (TimeMarks
	// 35900 and 200), captured at 10:59:58.
	capture := time.Date(2026, 11, 22, 10, 59, 58, 0, time.UTC)
	in := SPAT{Intersections: IntersectionStateList{{
		IntersectionId: NodeReferenceID{Id: 7}, Status: IntersectionStatusObject{Len: 16},
		HasMoy: true, Moy: MinuteOfTheYear(capture.Sub(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) / time.Minute),
		HasTimeStamp: true, TimeStamp: 58000,
		Phases: PhaseList{{Id: 1, PhaseStates: PhaseStateList{
			{Light: LightStateRed, HasTiming: true, Timing: TimeChangeDetails{Choice: TimeChangeDetailsChoiceUtcTiming,
				UtcTiming: UTCTiming{StartUTCTime: 200, LikelyEndUTCTime: 900}}},
			{Light: LightStateProtectedGreen, HasTiming: true, Timing: TimeChangeDetails{Choice: TimeChangeDetailsChoiceUtcTiming,
				UtcTiming: UTCTiming{StartUTCTime: 35900, LikelyEndUTCTime: 200, HasMaxEndUTCTime: true, MaxEndUTCTime: v2x.TimeMarkUnknown}}},
		}}},
	}}}
	var out v2x.SPAT
	if _, err := in.ToModel(0, capture.Add(time.Second).UnixNano(), &out); err != nil {
		t.Fatal(err)
	}
	p := out.Phases[0]
	if p.State != v2x.LightGreen || p.Start != -8000 || p.LikelyEnd != 22000 || p.MaxEnd != v2x.TimeUnknown {
		t.Errorf("phase: %+v, want green from -8000 ms to 22000 ms, max unknown", p)
	}
}

func TestSPATFromModelRoundTrip(t *testing.T) {
	in := v2x.SPAT{IntersectionID: 3<<16 | 12, Phases: []v2x.Phase{
		{ID: 1, State: v2x.LightGreen, Start: v2x.TimeUnknown, MinEnd: 4000, LikelyEnd: 5000, MaxEnd: v2x.TimeUnknown, Confidence: 80},
		{ID: 2, State: v2x.LightRed, Start: v2x.TimeUnknown, MinEnd: v2x.TimeUnknown, LikelyEnd: 35000, MaxEnd: 40000},
	}}
	capture := time.Date(2026, 11, 22, 12, 0, 1, 500e6, time.UTC).UnixNano()
	var m SPAT
	if err := SPATFromModel(&in, capture, 3, &m); err != nil {
		t.Fatal(err)
	}
	f := MessageFrame{Choice: MessageFrameChoiceSpatFrame, SpatFrame: m}
	raw, err := AppendFrame(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	var g MessageFrame
	if _, err := DecodeFrame(raw, &g); err != nil {
		t.Fatal(err)
	}
	var out v2x.SPAT
	got, err := g.SpatFrame.ToModel(0, capture+int64(time.Second), &out)
	if err != nil {
		t.Fatal(err)
	}
	if got != capture || out.IntersectionID != in.IntersectionID || len(out.Phases) != 2 {
		t.Fatalf("capture %v id %x phases %d", time.Unix(0, got).UTC(), out.IntersectionID, len(out.Phases))
	}
	for i, p := range out.Phases {
		w := in.Phases[i]
		if p.ID != w.ID || p.State != w.State || p.MinEnd != w.MinEnd || p.LikelyEnd != w.LikelyEnd || p.MaxEnd != w.MaxEnd || p.Confidence != w.Confidence {
			t.Errorf("phase %d: %+v, want %+v", i, p, w)
		}
	}
}

func TestMapToModel(t *testing.T) {
	// MAP.xer: node region 1 id 149 at 28.0985258, 112.9830304; 4 links
	// with one lane each (laneID 1, width 2200 cm, maneuvers 111… =
	// straight, left, right), connections with phaseIds 1, 2, 3, …
	var m v2x.Map
	if err := sample(t, "MAP.uper").MapFrame.ToModel(&m); err != nil {
		t.Fatal(err)
	}
	if m.IntersectionID != 1<<16|149 || !near(m.RefLat, 28.0985258, 1e-9) || !near(m.RefLon, 112.9830304, 1e-9) {
		t.Errorf("intersection %x at %v,%v", m.IntersectionID, m.RefLat, m.RefLon)
	}
	if len(m.Lanes) != 4 {
		t.Fatalf("%d lanes, want 4", len(m.Lanes))
	}
	l := m.Lanes[0]
	if l.ID != 1 || l.Width != 22 || l.Maneuvers != v2x.ManeuverStraight|v2x.ManeuverLeft|v2x.ManeuverRight || l.Approach != 1 || !l.Ingress {
		t.Errorf("lane 0: %+v", l)
	}
	if len(l.Nodes) < 2 || len(l.Connections) == 0 || l.Connections[0].SignalGroup != 1 {
		t.Errorf("lane 0: %d nodes, connections %+v", len(l.Nodes), l.Connections)
	}
	// Nodes run from the stop line outwards: the first is nearer the
	// reference point than the last.
	first, last := l.Nodes[0], l.Nodes[len(l.Nodes)-1]
	if math.Hypot(float64(first.E), float64(first.N)) > math.Hypot(float64(last.E), float64(last.N)) {
		t.Errorf("lane nodes run towards the intersection: first %v last %v", first, last)
	}
}

func TestRSIToModel(t *testing.T) {
	// RSI.xer: refPos 28.0988051, 112.9829511; one RTE: id 123, type
	// 9902, radius 1000 (100 m), position offset 0,0, priority "01".
	var r v2x.RSI
	sample(t, "RSI.uper").RsiFrame.ToModel(time.Now().UnixNano(), &r)
	if len(r.Events) != 1 {
		t.Fatalf("%d events", len(r.Events))
	}
	e := r.Events[0]
	if e.ID != 123 || e.Kind != v2x.KindEvent || e.Type != 9902 || e.Radius != 100 || !near(e.Lat, 28.0988051, 1e-9) || !near(e.Lon, 112.9829511, 1e-9) || e.Priority != 0 {
		t.Errorf("event %+v", e)
	}
}

func TestRSIRoundTrip(t *testing.T) {
	start := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC).UnixNano()
	in := v2x.RSI{RSUID: 42, Events: []v2x.RoadEvent{
		{ID: 1, Kind: v2x.KindEvent, Type: 401, Priority: 5, Lat: 22.5431, Lon: 114.0579, Radius: 150.5, StartNS: start, Text: "road works"},
		{ID: 2, Kind: v2x.KindSign, Type: 38, Priority: 2, Lat: 22.5441, Lon: 114.0569},
	}}
	var m RoadSideInformation
	if err := RSIFromModel(&in, 7, &m); err != nil {
		t.Fatal(err)
	}
	f := MessageFrame{Choice: MessageFrameChoiceRsiFrame, RsiFrame: m}
	raw, err := AppendFrame(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	var g MessageFrame
	if _, err := DecodeFrame(raw, &g); err != nil {
		t.Fatal(err)
	}
	var out v2x.RSI
	g.RsiFrame.ToModel(start, &out)
	if out.RSUID != 42 || len(out.Events) != 2 {
		t.Fatalf("%+v", out)
	}
	for i, e := range out.Events {
		w := in.Events[i]
		if e.ID != w.ID || e.Kind != w.Kind || e.Type != w.Type || e.Priority != w.Priority || e.Text != w.Text || e.StartNS != w.StartNS ||
			!near(e.Lat, w.Lat, 1e-7) || !near(e.Lon, w.Lon, 1e-7) || !near(float64(e.Radius), float64(w.Radius), 0.1) {
			t.Errorf("event %d: %+v, want %+v", i, e, w)
		}
	}
	if err := RSIFromModel(&v2x.RSI{}, 0, &m); err == nil {
		t.Error("an RSI without events encoded")
	}
}

// TestSPATFromModelSimulator round-trips the simulator's SPAT at every
// half second of its cycle. CSAE counting timing carries tenths of a
// second from the capture (truncated) and no start time.
func TestSPATFromModelSimulator(t *testing.T) {
	plan := sim.DefaultPlan()
	base := time.Date(2026, 12, 31, 23, 59, 30, 123_456_789, time.UTC).UnixNano()
	for at := time.Duration(0); at < plan.Cycle; at += 500 * time.Millisecond {
		in := plan.SPAT(at)
		capture := base + int64(at)
		var f MessageFrame
		f.Choice = MessageFrameChoiceSpatFrame
		if err := SPATFromModel(&in, capture, 1, &f.SpatFrame); err != nil {
			t.Fatal(err)
		}
		raw, err := AppendFrame(nil, &f)
		if err != nil {
			t.Fatal(err)
		}
		var g MessageFrame
		if _, err := DecodeFrame(raw, &g); err != nil {
			t.Fatal(err)
		}
		var out v2x.SPAT
		got, err := g.SpatFrame.ToModel(0, capture+int64(300*time.Millisecond), &out)
		if err != nil {
			t.Fatal(err)
		}
		if want := capture - capture%int64(time.Millisecond); got != want {
			t.Errorf("%v: capture %v, want %v", at, time.Unix(0, got).UTC(), time.Unix(0, want).UTC())
		}
		want := in
		want.Phases = append([]v2x.Phase(nil), in.Phases...)
		for i := range want.Phases {
			want.Phases[i].Start = v2x.TimeUnknown
		}
		if d := modelcmp.SPATDiff(&out, &want, 99, nil); d != "" {
			t.Errorf("%v: %s", at, d)
		}
	}
	in := plan.SPAT(0)
	var f MessageFrame
	f.Choice = MessageFrameChoiceSpatFrame
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(20, func() {
		if err := SPATFromModel(&in, base, 1, &f.SpatFrame); err != nil {
			t.Fatal(err)
		}
		buf, _ = AppendFrame(buf[:0], &f)
	}); n != 0 {
		t.Errorf("SPATFromModel and AppendFrame into reused values: %.0f allocations", n)
	}
}

package csae53

import (
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/internal/modelcmp"
	"github.com/v2x-edge/v2x-edge/v2x"
)

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

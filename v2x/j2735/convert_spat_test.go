package j2735

import (
	"fmt"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/internal/modelcmp"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// spatRoundTrip encodes s as a MessageFrame, decodes it and converts it
// back with the node's clock at refUnixNS.
func spatRoundTrip(t *testing.T, s *v2x.SPAT, captureUnixNS, refUnixNS int64) (SPAT, v2x.SPAT, int64) {
	t.Helper()
	var m SPAT
	if err := SPATFromModel(s, captureUnixNS, 9, &m); err != nil {
		t.Fatal(err)
	}
	v, err := AppendSPAT(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := AppendFrame(nil, &MessageFrame{MessageID: IDSPaT, Value: v})
	if err != nil {
		t.Fatal(err)
	}
	var f MessageFrame
	if n, err := DecodeFrame(raw, &f); err != nil || n != len(raw) || f.MessageID != IDSPaT {
		t.Fatalf("frame: id %d, %d of %d bytes, %v", f.MessageID, n, len(raw), err)
	}
	var back SPAT
	var d uper.Decoder
	d.Reset(f.Value)
	back.DecodeUPER(&d)
	if err := d.Err(); err != nil || d.BytesUsed() != len(f.Value) {
		t.Fatalf("decode: %v (%d of %d bytes)", err, d.BytesUsed(), len(f.Value))
	}
	var out v2x.SPAT
	capture, err := back.ToModel(0, refUnixNS, &out)
	if err != nil {
		t.Fatal(err)
	}
	return back, out, capture
}

func confidence(c uint8) uint8 {
	if c == 0 {
		return 0
	}
	return intervalConfidence[timeIntervalConfidence(c)]
}

// TestSPATFromModelSimulator round-trips the simulator's SPAT at every
// half second of its 86 s cycle, captured from 10:59:30 UTC so that many
// of its times lie across the hour.
func TestSPATFromModelSimulator(t *testing.T) {
	plan := sim.DefaultPlan()
	base := time.Date(2026, 11, 22, 10, 59, 30, 123_456_789, time.UTC).UnixNano()
	for at := time.Duration(0); at < plan.Cycle; at += 500 * time.Millisecond {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			in := plan.SPAT(at)
			capture := base + int64(at)
			_, out, got := spatRoundTrip(t, &in, capture, capture+int64(300*time.Millisecond))
			if want := capture - capture%int64(time.Millisecond); got != want {
				t.Errorf("capture %v, want %v", time.Unix(0, got).UTC(), time.Unix(0, want).UTC())
			}
			if d := modelcmp.SPATDiff(&out, &in, 50, confidence); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestSPATFromModelEdges(t *testing.T) {
	u := v2x.TimeUnknown
	hour := time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC).UnixNano()
	many := v2x.SPAT{IntersectionID: 5}
	for i := range v2x.MaxPhases { // the model's limit; J2735 holds 255
		many.Phases = append(many.Phases, v2x.Phase{ID: uint8(i), State: v2x.LightState(i % 8), Start: int32(-100 * i), MinEnd: int32(100 * i),
			LikelyEnd: int32(200 * i), MaxEnd: int32(300 * i), Confidence: uint8(i)})
	}
	for _, tc := range []struct {
		name    string
		in      v2x.SPAT
		capture int64 // Unix ns
		ref     int64 // the node's clock, relative to capture
		want    v2x.SPAT
		marks   []TimeMark // minEndTime, likelyTime of the first movement
	}{
		{
			name: "across the hour", capture: hour - int64(2*time.Second), ref: int64(time.Second),
			in:    v2x.SPAT{IntersectionID: 3<<16 | 12, Phases: []v2x.Phase{{ID: 1, State: v2x.LightGreen, Start: -8000, MinEnd: 2500, LikelyEnd: 22000, MaxEnd: 40000, Confidence: 80}}},
			marks: []TimeMark{5, 200},
		},
		{
			name: "on the hour", capture: hour, ref: -int64(time.Second),
			in:    v2x.SPAT{IntersectionID: 1, Phases: []v2x.Phase{{ID: 2, State: v2x.LightRed, Start: -1, MinEnd: 0, LikelyEnd: 35_999_00, MaxEnd: u}}},
			want:  v2x.SPAT{IntersectionID: 1, Phases: []v2x.Phase{{ID: 2, State: v2x.LightRed, Start: 0, MinEnd: 0, LikelyEnd: u, MaxEnd: u}}},
			marks: []TimeMark{0, v2x.TimeMarkUnknown},
		},
		{
			name: "across the year", capture: time.Date(2026, 12, 31, 23, 59, 59, 500e6, time.UTC).UnixNano(), ref: int64(700 * time.Millisecond),
			in: v2x.SPAT{IntersectionID: 1, Phases: []v2x.Phase{{ID: 1, State: v2x.LightYellow, Start: -2500, MinEnd: 500, LikelyEnd: 1000, MaxEnd: 1500}}},
		},
		{
			name: "unknown times", capture: hour + int64(17*time.Minute), ref: 0,
			in: v2x.SPAT{IntersectionID: 1, Phases: []v2x.Phase{
				{ID: 1, State: v2x.LightUnknown, Start: u, MinEnd: u, LikelyEnd: u, MaxEnd: u},
				{ID: 2, State: v2x.LightDark, Start: u, MinEnd: u, LikelyEnd: 4000, MaxEnd: u, Confidence: 100},
				{ID: 3, State: v2x.LightRedFlashing, Start: u, MinEnd: u, LikelyEnd: u, MaxEnd: u, Confidence: 50},
			}},
		},
		{
			name: "half an hour away", capture: hour + int64(10*time.Minute), ref: 0,
			in: v2x.SPAT{IntersectionID: 1, Phases: []v2x.Phase{
				{ID: 1, State: v2x.LightRed, Start: -1_800_000, MinEnd: 1_799_949, LikelyEnd: 1_800_000, MaxEnd: 1 << 30},
			}},
			want: v2x.SPAT{IntersectionID: 1, Phases: []v2x.Phase{{ID: 1, State: v2x.LightRed, Start: u, MinEnd: 1_799_900, LikelyEnd: u, MaxEnd: u}}},
		},
		{name: "64 phases", capture: hour + 1, ref: 0, in: many},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want.Phases == nil {
				want = tc.in
			}
			back, out, got := spatRoundTrip(t, &tc.in, tc.capture, tc.capture+tc.ref)
			if want := tc.capture - tc.capture%int64(time.Millisecond); got != want {
				t.Errorf("capture %v, want %v", time.Unix(0, got).UTC(), time.Unix(0, want).UTC())
			}
			if d := modelcmp.SPATDiff(&out, &want, 50, confidence); d != "" {
				t.Error(d)
			}
			if tc.marks != nil {
				tm := back.Intersections[0].States[0].StateTimeSpeed[0].Timing
				if tm.MinEndTime != tc.marks[0] || (tm.HasLikelyTime && tm.LikelyTime != tc.marks[1]) {
					t.Errorf("minEndTime %d likelyTime %d (present %v), want %v", tm.MinEndTime, tm.LikelyTime, tm.HasLikelyTime, tc.marks)
				}
			}
		})
	}
}

func TestSPATFromModelOutsideTheSchema(t *testing.T) {
	var m SPAT
	for _, n := range []int{0, 256} {
		if err := SPATFromModel(&v2x.SPAT{Phases: make([]v2x.Phase, n)}, 0, 0, &m); err == nil {
			t.Errorf("%d phases encoded", n)
		}
	}
}

func TestSPATFromModelReuses(t *testing.T) {
	plan := sim.DefaultPlan()
	in := plan.SPAT(10 * time.Second)
	now := time.Now().UnixNano()
	var m SPAT
	var f MessageFrame
	var buf []byte
	run := func() {
		var err error
		if err = SPATFromModel(&in, now, 1, &m); err != nil {
			t.Fatal(err)
		}
		if f.Value, err = AppendSPAT(f.Value[:0], &m); err != nil {
			t.Fatal(err)
		}
		f.MessageID = IDSPaT
		if buf, err = AppendFrame(buf[:0], &f); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if n := testing.AllocsPerRun(50, run); n != 0 {
		t.Errorf("SPATFromModel, AppendSPAT and AppendFrame into reused values: %.0f allocations", n)
	}
	t.Logf("simulator SPAT: %d bytes in J2735", len(buf))
}

func TestSPATToModel(t *testing.T) {
	// decoder-output-spat.xml: intersection 12111, timeStamp 35176 (ms in
	// the minute, no moy); signal group 2 protected-Movement-Allowed with
	// minEndTime 22120 and maxEndTime 22121 (tenths past the hour:
	// 36:52.0 and 36:52.1); group 4 stop-And-Remain, minEndTime 22181.
	var s SPAT
	decodeValue(t, "decoder-output-spat.xml", &s)
	ref := time.Date(2026, 11, 22, 10, 36, 36, 0, time.UTC)
	var out v2x.SPAT
	capture, err := s.ToModel(0, ref.UnixNano(), &out)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 22, 10, 36, 35, 176e6, time.UTC); capture != want.UnixNano() {
		t.Errorf("capture %v, want %v", time.Unix(0, capture).UTC(), want)
	}
	if out.IntersectionID != 12111 || len(out.Phases) < 2 {
		t.Fatalf("intersection %d with %d phases", out.IntersectionID, len(out.Phases))
	}
	p := out.Phases[0]
	if p.ID != 2 || p.State != v2x.LightGreen || p.MinEnd != 16824 || p.MaxEnd != 16924 || p.LikelyEnd != v2x.TimeUnknown || p.Start != v2x.TimeUnknown {
		t.Errorf("signal group 2: %+v, want green, min end +16824 ms, max +16924 ms", p)
	}
	if q := out.Phases[1]; q.ID != 4 || q.State != v2x.LightRed || q.MinEnd != 22924 {
		t.Errorf("signal group 4: %+v", q)
	}
	if n := testing.AllocsPerRun(50, func() { s.ToModel(0, ref.UnixNano(), &out) }); n != 0 {
		t.Errorf("SPAT ToModel: %.0f allocations", n)
	}
}

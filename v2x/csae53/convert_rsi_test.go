package csae53

import (
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

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
	// An end within a minute is rounded up, never early.
	in.Events[0].EndNS = start + int64(90*time.Second)
	if err := RSIFromModel(&in, 7, &m); err != nil {
		t.Fatal(err)
	}
	m.ToModel(start, &out)
	if got := out.Events[0].EndNS; got != start+int64(2*time.Minute) {
		t.Errorf("end %v after the start, want 2m0s", time.Duration(got-start))
	}
	if err := RSIFromModel(&v2x.RSI{}, 0, &m); err == nil {
		t.Error("an RSI without events encoded")
	}
}

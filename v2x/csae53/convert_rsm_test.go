package csae53

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

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

package csae53

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

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

package j2735

import (
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

func TestBSMFromModelRoundTrip(t *testing.T) {
	in := v2x.BSM{VehicleID: 0xdeadbeef, MsgCount: 9, Lat: 42.3311234, Lon: -83.0451234, Elevation: 180.2, Speed: 12.34,
		Heading: 359.99, AccelLon: 0.8, YawRate: 2.5, Length: 4.8, Width: 1.9, Class: v2x.ClassCar, AccSemiMajor: 2, AccSemiMinor: 1.5, AccOrientation: 90}
	var m BSM
	BSMFromModel(&in, 41000, &m)
	b, err := AppendBSM(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	var back BSM
	if err := DecodeBSM(b, &back); err != nil {
		t.Fatal(err)
	}
	var out v2x.BSM
	back.ToModel(&out)
	ok := func(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
	if out.VehicleID != in.VehicleID || back.Core.SecMark != 41000 || !ok(out.Lat, in.Lat, 1e-7) || !ok(out.Lon, in.Lon, 1e-7) ||
		!ok(float64(out.Speed), 12.34, 0.02) || !ok(float64(out.Heading), 359.99, 0.0125) || !ok(float64(out.Length), 4.8, 0.01) ||
		!ok(float64(out.AccSemiMajor), 2, 0.05) || !ok(float64(out.YawRate), 2.5, 0.01) {
		t.Errorf("round trip:\n in %+v\nout %+v", in, out)
	}
}

func TestBSMToModel(t *testing.T) {
	c := BSMCore{MsgCnt: 88, ID: [4]byte{0xbe, 0xa1, 0, 0}, Lat: 411642143, Long: -1048434120, Elev: 18822, SemiMajor: 20, SemiMinor: 10,
		Orientation: 65535 / 4, Speed: 500, Heading: 7200, AccLong: 150, AccLat: 2001, AccVert: -127, Yaw: -250, Width: 180, Length: 450}
	var b v2x.BSM
	(&BSM{Core: c}).ToModel(&b)
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-2 }
	if b.VehicleID != 0xbea10000 || !near(b.Lat, 41.1642143) || !near(b.Lon, -104.843412) || !near(float64(b.Elevation), 1882.2) ||
		!near(float64(b.Speed), 10) || !near(float64(b.Heading), 90) || !near(float64(b.AccelLon), 1.5) || b.AccelLat != 0 ||
		b.AccelVert != 0 || !near(float64(b.YawRate), -2.5) || !near(float64(b.Width), 1.8) || !near(float64(b.Length), 4.5) ||
		!near(float64(b.AccSemiMajor), 1) || !near(float64(b.AccOrientation), 90) {
		t.Fatalf("got %+v", b)
	}
	c.Lat = 900000001
	(&BSM{Core: c}).ToModel(&b)
	if !math.IsNaN(b.Lat) {
		t.Fatal("unavailable latitude is not NaN")
	}
}

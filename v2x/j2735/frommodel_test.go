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

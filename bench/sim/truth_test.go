package sim

import (
	"math"
	"testing"
)

// back rewinds a state along its motion: a vehicle on a circle, rewound,
// lands on the circle where it was.
func TestBack(t *testing.T) {
	const r, v = 10.0, 5.0 // metres, m/s; turning left around the origin
	at := func(tt float64) objState {
		th := v / r * tt // angle around the circle, counter-clockwise from east
		s, c := math.Sincos(th)
		dir := th + math.Pi/2
		ds, dc := math.Sincos(dir)
		return objState{e: r * c, n: r * s, ve: v * dc, vn: v * ds, speed: v, heading: compass(dir),
			yawRate: -v / r * 180 / math.Pi, accel: 0.5}
	}
	now := at(1)
	for _, dt := range []float64{0, 0.001, 0.01} {
		got, want := now.back(dt), at(1-dt)
		if d := math.Hypot(got.e-want.e, got.n-want.n); d > 0.5*v*v/r*dt*dt+1e-12 {
			t.Errorf("back(%v): %v m off", dt, d)
		}
		if d := math.Abs(wrapDeg(got.heading-want.heading+180) - 180); d > 1e-9 {
			t.Errorf("back(%v): heading %v, want %v", dt, got.heading, want.heading)
		}
		if math.Abs(got.speed-(v-0.5*dt)) > 1e-12 {
			t.Errorf("back(%v): speed %v", dt, got.speed)
		}
	}
	still := objState{e: 1, n: 2, heading: 30}
	if b := still.back(0.01); b != still {
		t.Errorf("a standing object moved: %+v", b)
	}
}

// Truth positions: latitude and longitude are those of E, N.
func TestTruthGeodesy(t *testing.T) {
	s := newSim(t, func(c *Config) { c.RefLat, c.RefLon = -33.86, 151.21 })
	tr := s.Truth(nil)
	if len(tr) == 0 {
		t.Fatal("no objects")
	}
	for _, o := range tr {
		e, n, _ := s.frame.ToENU(o.Lat, o.Lon, 0)
		if math.Hypot(e-o.E, n-o.N) > 1e-6 {
			t.Fatalf("object %d: lat/lon at %.3f,%.3f, E/N %.3f,%.3f", o.ID, e, n, o.E, o.N)
		}
	}
}

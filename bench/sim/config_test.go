package sim

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

func TestSetDefaults(t *testing.T) {
	var c Config
	c.SetDefaults()
	want := Config{RefLat: DefaultRefLat, RefLon: DefaultRefLon, VehiclesPerMin: 8, PedestriansPerMin: 2, EquippedShare: 0.3,
		Cameras: 4, CameraClockOffsetMax: 500 * time.Millisecond, GNSSSigma: 1}
	if c != want {
		t.Errorf("defaults %+v, want %+v", c, want)
	}
	// Set fields stay.
	c = Config{Seed: 3, RefLat: 0, RefLon: 10, Cameras: 2, GNSSSigma: 0.5, Dense: true, CameraDropRate: 0.1}
	c.SetDefaults()
	if c.Seed != 3 || c.RefLat != 0 || c.RefLon != 10 || c.Cameras != 2 || c.GNSSSigma != 0.5 || !c.Dense || c.CameraDropRate != 0.1 {
		t.Errorf("SetDefaults changed set fields: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string // substring of the error; "" for none
	}{
		{"defaults", func(*Config) {}, ""},
		{"zeros", func(c *Config) { *c = Config{} }, ""},
		{"max", func(c *Config) {
			c.Cameras, c.VehiclesPerMin, c.PedestriansPerMin, c.EquippedShare, c.CameraDropRate = 12, 120, 60, 1, 1
		}, ""},
		{"lat", func(c *Config) { c.RefLat = 91 }, "latitude"},
		{"lat nan", func(c *Config) { c.RefLat = math.NaN() }, "latitude"},
		{"lon", func(c *Config) { c.RefLon = -181 }, "longitude"},
		{"vehicles negative", func(c *Config) { c.VehiclesPerMin = -1 }, "vehicles per minute"},
		{"vehicles too many", func(c *Config) { c.VehiclesPerMin = 1000 }, "vehicles per minute"},
		{"vehicles inf", func(c *Config) { c.VehiclesPerMin = math.Inf(1) }, "vehicles per minute"},
		{"pedestrians", func(c *Config) { c.PedestriansPerMin = -0.5 }, "pedestrians per minute"},
		{"equipped", func(c *Config) { c.EquippedShare = 1.5 }, "equipped share"},
		{"cameras negative", func(c *Config) { c.Cameras = -1 }, "cameras"},
		{"cameras too many", func(c *Config) { c.Cameras = 13 }, "cameras"},
		{"clock offset", func(c *Config) { c.CameraClockOffsetMax = -time.Millisecond }, "clock offset"},
		{"gnss", func(c *Config) { c.GNSSSigma = -1 }, "gnss sigma"},
		{"gnss nan", func(c *Config) { c.GNSSSigma = math.NaN() }, "gnss sigma"},
		{"drop", func(c *Config) { c.CameraDropRate = 2 }, "drop rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			c.SetDefaults()
			tc.mod(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("no error, want one about %s", tc.want)
			case err != nil && (!strings.Contains(err.Error(), tc.want) || err.Error() != strings.ToLower(err.Error()[:1])+err.Error()[1:]):
				t.Fatalf("error %q, want a lowercase one about %q", err, tc.want)
			}
			if _, nerr := New(c); (nerr == nil) != (err == nil) {
				t.Fatalf("New: %v, Validate: %v", nerr, err)
			}
		})
	}
}

// New uses the config as given: zero cameras, pedestrians or equipped
// vehicles mean none.
func TestZeroMeansNone(t *testing.T) {
	s := newSim(t, func(c *Config) { c.Cameras, c.PedestriansPerMin, c.EquippedShare = 0, 0, 0 })
	if n := len(s.Sources()); n != 3 {
		t.Errorf("%d sources, want 3", n)
	}
	for _, o := range s.Truth(nil) {
		if o.Equipped || o.Class == v2x.ClassPedestrian {
			t.Errorf("object %+v with no equipped vehicles or pedestrians configured", o)
		}
	}
	for _, o := range collect(s, 2*time.Second) {
		if o.Type == MsgBSM || o.Type == MsgObjectList {
			t.Fatalf("got a %v", o.Type)
		}
	}
}

func TestDenseEffective(t *testing.T) {
	c := Config{VehiclesPerMin: 8, PedestriansPerMin: 2, Dense: true}
	v, p, leg := c.effective()
	if v != DenseVehiclesPerMin || p != DensePedestriansPerMin || leg != denseLegLength {
		t.Errorf("dense: %v vehicles/min, %v pedestrians/min, %v m legs", v, p, leg)
	}
	c.VehiclesPerMin = 100
	if v, _, _ := c.effective(); v != 100 {
		t.Errorf("dense with 100 vehicles/min configured runs %v", v)
	}
}

package trust

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestConfigValidateCameras(t *testing.T) {
	ok := Camera{Identity: "cam-1", Sensor: 11, Lat: 22.5431, Lon: 114.0579, Heading: 45, Opening: 95, Range: 90, MinRange: 1}
	for _, c := range []struct {
		name string
		mod  func(*Config)
		want string // in the error; "" none
	}{
		{"none", func(*Config) {}, ""},
		{"one", func(c *Config) { c.Cameras = []Camera{ok} }, ""},
		{"any identity and a full circle", func(c *Config) { d := ok; d.Identity, d.Opening = "", 360; c.Cameras = []Camera{d} }, ""},
		{"twice", func(c *Config) { c.Cameras = []Camera{ok, ok} }, "declared again"},
		{"no position", func(c *Config) { d := ok; d.Lat, d.Lon = 0, 0; c.Cameras = []Camera{d} }, "no position"},
		{"latitude 95", func(c *Config) { d := ok; d.Lat = 95; c.Cameras = []Camera{d} }, "no position"},
		{"heading 360", func(c *Config) { d := ok; d.Heading = 360; c.Cameras = []Camera{d} }, "heading"},
		{"opening 0", func(c *Config) { d := ok; d.Opening = 0; c.Cameras = []Camera{d} }, "opening"},
		{"range 0", func(c *Config) { d := ok; d.Range = 0; c.Cameras = []Camera{d} }, "range"},
		{"range 2 km", func(c *Config) { d := ok; d.Range = 2000; c.Cameras = []Camera{d} }, "range"},
		{"blind zone past the range", func(c *Config) { d := ok; d.MinRange = 90; c.Cameras = []Camera{d} }, "min_range"},
		{"too many", func(c *Config) { c.Cameras = make([]Camera, maxCameraDecls+1) }, "at most"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cfg Config
			c.mod(&cfg)
			err := cfg.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("Validate: %v, want an error saying %q", err, c.want)
			}
		})
	}
}

func TestCameraJSONRefusesUnknownFields(t *testing.T) {
	var c Config
	if err := json.Unmarshal([]byte(`{"cameras": [{"sensor": 11, "lat": 22.5, "lon": 114.1, "heading": 10, "opening": 90, "range": 80, "min_range": 1}]}`), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Cameras) != 1 || c.Cameras[0].MinRange != 1 || c.Cameras[0].Sensor != 11 {
		t.Fatalf("decoded %+v", c.Cameras)
	}
	err := json.Unmarshal([]byte(`{"cameras": [{"sensor": 11, "minrange": 1}]}`), &c)
	if err == nil || !strings.Contains(err.Error(), "minrange") {
		t.Errorf("a misspelt field: %v, want an error naming it", err)
	}
}

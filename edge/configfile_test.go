package edge

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigFileErrors: each error of a configuration file names the file,
// line and column, the field, the value as written and what is wanted, and
// never a Go type.
func TestConfigFileErrors(t *testing.T) {
	cases := []struct {
		name, file string
		want       []string // the errors, one per line, in order
	}{
		{"duration as a number", "{\n  \"listen\": \"127.0.0.1:4433\",\n  \"stale_after\": 5\n}",
			[]string{`node.json:3:18: "stale_after": 5 is not a duration (want a string such as "250ms")`}},
		{"duration without unit", `{"publish_tick": "100"}`,
			[]string{`node.json:1:18: "publish_tick": "100" is not a duration (want a string such as "250ms"): time: missing unit in duration "100"`}},
		{"list for a number", `{"max_frame": [1,2]}`,
			[]string{`node.json:1:15: "max_frame": [1,2] is not a number (want a whole number such as 100)`}},
		{"fraction for a whole number", `{"inbox_size": 1.5}`,
			[]string{`node.json:1:16: "inbox_size": 1.5 is not a whole number that fits in 64 bits (want one such as 100)`}},
		{"number for a string", `{"listen": 4433}`,
			[]string{`node.json:1:12: "listen": 4433 is not a string (want a JSON string in quotes)`}},
		{"string for a boolean", `{"no_datagrams": "yes"}`,
			[]string{`node.json:1:18: "no_datagrams": "yes" is not a boolean (want true or false)`}},
		{"string for a list", `{"hosts": "edge.local"}`,
			[]string{`node.json:1:11: "hosts": "edge.local" is not a list of strings (want ["a", "b"])`}},
		{"ref_lat alone", "{\"ref_lat\": 22.5431}",
			[]string{`node.json:1:13: "ref_lat" is given without "ref_lon" (give both, or neither)`}},
		{"ref_lon alone", "{\"ref_lon\": 114.0579}",
			[]string{`node.json:1:13: "ref_lon" is given without "ref_lat" (give both, or neither)`}},
		{"unknown field, close to a known one", "{\n\"stale_aftr\": \"1s\"}",
			[]string{`node.json:2:1: unknown field "stale_aftr" (did you mean "stale_after"?)`}},
		{"unknown field in track", `{"track": {"Gate": 3}}`,
			[]string{`node.json:1:12: track: unknown field "Gate" (known: FixedLagNS, `}},
		{"nested wrong type", `{"track": {"GateChi2": "13.8"}}`,
			[]string{`node.json:1:24: track: "GateChi2": "13.8" is not a number (want a number such as 22.5431)`}},
		{"truncated", "{\"listen\": \"127.0.0.1:4433\",\n \"stale_after\": \"1s\"",
			[]string{`node.json:2:21: not valid JSON: unexpected end of JSON input`}},
		{"syntax error", "{\"listen\": \"x\",\n  , \"http\": \"\"}",
			[]string{`node.json:2:3: not valid JSON: invalid character ',' looking for beginning of object key string`}},
		{"not an object", ` [1, 2]`, []string{`node.json:1:2: the configuration must be a JSON object ({...})`}},
		{"prefix not a string", `{"xdp_allow": [17]}`,
			[]string{`node.json:1:16: xdp_allow[0] 17: not a string (want a prefix or address such as "192.0.2.0/24")`}},
		{"every error at once, in file order", "{\"max_frame\": \"1MB\",\n \"stale_after\": 1,\n \"colour\": 2}",
			[]string{`node.json:1:15: "max_frame": "1MB" is not a number`, `node.json:2:17: "stale_after": 1 is not a duration`,
				`node.json:3:2: unknown field "colour"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "node.json")
			if err := os.WriteFile(path, []byte(c.file), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := DefaultConfig()
			err := LoadConfigFile(path, &cfg)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(c.want) {
				t.Fatalf("%d errors:\n%v\nwant %d: %q", len(lines), err, len(c.want), c.want)
			}
			for i, l := range lines {
				l = strings.TrimPrefix(l, filepath.Dir(path)+string(filepath.Separator))
				if !strings.HasPrefix(l, c.want[i]) {
					t.Errorf("error %d:\n%s\nwant it to start with\n%s", i, l, c.want[i])
				}
				for _, goType := range []string{"Go struct", "Go value", "float64", "int64", "[]string", "time.Duration"} {
					if strings.Contains(l, goType) {
						t.Errorf("error %q names the Go type %s", l, goType)
					}
				}
			}
			if !wraps(err) {
				t.Errorf("error %v wraps nothing with %%w", err)
			}
		})
	}
}

// TestConfigFileFields: a file sets what it names, nested objects field by
// field, and leaves the rest.
func TestConfigFileFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.json")
	file := `{"listen": "0.0.0.0:4433", "ref_lat": 22.5431, "ref_lon": 114.0579, "stale_after": "250ms",
	"hosts": ["edge.local"], "no_datagrams": true, "track": {"GateChi2": 9.2}, "xdp_limits": {"prefix4": 20}, "xdp_deny": null}`
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Track.MaxGateDistance = 7
	if err := LoadConfigFile(path, &c); err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	if c.Listen != "0.0.0.0:4433" || c.RefLat != 22.5431 || c.RefLon != 114.0579 || c.StaleAfter != 250*time.Millisecond ||
		len(c.Hosts) != 1 || !c.NoDatagrams || c.Track.GateChi2 != 9.2 || c.Track.MaxGateDistance != 7 ||
		c.XDPLimits.Prefix4 != 20 || c.XDPLimits.Prefix6 != d.XDPLimits.Prefix6 || c.MaxFrame != d.MaxFrame {
		t.Errorf("loaded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

// TestValidateReferencePoint: a half-given reference point names the
// missing field instead of printing NaN.
func TestValidateReferencePoint(t *testing.T) {
	for _, c := range []struct {
		lat, lon float64
		want     string
	}{
		{22.5431, math.NaN(), "ref_lon is missing: ref_lat 22.5431 is given without it (give both, or neither)"},
		{math.NaN(), 114.0579, "ref_lat is missing: ref_lon 114.0579 is given without it (give both, or neither)"},
		{95, 114, "ref_lat 95 is not a latitude (want -90..90)"},
		{22.543083199999998, 190, "ref_lon 190 is not a longitude (want -180..180)"},
		{math.NaN(), math.NaN(), ""},
		{22.5, 114, ""},
	} {
		cfg := DefaultConfig()
		cfg.RefLat, cfg.RefLon = c.lat, c.lon
		err := cfg.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v,%v: %v", c.lat, c.lon, err)
		case c.want != "" && (err == nil || err.Error() != c.want):
			t.Errorf("%v,%v: %v, want %s", c.lat, c.lon, err, c.want)
		}
	}
}

// TestConfigFileQuotasAndLimits: the resource limits load field by field
// (a role's quota given, the others kept), name their fields in errors,
// and validate.
func TestConfigFileQuotasAndLimits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.json")
	file := `{"frame_timeout": "2s", "http_idle_timeout": "20s", "uper_allow": ["10.1.0.0/16"], "uper_rcvbuf": 1048576,
	"quotas": {"producer": {"frames_per_sec": 500}, "label_limit": 8}}`
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := LoadConfigFile(path, &c); err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	if c.FrameTimeout != 2*time.Second || c.HTTPIdleTimeout != 20*time.Second || len(c.UPERAllow) != 1 || c.UPERRcvbuf != 1<<20 ||
		c.Quotas.Producer.FramesPerSec != 500 || c.Quotas.Producer.ObjectsPerSec != d.Quotas.Producer.ObjectsPerSec ||
		c.Quotas.Subscriber != d.Quotas.Subscriber || c.Quotas.LabelLimit != 8 {
		t.Errorf("loaded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	err := loadConfig("node.json", []byte(`{"quotas": {"producer": {"frame_per_sec": 1}}}`), &c)
	if err == nil || !strings.Contains(err.Error(), `quotas: producer: unknown field "frame_per_sec" (did you mean "frames_per_sec"?)`) {
		t.Errorf("unknown quota field: %v", err)
	}
	c = DefaultConfig()
	c.Quotas.Subscriber.Streams = -1
	c.FrameTimeout = 0
	c.UPERRcvbuf = 10
	err = c.Validate()
	for _, want := range []string{"quotas: subscriber: streams must be 0 (no limit) or positive, is -1", "frame_timeout must be positive",
		"uper_rcvbuf 10 outside 4096.."} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate: %v, want it to say %q", err, want)
		}
	}
}

// Cameras' detection areas are declared in the file under trust.cameras,
// validated with the rest.
func TestConfigFileDeclaredCameras(t *testing.T) {
	c := DefaultConfig()
	err := loadConfig("node.json", []byte(`{"trust": {"cameras": [
		{"identity": "cam-ne", "sensor": 13, "lat": 22.54319, "lon": 114.05800, "heading": 225, "opening": 95, "range": 90, "min_range": 1}]}}`), &c)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Trust.Cameras) != 1 || c.Trust.Cameras[0].Identity != "cam-ne" || c.Trust.Cameras[0].Range != 90 {
		t.Fatalf("loaded %+v", c.Trust.Cameras)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	c.Trust.Cameras[0].Opening = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "trust: cameras[0]") || !strings.Contains(err.Error(), "opening") {
		t.Errorf("validate: %v, want it to name trust.cameras[0]'s opening", err)
	}
	if err := loadConfig("node.json", []byte(`{"trust": {"cameras": [{"sensor": 13, "fov": 95}]}}`), &c); err == nil || !strings.Contains(err.Error(), "fov") {
		t.Errorf("unknown camera field: %v", err)
	}
}

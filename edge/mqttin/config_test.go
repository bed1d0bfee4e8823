package mqttin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseTopics(t *testing.T) {
	ts, err := ParseTopics(DefaultTopics)
	if err != nil || len(ts) != 3 || ts[0] != (Topic{KindRSM, "V2X/RSU/+/RSM/UP/#"}) || ts[2].Kind != KindSPAT {
		t.Fatalf("defaults: %v, %v", ts, err)
	}
	for _, tc := range []struct{ in, err string }{
		{"rsm", "KIND=FILTER"},
		{"bsm=a/b", `unknown topic kind "bsm"`},
		{"uper=", "empty filter"},
		{"map=a/#/b", "'#' must be the last level"},
		{"map=a/b#", "'#' must be the last level"},
		{"spat=a/x+/b", "'+' must be a whole level"},
	} {
		if _, err := ParseTopics([]string{tc.in}); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: error %v, want one containing %q", tc.in, err, tc.err)
		}
	}
	if _, err := ParseTopics([]string{"rsm=a/b", "map=a/b"}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a filter twice: %v", err)
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		filter, topic string
		want          bool
	}{
		{"V2X/RSU/+/RSM/UP/#", "V2X/RSU/R328328/RSM/UP/DAWNLINE", true},
		{"V2X/RSU/+/RSM/UP/#", "V2X/RSU/R328328/RSM/UP", true},
		{"V2X/RSU/+/RSM/UP/#", "V2X/RSU/R328328/RSM/DOWN", false},
		{"V2X/RSU/+/MAP/UP", "V2X/RSU/1/MAP/UP", true},
		{"V2X/RSU/+/MAP/UP", "V2X/RSU/1/MAP/UP/ACK", false},
		{"V2X/RSU/+/MAP/UP", "V2X/RSU/MAP/UP", false},
		{"+/+", "a/b", true},
		{"+", "a/b", false},
		{"#", "a/b/c", true},
		{"#", "$SYS/broker", false},
		{"$SYS/#", "$SYS/broker", true},
		{"a/+/c", "a//c", true},
	} {
		if got := Match(tc.filter, tc.topic); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.filter, tc.topic, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var off Config
	if err := off.Validate(); err != nil {
		t.Errorf("off: %v", err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		err  string // "" valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"credentials", func(c *Config) { c.Username, c.PasswordFile = "rsu", pw }, ""},
		{"scheme", func(c *Config) { c.URL = "http://127.0.0.1:1883" }, `scheme "http"`},
		{"no host", func(c *Config) { c.URL = "tcp://" }, "no host"},
		{"no topics", func(c *Config) { c.Topics = []string{} }, "topics: none"},
		{"bad topic", func(c *Config) { c.Topics = []string{"rsm=a/#/b"} }, "'#'"},
		{"password without user", func(c *Config) { c.PasswordFile = pw }, "without username"},
		{"missing password file", func(c *Config) { c.Username, c.PasswordFile = "rsu", filepath.Join(dir, "nope") }, "password_file"},
		{"cert without key", func(c *Config) { c.Cert = pw }, "together"},
		{"qos", func(c *Config) { c.QoS = 2 }, "qos 2"},
		{"identity", func(c *Config) { c.Identity = "rsu" }, "mqtt identity"},
		{"uper std", func(c *Config) { c.UPERStd = "etsi" }, "uper_std"},
		{"queue", func(c *Config) { c.Queue = -1 }, "queue -1"},
		{"queue bytes", func(c *Config) { c.QueueBytes = 1000 }, "queue_bytes 1000"},
		{"keep alive", func(c *Config) { c.KeepAlive = time.Millisecond }, "keep_alive"},
	} {
		c := Config{URL: "tcp://127.0.0.1:1883"}
		c.SetDefaults()
		tc.mod(&c)
		err := c.Validate()
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
	}
}

func TestReadPassword(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ content, want, err string }{
		{"secret\n", "secret", ""},
		{"secret\r\nignored\n", "secret", ""},
		{"\nsecret\n", "", "empty"},
	} {
		f := filepath.Join(dir, "pw")
		if err := os.WriteFile(f, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := readPassword(f)
		if got != tc.want || (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %q, %v", tc.content, got, err)
		}
	}
}

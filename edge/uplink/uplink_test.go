package uplink

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	notCreds := filepath.Join(dir, "x.creds")
	os.WriteFile(notCreds, []byte("hello\n"), 0o600)
	for _, c := range []struct {
		name string
		mod  func(*Config)
		want string // in the error; "" for valid
	}{
		{"off", func(c *Config) { c.URLs = nil }, ""},
		{"good", func(c *Config) {}, ""},
		{"several urls", func(c *Config) { c.URLs = []string{"nats://a:4222", "tls://b:4443", "c"} }, ""},
		{"bad scheme", func(c *Config) { c.URLs = []string{"http://a:4222"} }, `scheme "http"`},
		{"no host", func(c *Config) { c.URLs = []string{"nats://:4222"} }, "no host"},
		{"bad port", func(c *Config) { c.URLs = []string{"nats://a:99999"} }, "port"},
		{"no node id", func(c *Config) { c.NodeID = "" }, "-node-id"},
		{"node id with a dot", func(c *Config) { c.NodeID = "a.b" }, "subject token"},
		{"region wildcard", func(c *Config) { c.Region = "*" }, "region"},
		{"replicas", func(c *Config) { c.Replicas = 7 }, "replicas"},
		{"dedup beyond max age", func(c *Config) { c.MaxAge = time.Minute; c.Dedup = time.Hour }, "dedup"},
		{"rate", func(c *Config) { c.StateRate = -1 }, "state_rate"},
		{"buffer", func(c *Config) { c.Buffer = -1 }, "buffer"},
		{"window", func(c *Config) { c.Window = 5000 }, "window"},
		{"missing creds", func(c *Config) { c.CredsFile = filepath.Join(dir, "none.creds") }, "credentials"},
		{"not creds", func(c *Config) { c.CredsFile = notCreds }, "no user JWT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{URLs: []string{"nats://127.0.0.1:4222"}, NodeID: "n1"}
			c.mod(&cfg)
			cfg.SetDefaults()
			err := cfg.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

func TestSubjects(t *testing.T) {
	s := Subject("sz", "n7", StateSuffix)
	if s != "v2x.sz.n7.state" {
		t.Fatal(s)
	}
	r, n, suf, ok := ParseSubject(s)
	if !ok || r != "sz" || n != "n7" || suf != "state" {
		t.Fatal(r, n, suf, ok)
	}
	if _, _, _, ok := ParseSubject("v2x.a.b"); ok {
		t.Error("three tokens parsed")
	}
	for _, c := range []struct {
		f, s string
		want bool
	}{
		{EventsWildcard, "v2x.sz.n7.events", true},
		{EventsWildcard, "v2x.sz.n7.state", false},
		{"v2x.>", "v2x.sz.n7.events", true},
		{"v2x.sz.>", "v2x.gz.n7.events", false},
		{"v2x.*.*", "v2x.sz.n7.events", false},
		{"v2x.sz.n7.events", "v2x.sz.n7.events", true},
	} {
		if got := subjectCovers(c.f, c.s); got != c.want {
			t.Errorf("subjectCovers(%q, %q) = %v", c.f, c.s, got)
		}
	}
}

func newTestUplink(t *testing.T, buffer int) (*Uplink, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	u, err := New(Config{URLs: []string{"nats://127.0.0.1:1"}, NodeID: "n1", Buffer: buffer}, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	return u, reg
}

// TestEventBufferBound: events beyond the buffer are dropped and counted;
// their sequence numbers are not reused.
func TestEventBufferBound(t *testing.T) {
	u, _ := newTestUplink(t, 3)
	ev := wire.AppendEvent(nil, &wire.Event{TimeNS: 1, Lat: math.NaN(), Lon: math.NaN()})
	for range 5 {
		u.Event(ev, 1)
	}
	if got := testutil.ToFloat64(u.m.eventDropped); got != 2 {
		t.Errorf("dropped %v, want 2", got)
	}
	if got := testutil.ToFloat64(u.m.buffered); got != 3 {
		t.Errorf("buffered %v, want 3", got)
	}
	win := u.peek(nil, 10)
	if len(win) != 3 || win[0].seq != 1 || win[2].seq != 3 {
		t.Fatalf("buffer %+v", win)
	}
	u.pop(2)
	u.Event(ev, 1)
	win = u.peek(win, 10)
	if len(win) != 2 || win[0].seq != 3 || win[1].seq != 6 {
		t.Fatalf("after pop: seqs %d, %d; want 3, 6", win[0].seq, win[1].seq)
	}
	var e wire.Event
	h, err := DecodeEvent(win[1].frame, &e)
	if err != nil || h.Seq != 6 || h.Type != wire.TypeEvent {
		t.Fatalf("frame: %+v %v", h, err)
	}
	if got := u.msgID(6); !strings.HasPrefix(got, "n1.") || !strings.HasSuffix(got, ".6") {
		t.Errorf("message id %q", got)
	}
}

// TestHandOffAllocatesNothing: State and Event, what the node's side
// calls, copy into buffers they keep.
func TestHandOffAllocatesNothing(t *testing.T) {
	u, _ := newTestUplink(t, 16)
	payload := stateKeyframe(t, 20)
	ev := wire.AppendEvent(nil, &wire.Event{TimeNS: 1, Lat: math.NaN(), Lon: math.NaN(), Text: "x"})
	u.State(payload, 1, 0, 1, true)
	for range 16 {
		u.Event(ev, 1)
	}
	u.pop(16)
	allocs := testing.AllocsPerRun(100, func() {
		u.State(payload, 2, 1, 2, false)
		u.Event(ev, 2)
		u.pop(1)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per hand-off", allocs)
	}
}

// stateKeyframe returns an Update payload: a keyframe of n objects.
func stateKeyframe(t testing.TB, n int) []byte {
	t.Helper()
	var p wire.PackedState
	p.Intersection, p.IngestNS = 7, 5
	for i := range n {
		var po wire.PackedObject
		po.Pack(&wire.StateObject{ID: uint32(i + 1), Class: v2x.ClassCar, Lat: 22.5 + float64(i)*1e-5, Lon: 114, E: float32(i), Speed: 3})
		p.Objects = append(p.Objects, po)
	}
	raw := wire.AppendDelta(nil, nil, &p)
	b := wire.AppendUpdate(nil, &wire.Update{Flags: wire.UpdateKeyframe, Compression: wire.CompressNone, RawLen: uint32(len(raw))})
	b, err := wire.AppendCompressed(b, raw, wire.CompressNone)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStateDecoder: a keyframe decodes; a delta without its base waits.
func TestStateDecoder(t *testing.T) {
	u, _ := newTestUplink(t, 1)
	u.State(stateKeyframe(t, 3), 10, 0, 99, true)
	key := append([]byte(nil), u.st.frame...)
	var d StateDecoder
	var st wire.State
	h, err := d.Decode(key, &st)
	if err != nil {
		t.Fatal(err)
	}
	if h.Seq != 10 || h.Capture != 99 || len(st.Objects) != 3 || st.Intersection != 7 {
		t.Fatalf("header %+v state %+v", h, st)
	}
	// A delta against a state the decoder does not hold.
	var p wire.PackedState
	raw := wire.AppendDelta(nil, &p, &p)
	b := wire.AppendUpdate(nil, &wire.Update{Compression: wire.CompressNone, BaseSeq: 9, RawLen: uint32(len(raw))})
	b, _ = wire.AppendCompressed(b, raw, wire.CompressNone)
	u.State(b, 11, 9, 100, false)
	if _, err := d.Decode(u.st.frame, &st); err != ErrWaiting {
		t.Fatalf("delta without base: %v, want ErrWaiting", err)
	}
	if _, err := d.Decode(key[:len(key)-1], &st); err == nil {
		t.Error("truncated message decoded")
	}
}

func FuzzStateDecoder(f *testing.F) {
	u, err := New(Config{URLs: []string{"nats://127.0.0.1:1"}, NodeID: "n1"}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	u.State(stateKeyframe(f, 5), 1, 0, 1, true)
	f.Add(append([]byte(nil), u.st.frame...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var d StateDecoder
		var st wire.State
		d.Decode(b, &st)
		d.Decode(b, &st)
	})
}

func FuzzDecodeEvent(f *testing.F) {
	u, err := New(Config{URLs: []string{"nats://127.0.0.1:1"}, NodeID: "n1"}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	u.Event(wire.AppendEvent(nil, &wire.Event{TimeNS: 5, Check: wire.CheckSpeed, Lat: 22.5, Lon: 114, Trust: 0.4, Identity: "cam-1", Text: "speed"}), 5)
	f.Add(append([]byte(nil), u.evq[0].frame...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e wire.Event
		DecodeEvent(b, &e)
	})
}

package render

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func TestWriteJSONAndSummary(t *testing.T) {
	u := &client.Update{Seq: 7, TimeNS: 1e18, AgeNS: 1500, IngestAgeNS: 2500, Synced: true}
	u.State = wire.State{Intersection: 1001,
		Objects: []wire.StateObject{{ID: 3, Class: v2x.ClassPedestrian, Lat: 22.5, Lon: 114.1, Speed: 1.3, Heading: 90}},
		Signals: []wire.SignalState{{Phase: 1, State: v2x.LightGreen, LikelyEndMS: 4200, MinEndMS: v2x.TimeUnknown, MaxEndMS: 9000}}}
	var b bytes.Buffer
	if err := WriteJSON(&b, u); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "\n") || strings.Count(b.String(), "\n") != 1 {
		t.Fatalf("not one JSON line: %q", b.String())
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["seq"] != 7.0 || got["age_us"] != 1.0 || got["time_ns"] != 1e18 {
		t.Errorf("seq/age_us/time_ns wrong: %v", got)
	}
	obj := got["objects"].([]any)[0].(map[string]any)
	if obj["class"] != "pedestrian" || obj["id"] != 3.0 || obj["speed"] == nil || obj["heading"] == nil {
		t.Errorf("object %v", obj)
	}
	sig := got["signals"].([]any)[0].(map[string]any)
	if sig["state"] != "green" || sig["ends_in_ms"] != 4200.0 || sig["min_end_ms"] != nil {
		t.Errorf("signal %v: want green, ends_in_ms 4200, min_end_ms null", sig)
	}
	s := Summary(u)
	for _, want := range []string{"seq 7", "objects 1", "pedestrian=1", "1:green(4.2s)"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary %q lacks %q", s, want)
		}
	}
}

// TestJSONRounds checks that each field is rounded to its broadcast
// precision (no float noise such as 22.543083199999998) and that a heading
// rounding up to 360 comes out as 0, inside the spec's [0, 360).
func TestJSONRounds(t *testing.T) {
	u := &client.Update{Seq: 1}
	u.State.Objects = []wire.StateObject{{ID: 1, Lat: 22.543083199999998, Lon: 114.05798765432, E: -12.345678, N: 0.1 + 0.2,
		Speed: 1.23456, Heading: 359.996, Length: 4.4999, Width: 1.8, CovEE: 0.123456, CovEN: -0.00021, CovNN: 0.5}}
	var b bytes.Buffer
	if err := WriteJSON(&b, u); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"lat":22.5430832,`, `"lon":114.0579877,`, `"e":-12.35,`, `"n":0.3,`, `"speed":1.23,`,
		`"heading":0,`, `"length":4.5,`, `"width":1.8,`, `"cov":[0.1235,-0.0002,0.5]`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JSON line lacks %s:\n%s", want, b.String())
		}
	}
	for _, c := range []struct{ in, want float32 }{{359.996, 0}, {359.994, 359.99}, {360, 0}, {0, 0}, {-0.001, 0}, {-90, 270}, {720.5, 0.5}} {
		if got := heading(c.in); got != c.want || math.Signbit(float64(got)) || got >= 360 {
			t.Errorf("heading(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

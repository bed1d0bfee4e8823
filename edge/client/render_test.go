package client

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func TestWriteJSONAndSummary(t *testing.T) {
	u := &Update{Seq: 7, TimeNS: 1e18, AgeNS: 1500, IngestAgeNS: 2500, Synced: true}
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

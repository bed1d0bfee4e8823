package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"
	"time"

	benchmqtt "github.com/v2x-edge/v2x-edge/bench/mqtt"
	"github.com/v2x-edge/v2x-edge/bench/mqtt/mqtttest"
)

// TestContractMQTT: v2x-edge -mqtt URL -mqtt-topics … against a real
// Mosquitto takes OpenV2X's MAP (its reference point and intersection)
// and an RSU's participants from their topics, and v2x-sub sees the
// participant in the fused state.
func TestContractMQTT(t *testing.T) {
	b := mqtttest.StartTest(t)
	bin := buildCommands(t)
	addr, httpAddr, data := startEdge(t, bin, "-mqtt", "tcp://"+b.Addr,
		"-mqtt-topics", "rsm=V2X/RSU/+/RSM/UP/#,map=V2X/RSU/+/MAP/UP,spat=V2X/RSU/+/SPAT/UP")
	mapJSON, err := os.ReadFile("../../v2x/openv2x/testdata/map.json")
	if err != nil {
		t.Fatal(err)
	}
	rsm, err := os.ReadFile("../../v2x/openv2x/testdata/rsm_dawnline.json")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := benchmqtt.Dial(b.Addr, "rsu-328328", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	// The sample's vehicle, driving on as its speed and heading say.
	var msgs []struct {
		DevPos  map[string]float64 `json:"dev_pos"`
		Content []map[string]any   `json:"content"`
	}
	if err := json.Unmarshal(rsm, &msgs); err != nil {
		t.Fatal(err)
	}
	p := msgs[0].Content[0]
	lat0, lon0, speed, heading := p["pos_lat"].(float64), p["pos_lon"].(float64), p["speed"].(float64), p["heading"].(float64)
	start := time.Now()
	go func() { // as an RSU: the MAP and its participants, 20 times a second
		defer close(done)
		sin, cos := math.Sincos(heading * math.Pi / 180)
		for ctx.Err() == nil {
			d := speed * time.Since(start).Seconds()
			p["pos_lat"] = lat0 + d*cos/111320
			p["pos_lon"] = lon0 + d*sin/(111320*math.Cos(lat0*math.Pi/180))
			b, _ := json.Marshal(msgs)
			if pub.Publish("V2X/RSU/R328328/MAP/UP", mapJSON) != nil || pub.Publish("V2X/RSU/R328328/RSM/UP/DAWNLINE", b) != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	defer func() { cancel(); <-done }()
	time.Sleep(time.Second) // connected, subscribed, the MAP in force
	lines := runSub(t, bin, addr, data, "-duration", "2s")
	found := false
	for _, l := range lines {
		for _, o := range l.Objects { // within 50 m of where it started, as fast and in the same direction
			found = found || *o.Class == "car" && math.Abs(*o.Lat-lat0) < 5e-4 && math.Abs(*o.Lon-lon0) < 5e-4 &&
				math.Abs(float64(*o.Speed)-speed) < 1 && math.Abs(float64(*o.Heading)-heading) < 5
		}
	}
	body := get(t, "http://"+httpAddr+"/metrics")
	if !found {
		n := 0
		for _, l := range lines {
			n += len(l.Objects)
		}
		t.Errorf("the RSU's participant is not in any of %d states (%d objects)\n%s", len(lines), n, body)
	}
	if v := metricValue(t, body, `v2x_mqtt_messages_total{kind="rsm",result="ok"}`); v < 1 {
		t.Errorf(`v2x_mqtt_messages_total{kind="rsm",result="ok"} = %v`, v)
	}
	if v := metricValue(t, body, "v2x_mqtt_connected"); v != 1 {
		t.Errorf("v2x_mqtt_connected = %v", v)
	}
}

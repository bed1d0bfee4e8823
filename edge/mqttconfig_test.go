package edge

import (
	"strings"
	"testing"
	"time"
)

// TestMQTTConfigFile: the "mqtt" object of the configuration file sets
// the MQTT ingest field by field, and its mistakes are reported with
// their position.
func TestMQTTConfigFile(t *testing.T) {
	c := DefaultConfig()
	err := loadConfig("node.json", []byte(`{"mqtt": {"url": "ssl://broker.example:8883", "topics": ["rsm=V2X/RSU/+/RSM/UP/#", "uper=rsu/+/uper"],
		"username": "edge", "qos": 1, "identity": "v2x-edge:rsu-7?roles=producer&kinds=rsu", "max_reconnect_interval": "1m"}}`), &c)
	if err != nil {
		t.Fatal(err)
	}
	m := c.MQTT
	if m.URL != "ssl://broker.example:8883" || len(m.Topics) != 2 || m.Topics[1] != "uper=rsu/+/uper" || m.Username != "edge" ||
		m.QoS != 1 || m.MaxReconnectInterval != time.Minute || m.Queue != 1024 || m.UPERStd != "csae53" {
		t.Errorf("mqtt config %+v", m)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid mqtt config refused: %v", err)
	}
	c.MQTT.Topics = []string{"bsm=x"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `unknown topic kind "bsm"`) {
		t.Errorf("bad topic kind: %v", err)
	}
	c = DefaultConfig()
	err = loadConfig("node.json", []byte("{\n  \"mqtt\": {\"url\": \"tcp://x:1883\", \"keep_alive\": 30}\n}"), &c)
	if err == nil || !strings.Contains(err.Error(), "node.json:2:") || !strings.Contains(err.Error(), "keep_alive") {
		t.Errorf("a number for a duration: %v", err)
	}
}

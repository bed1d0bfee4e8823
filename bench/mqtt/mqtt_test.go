package mqtt_test

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/mqtt"
	"github.com/v2x-edge/v2x-edge/bench/mqtt/mqtttest"
)

// TestRelayThroughMosquitto publishes numbered messages through a real
// broker to three subscribers; each gets every message, in order, intact.
func TestRelayThroughMosquitto(t *testing.T) {
	b := mqtttest.StartTest(t)
	var subs []*mqtt.Conn
	for i := range 3 {
		c, err := mqtt.Dial(b.Addr, fmt.Sprintf("sub-%d", i), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Subscribe("v2x/state"); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, c)
	}
	pub, err := mqtt.Dial(b.Addr, "pub", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	const n = 100
	payload := make([]byte, 3000) // bigger than one 7-bit length byte, as states are
	for i := range n {
		binary.BigEndian.PutUint32(payload, uint32(i))
		payload[len(payload)-1] = byte(i)
		if err := pub.Publish("v2x/state", payload); err != nil {
			t.Fatal(err)
		}
	}
	for k, c := range subs {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for i := range n {
			topic, p, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("subscriber %d, message %d: %v", k, i, err)
			}
			if topic != "v2x/state" || len(p) != len(payload) || binary.BigEndian.Uint32(p) != uint32(i) || p[len(p)-1] != byte(i) {
				t.Fatalf("subscriber %d, message %d: topic %q, %d bytes, number %d", k, i, topic, len(p), binary.BigEndian.Uint32(p))
			}
		}
	}
}

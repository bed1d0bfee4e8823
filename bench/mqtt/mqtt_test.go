package mqtt

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"testing"
	"time"
)

func startBroker(t *testing.T) *Broker {
	t.Helper()
	if FindMosquitto() == "" && os.Geteuid() != 0 {
		t.Skip("mosquitto is not installed, and installing it needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := EnsureMosquitto(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := StartMosquitto(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return b
}

// TestRelayThroughMosquitto publishes numbered messages through a real
// broker to three subscribers; each gets every message, in order, intact.
func TestRelayThroughMosquitto(t *testing.T) {
	b := startBroker(t)
	var subs []*Conn
	for i := range 3 {
		c, err := Dial(b.Addr, fmt.Sprintf("sub-%d", i), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Subscribe("v2x/state"); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, c)
	}
	pub, err := Dial(b.Addr, "pub", 5*time.Second)
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
		c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
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

func TestRemainingLength(t *testing.T) {
	for _, n := range []int{0, 127, 128, 16383, 16384, 2097151, 2097152} {
		b := appendHeader(nil, 0x30, n)
		var got, shift int
		for _, c := range b[1:] {
			got |= int(c&0x7f) << shift
			shift += 7
		}
		if got != n {
			t.Errorf("%d encodes as % x (%d)", n, b, got)
		}
	}
}

package mqttin

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeMessage is a paho.Message for route.
type fakeMessage struct {
	topic   string
	payload []byte
}

func (m fakeMessage) Duplicate() bool   { return false }
func (m fakeMessage) Qos() byte         { return 0 }
func (m fakeMessage) Retained() bool    { return false }
func (m fakeMessage) Topic() string     { return m.topic }
func (m fakeMessage) MessageID() uint16 { return 0 }
func (m fakeMessage) Payload() []byte   { return m.payload }
func (m fakeMessage) Ack()              {}

// TestRouteBoundedQueue: route never blocks; what the full queue or the
// payload bound refuses is counted per kind.
func TestRouteBoundedQueue(t *testing.T) {
	cfg := Config{URL: "tcp://127.0.0.1:1", Queue: 2, MaxPayload: 8, Topics: []string{"rsm=a/+", "uper=u/#"}}
	cfg.SetDefaults()
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		c.route(nil, fakeMessage{"a/1", []byte("{}")})
	}
	c.route(nil, fakeMessage{"u/x/y", []byte("0123456789")})
	c.route(nil, fakeMessage{"elsewhere", []byte("{}")})
	if got := testutil.ToFloat64(c.Counts.WithLabelValues("rsm", ResultDropped)); got != 3 {
		t.Errorf("rsm dropped %v, want 3", got)
	}
	if got := testutil.ToFloat64(c.Counts.WithLabelValues("uper", ResultTooLarge)); got != 1 {
		t.Errorf("uper too_large %v, want 1", got)
	}
	if len(c.Queue()) != 2 {
		t.Fatalf("%d queued, want 2", len(c.Queue()))
	}
	m := <-c.Queue()
	if m.Kind != KindRSM || m.Topic != "a/1" || string(m.Payload) != "{}" || m.Arrival == 0 {
		t.Errorf("queued %+v", m)
	}
}

package mqttin

import (
	"net"
	"runtime"
	"testing"
	"time"

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
	c.Done(&m)
	<-c.Queue() // Done not called: its bytes still count

	// The bytes bound: 8 bytes a message, 16 in all.
	cfg.Queue, cfg.QueueBytes = 10, 16
	c, err = New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c.route(nil, fakeMessage{"a/2", []byte("01234567")})
	}
	if got := testutil.ToFloat64(c.Counts.WithLabelValues("rsm", ResultDropped)); got != 1 || len(c.Queue()) != 2 {
		t.Fatalf("%v dropped, %d queued; want 1 and 2", got, len(c.Queue()))
	}
	m = <-c.Queue()
	c.Done(&m)
	c.route(nil, fakeMessage{"a/2", []byte("01234567")})
	if len(c.Queue()) != 2 {
		t.Errorf("%d queued after one was done, want 2", len(c.Queue()))
	}
}

// TestCloseWhileConnecting: closing a client that is still trying to
// reach an absent broker stops its attempts.
func TestCloseWhileConnecting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	before := runtime.NumGoroutine()
	cfg := Config{URL: "tcp://" + addr, ConnectRetry: time.Second}
	cfg.SetDefaults()
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left after Close (%d before)\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
	if c.IsConnected() {
		t.Error("connected")
	}
}

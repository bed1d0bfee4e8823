package natsproc

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestClusterKillRestart: a three-server cluster takes a stream replicated
// three times, keeps taking messages with one server killed, and the
// killed server comes back on its ports.
func TestClusterKillRestart(t *testing.T) {
	c := Start(t, Options{Servers: 3})
	nc, err := nats.Connect(c.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	publish := func(n int) {
		t.Helper()
		for i := range n {
			for {
				_, err := js.Publish(ctx, "t.x", []byte{byte(i)})
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("publish: %v", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	publish(10)
	c.Kill(0)
	publish(10)
	if err := c.Restart(0); err != nil {
		t.Fatal(err)
	}
	publish(10)
	s, err := js.Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 30 {
		t.Errorf("stream holds %d messages, want 30", info.State.Msgs)
	}
	if info.Config.Replicas != 3 {
		t.Errorf("replicas %d, want 3", info.Config.Replicas)
	}
}

package natspeer

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// TestServerRelays starts a real nats-server and passes a message through
// it from one connection to another.
func TestServerRelays(t *testing.T) {
	bin := Find()
	if bin == "" {
		t.Skip("nats-server is not installed (apt-get install nats-server)")
	}
	s, err := Start(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	sub, err := nats.Connect(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ss, err := sub.SubscribeSync("v2x.state")
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Flush(); err != nil {
		t.Fatal(err)
	}
	pub, err := nats.Connect(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if err := pub.Publish("v2x.state", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	m, err := ss.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != "hello" {
		t.Errorf("got %q", m.Data)
	}
}

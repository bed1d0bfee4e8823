// Package mqtt is the benchmark's MQTT client (QoS 0 publish and
// subscribe) for relaying the payload stream through a broker such as
// Mosquitto, and the broker itself (broker.go). The client is
// github.com/eclipse/paho.mqtt.golang, the library the node's MQTT ingest
// uses (edge/mqttin), behind the small blocking API the harness wants.
package mqtt

import (
	"errors"
	"fmt"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// queued is how many received messages wait for ReadMessage; beyond it
// the client stops reading from the broker (which then queues them, up to
// its max_queued_messages), as a client that reads only when asked would.
const queued = 1024

type message struct {
	topic   string
	payload []byte
}

// Conn is a connection to a broker. Publish and ReadMessage may be used
// from different goroutines, each from one.
type Conn struct {
	c        paho.Client
	in       chan message
	done     chan struct{} // closed when the connection is lost or closed
	doneOnce sync.Once
	mu       sync.Mutex
	err      error     // why done was closed
	deadline time.Time // of ReadMessage; zero: none
}

// Dial connects to the broker at addr (host:port) and completes the MQTT
// 3.1.1 handshake with a clean session, within timeout.
func Dial(addr, clientID string, timeout time.Duration) (*Conn, error) {
	m := &Conn{in: make(chan message, queued), done: make(chan struct{})}
	o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(clientID).
		SetCleanSession(true).SetProtocolVersion(4).SetKeepAlive(60 * time.Second).
		SetConnectTimeout(timeout).SetAutoReconnect(false).SetOrderMatters(true).
		SetConnectionLostHandler(func(_ paho.Client, err error) { m.end(fmt.Errorf("mqtt: connection lost: %w", err)) })
	m.c = paho.NewClient(o)
	tok := m.c.Connect()
	if !tok.WaitTimeout(timeout) {
		m.c.Disconnect(0)
		return nil, fmt.Errorf("mqtt: connect to %s: no answer within %v", addr, timeout)
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("mqtt: connect to %s: %w", addr, err)
	}
	return m, nil
}

func (m *Conn) end(err error) {
	m.doneOnce.Do(func() {
		m.mu.Lock()
		m.err = err
		m.mu.Unlock()
		close(m.done)
	})
}

// Subscribe subscribes to topic at QoS 0 and waits for the broker's
// acknowledgement.
func (m *Conn) Subscribe(topic string) error {
	tok := m.c.Subscribe(topic, 0, func(_ paho.Client, msg paho.Message) {
		select {
		case m.in <- message{msg.Topic(), msg.Payload()}:
		case <-m.done:
		}
	})
	if !tok.WaitTimeout(10 * time.Second) {
		return fmt.Errorf("mqtt: subscribe %q: no acknowledgement", topic)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("mqtt: subscribe %q: %w", topic, err)
	}
	if st, ok := tok.(*paho.SubscribeToken); ok && st.Result()[topic] == 0x80 {
		return fmt.Errorf("mqtt: subscription to %q refused", topic)
	}
	return nil
}

// Publish sends payload to topic at QoS 0 and returns once it is written
// (payload may be reused then).
func (m *Conn) Publish(topic string, payload []byte) error {
	tok := m.c.Publish(topic, 0, false, payload)
	select {
	case <-tok.Done():
		return tok.Error()
	case <-m.done:
		return m.closedErr()
	}
}

// SetReadDeadline makes ReadMessage fail after t; the zero time: never.
func (m *Conn) SetReadDeadline(t time.Time) {
	m.mu.Lock()
	m.deadline = t
	m.mu.Unlock()
}

// errDeadline is ReadMessage's error when its deadline passed.
var errDeadline = errors.New("mqtt: read deadline exceeded")

// ReadMessage returns the next published message. The slices are the
// caller's.
func (m *Conn) ReadMessage() (topic string, payload []byte, err error) {
	m.mu.Lock()
	d := m.deadline
	m.mu.Unlock()
	var timeout <-chan time.Time
	if !d.IsZero() {
		t := time.NewTimer(time.Until(d))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case msg := <-m.in:
		return msg.topic, msg.payload, nil
	case <-m.done:
		select { // what arrived before the end is still read
		case msg := <-m.in:
			return msg.topic, msg.payload, nil
		default:
			return "", nil, m.closedErr()
		}
	case <-timeout:
		return "", nil, errDeadline
	}
}

func (m *Conn) closedErr() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// Close disconnects.
func (m *Conn) Close() error {
	m.end(errors.New("mqtt: connection closed"))
	m.c.Disconnect(50)
	return nil
}

// Package mqtt is a minimal MQTT 3.1.1 client (QoS 0 publish and
// subscribe, no keep-alive) for relaying the benchmark's payload stream
// through a broker such as Mosquitto. It is the peer baseline's client,
// kept small so that its own overhead stays out of the broker's figures.
package mqtt

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Packet types (high nibble of the first byte).
const (
	typeConnect    = 1
	typeConnack    = 2
	typePublish    = 3
	typeSubscribe  = 8
	typeSuback     = 9
	typePingresp   = 13
	typeDisconnect = 14
)

// MaxPacket bounds a packet this client accepts.
const MaxPacket = 1 << 20

// Conn is a connection to a broker. Publish and ReadMessage may be used
// from different goroutines, each from one.
type Conn struct {
	c    net.Conn
	r    *bufio.Reader
	wbuf []byte
	rbuf []byte
}

// Dial connects to the broker at addr and completes the MQTT handshake
// with a clean session.
func Dial(addr, clientID string, timeout time.Duration) (*Conn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("mqtt: dial %s: %w", addr, err)
	}
	m := &Conn{c: c, r: bufio.NewReaderSize(c, 64<<10)}
	c.SetDeadline(time.Now().Add(timeout))
	var v []byte
	v = appendString(v, "MQTT")
	v = append(v, 4, 0x02, 0, 0) // level 4, clean session, keep-alive off
	v = appendString(v, clientID)
	if err := m.writePacket(typeConnect<<4, v); err != nil {
		c.Close()
		return nil, fmt.Errorf("mqtt: connect: %w", err)
	}
	t, p, err := m.readPacket()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("mqtt: connack: %w", err)
	}
	if t>>4 != typeConnack || len(p) != 2 || p[1] != 0 {
		c.Close()
		return nil, fmt.Errorf("mqtt: connection refused (packet %#x, % x)", t, p)
	}
	c.SetDeadline(time.Time{})
	return m, nil
}

// Subscribe subscribes to topic at QoS 0 and waits for the broker's
// acknowledgement.
func (m *Conn) Subscribe(topic string) error {
	v := []byte{0, 1} // packet id 1
	v = appendString(v, topic)
	v = append(v, 0)
	if err := m.writePacket(typeSubscribe<<4|0x2, v); err != nil {
		return fmt.Errorf("mqtt: subscribe: %w", err)
	}
	for {
		t, p, err := m.readPacket()
		if err != nil {
			return fmt.Errorf("mqtt: suback: %w", err)
		}
		if t>>4 == typeSuback {
			if len(p) != 3 || p[2] > 2 {
				return fmt.Errorf("mqtt: subscription to %q refused (% x)", topic, p)
			}
			return nil
		}
	}
}

// Publish sends payload to topic at QoS 0.
func (m *Conn) Publish(topic string, payload []byte) error {
	m.wbuf = appendHeader(m.wbuf[:0], typePublish<<4, 2+len(topic)+len(payload))
	m.wbuf = appendString(m.wbuf, topic)
	m.wbuf = append(m.wbuf, payload...)
	_, err := m.c.Write(m.wbuf)
	return err
}

// ReadMessage returns the next published message. The slices are valid
// until the next call.
func (m *Conn) ReadMessage() (topic string, payload []byte, err error) {
	for {
		t, p, err := m.readPacket()
		if err != nil {
			return "", nil, err
		}
		switch t >> 4 {
		case typePublish:
			if t&0x06 != 0 {
				return "", nil, errors.New("mqtt: QoS > 0 publish not supported")
			}
			if len(p) < 2 || int(binary.BigEndian.Uint16(p))+2 > len(p) {
				return "", nil, errors.New("mqtt: malformed publish")
			}
			n := int(binary.BigEndian.Uint16(p))
			return string(p[2 : 2+n]), p[2+n:], nil
		case typePingresp, typeSuback:
		default:
			return "", nil, fmt.Errorf("mqtt: unexpected packet %#x", t)
		}
	}
}

// Close disconnects.
func (m *Conn) Close() error {
	m.c.Write([]byte{typeDisconnect << 4, 0})
	return m.c.Close()
}

func (m *Conn) writePacket(first byte, body []byte) error {
	b := appendHeader(nil, first, len(body))
	_, err := m.c.Write(append(b, body...))
	return err
}

func (m *Conn) readPacket() (byte, []byte, error) {
	t, err := m.r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	var n, shift int
	for i := 0; ; i++ {
		b, err := m.r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		n |= int(b&0x7f) << shift
		shift += 7
		if b&0x80 == 0 {
			break
		}
		if i == 3 {
			return 0, nil, errors.New("mqtt: bad remaining length")
		}
	}
	if n > MaxPacket {
		return 0, nil, fmt.Errorf("mqtt: %d-byte packet beyond %d", n, MaxPacket)
	}
	if cap(m.rbuf) < n {
		m.rbuf = make([]byte, n)
	}
	m.rbuf = m.rbuf[:n]
	if _, err := io.ReadFull(m.r, m.rbuf); err != nil {
		return 0, nil, err
	}
	return t, m.rbuf, nil
}

func appendHeader(b []byte, first byte, n int) []byte {
	b = append(b, first)
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n > 0 {
			c |= 0x80
		}
		b = append(b, c)
		if n == 0 {
			return b
		}
	}
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

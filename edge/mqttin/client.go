package mqttin

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/edge/clock"
)

// Message is one MQTT message for the node.
type Message struct {
	Kind    Kind
	Topic   string
	Payload []byte
	Arrival int64 // node clock, ns
}

// Results of a message, as v2x_mqtt_messages_total{kind,result} counts
// them. The client counts dropped and too_large; the node the others.
const (
	ResultOK          = "ok"
	ResultMalformed   = "malformed"   // does not decode
	ResultUnsupported = "unsupported" // a UPER MessageFrame of a message the node does not ingest
	ResultRejected    = "rejected"    // decoded, refused by validation or shed
	ResultForbidden   = "forbidden"   // of a kind (or intersection) the identity may not send
	ResultDropped     = "dropped"     // the ingest queue was full
	ResultTooLarge    = "too_large"   // payload beyond max_payload
)

// Results lists every result, for metric labels.
var Results = []string{ResultOK, ResultMalformed, ResultUnsupported, ResultRejected, ResultForbidden, ResultDropped, ResultTooLarge}

// Client subscribes to the configured topics and queues their messages.
type Client struct {
	cfg    Config
	topics []Topic
	log    *slog.Logger
	c      paho.Client
	q      chan Message
	qBytes atomic.Int64 // payload bytes in q and being ingested (Done)

	// Counts counts messages by kind and result.
	Counts    *prometheus.CounterVec
	connected prometheus.Gauge
	lost      prometheus.Counter
	connects  prometheus.Counter
	dropped   [numKinds]prometheus.Counter
	tooLarge  [numKinds]prometheus.Counter
}

// New builds a client for cfg (validated, defaults set); Start connects.
// It reads the password and the TLS files now, so that a mistake there
// stops the node at start.
func New(cfg Config, log *slog.Logger) (*Client, error) {
	topics, err := ParseTopics(cfg.Topics)
	if err != nil {
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{cfg: cfg, topics: topics, log: log.With("mqtt", cfg.URL), q: make(chan Message, cfg.Queue)}
	c.Counts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_mqtt_messages_total",
		Help: "MQTT messages received, by topic kind (rsm, map, spat, uper) and result.",
	}, []string{"kind", "result"})
	for _, k := range Kinds() {
		for _, r := range Results {
			c.Counts.WithLabelValues(k.String(), r)
		}
		c.dropped[k] = c.Counts.WithLabelValues(k.String(), ResultDropped)
		c.tooLarge[k] = c.Counts.WithLabelValues(k.String(), ResultTooLarge)
	}
	c.connected = prometheus.NewGauge(prometheus.GaugeOpts{Name: "v2x_mqtt_connected", Help: "1 while the MQTT client is connected to the broker."})
	c.connects = prometheus.NewCounter(prometheus.CounterOpts{Name: "v2x_mqtt_connects_total", Help: "Connections to the MQTT broker made (the first and every reconnection)."})
	c.lost = prometheus.NewCounter(prometheus.CounterOpts{Name: "v2x_mqtt_connection_lost_total", Help: "Connections to the MQTT broker lost."})

	o := paho.NewClientOptions().AddBroker(cfg.URL).SetClientID(cfg.ClientID).
		SetCleanSession(true).SetOrderMatters(true). // in order; route never blocks
		SetKeepAlive(cfg.KeepAlive).SetConnectTimeout(cfg.ConnectTimeout).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(cfg.ConnectRetry).
		SetMaxReconnectInterval(cfg.MaxReconnectInterval).
		SetOnConnectHandler(c.onConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			c.connected.Set(0)
			c.lost.Inc()
			c.log.Warn("mqtt connection lost; reconnecting with backoff", "err", err)
		}).
		SetReconnectingHandler(func(paho.Client, *paho.ClientOptions) { c.log.Debug("mqtt reconnecting") })
	if cfg.Username != "" {
		o.SetUsername(cfg.Username)
		if cfg.PasswordFile != "" {
			pw, err := readPassword(cfg.PasswordFile)
			if err != nil {
				return nil, err
			}
			o.SetPassword(pw)
		}
	}
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	if tc != nil {
		o.SetTLSConfig(tc)
	}
	c.c = paho.NewClient(o)
	return c, nil
}

// readPassword returns the first line of file.
func readPassword(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("mqtt password_file: %w", err)
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	pw := strings.TrimRight(string(line), "\r")
	if pw == "" {
		return "", fmt.Errorf("mqtt password_file %s: the first line is empty", file)
	}
	return pw, nil
}

// tlsConfig is the TLS configuration of cfg: nil when it names no file
// (an ssl:// or wss:// broker is then verified against the system's
// roots).
func tlsConfig(cfg Config) (*tls.Config, error) {
	if cfg.CA == "" && cfg.Cert == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CA != "" {
		pem, err := os.ReadFile(cfg.CA)
		if err != nil {
			return nil, fmt.Errorf("mqtt ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt ca %s: no PEM certificate in it", cfg.CA)
		}
		tc.RootCAs = pool
	}
	if cfg.Cert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key)
		if err != nil {
			return nil, fmt.Errorf("mqtt cert/key: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Collectors returns the client's metrics.
func (c *Client) Collectors() []prometheus.Collector {
	return []prometheus.Collector{c.Counts, c.connected, c.connects, c.lost,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "v2x_mqtt_queue", Help: "MQTT messages waiting for ingest."},
			func() float64 { return float64(len(c.q)) })}
}

// Start connects in the background: it returns at once, and the client
// keeps trying (every connect_retry) until the broker answers.
func (c *Client) Start() {
	c.c.Connect() // with ConnectRetry the token completes only on success or Disconnect
}

// onConnect subscribes (again: sessions are clean) on every connection.
func (c *Client) onConnect(pc paho.Client) {
	c.connected.Set(1)
	c.connects.Inc()
	filters := make(map[string]byte, len(c.topics))
	for _, t := range c.topics {
		filters[t.Filter] = byte(c.cfg.QoS)
	}
	tok := pc.SubscribeMultiple(filters, c.route)
	go func() { // the handler must not wait for the broker's answer
		if !tok.WaitTimeout(c.cfg.ConnectTimeout) {
			c.log.Warn("mqtt subscription not acknowledged in time", "timeout", c.cfg.ConnectTimeout)
			return
		}
		if err := tok.Error(); err != nil {
			c.log.Error("mqtt subscription refused", "err", err)
			return
		}
		if st, ok := tok.(*paho.SubscribeToken); ok {
			for f, code := range st.Result() {
				if code == 0x80 {
					c.log.Error("mqtt subscription refused by the broker", "filter", f)
				}
			}
		}
		c.log.Info("mqtt subscribed", "topics", c.cfg.Topics)
	}()
}

// route queues a message with its kind, or drops and counts it. It runs
// on paho's goroutines and never blocks.
func (c *Client) route(_ paho.Client, m paho.Message) {
	now := clock.Now()
	k, ok := c.kindOf(m.Topic())
	if !ok {
		return
	}
	p := m.Payload()
	if len(p) > c.cfg.MaxPayload {
		c.tooLarge[k].Inc()
		return
	}
	if c.qBytes.Add(int64(len(p))) > int64(c.cfg.QueueBytes) {
		c.qBytes.Add(-int64(len(p)))
		c.dropped[k].Inc()
		return
	}
	select {
	case c.q <- Message{Kind: k, Topic: m.Topic(), Payload: p, Arrival: now}:
	default:
		c.qBytes.Add(-int64(len(p)))
		c.dropped[k].Inc()
	}
}

// Done says the receiver of m from Queue is through with it: its bytes
// no longer count against queue_bytes.
func (c *Client) Done(m *Message) { c.qBytes.Add(-int64(len(m.Payload))) }

// kindOf returns the kind of the first subscription whose filter matches
// topic.
func (c *Client) kindOf(topic string) (Kind, bool) {
	for _, t := range c.topics {
		if Match(t.Filter, topic) {
			return t.Kind, true
		}
	}
	return 0, false
}

// Match reports whether an MQTT topic filter matches a topic name.
func Match(filter, topic string) bool {
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false // $SYS and friends only match filters that name them
	}
	for {
		fl, frest, fmore := strings.Cut(filter, "/")
		if fl == "#" {
			return true
		}
		tl, trest, tmore := strings.Cut(topic, "/")
		if fl != "+" && fl != tl {
			return false
		}
		switch {
		case !fmore && !tmore:
			return true
		case !tmore:
			return frest == "#" // "a/#" matches "a"
		case !fmore:
			return false
		}
		filter, topic = frest, trest
	}
}

// Queue returns the queue of received messages; call Done with each
// when through with it.
func (c *Client) Queue() <-chan Message { return c.q }

// Close disconnects, waiting up to 250 ms for work in flight.
func (c *Client) Close() {
	c.c.Disconnect(250)
	c.connected.Set(0)
}

// IsConnected reports whether the client is connected now.
func (c *Client) IsConnected() bool { return c.c.IsConnectionOpen() }

// Package mqttin is the node's MQTT device access: a client
// (github.com/eclipse/paho.mqtt.golang) that subscribes to the topics
// roadside units and platforms publish on (OpenV2X's V2X/RSU/+/RSM/UP and
// friends) and hands each message, with its kind and arrival time, to the
// node through a bounded queue. It never blocks on the node: a message
// that finds the queue full is dropped and counted. Decoding, validation
// and the identity the messages act as are the node's (edge/mqttsource.go).
package mqttin

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/v2x/codec"
)

// Kind says how the payloads of a topic are read.
type Kind uint8

// Topic kinds.
const (
	KindRSM  Kind = iota // OpenV2X participant JSON (openv2x.DecodeParticipants)
	KindMap              // OpenV2X MAP JSON (openv2x.DecodeMap)
	KindSPAT             // OpenV2X SPAT JSON (openv2x.DecodeSPAT)
	KindUPER             // UPER MessageFrames back to back (Config.UPERStd)
	numKinds
)

var kindNames = [numKinds]string{"rsm", "map", "spat", "uper"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Kinds returns every kind, for metric labels.
func Kinds() []Kind { return []Kind{KindRSM, KindMap, KindSPAT, KindUPER} }

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if s == n {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown topic kind %q (want %s)", s, strings.Join(kindNames[:], ", "))
}

// Topic is a subscription: a topic filter and the kind of its payloads.
type Topic struct {
	Kind   Kind
	Filter string
}

// DefaultTopics are OpenV2X's upstream RSU topics (open-v2x/dandelion's
// V2X/RSU/+/…/UP; RSM/UP/# also takes RSM/UP/DAWNLINE).
var DefaultTopics = []string{"rsm=V2X/RSU/+/RSM/UP/#", "map=V2X/RSU/+/MAP/UP", "spat=V2X/RSU/+/SPAT/UP"}

// DefaultIdentity is what MQTT-ingested messages act as by default: a
// producer of every kind for every intersection, as the raw UPER
// listener's default.
const DefaultIdentity = "v2x-edge:mqtt?roles=producer&kinds=vehicle,rsu,camera,signal,map"

// Config is the MQTT ingest's part of the node's configuration. Without a
// URL it is off.
type Config struct {
	// URL is the broker: tcp:// (or mqtt://), ssl:// (tls://, mqtts://),
	// ws:// or wss://, with host and port.
	URL string `json:"url"`
	// Topics are the subscriptions, each "KIND=FILTER" with KIND one of
	// rsm, map, spat, uper; default DefaultTopics. Filters should not
	// overlap (a message matching two is ingested twice).
	Topics []string `json:"topics"`
	// ClientID is the node's MQTT client id; default "v2x-edge-HOST-PID"
	// (the host name and process id), so that nodes on one host do not
	// take turns at the broker, as two clients with one id do. Give a
	// fixed one where the broker's ACLs name clients.
	ClientID string `json:"client_id"`
	// Username, and PasswordFile, a file whose first line is the
	// password; "" (default): none.
	Username     string `json:"username"`
	PasswordFile string `json:"password_file"`
	// CA is a PEM file of the CA certificates the broker's certificate
	// must chain to (default: the system's); Cert and Key a client
	// certificate to present (Mosquitto's require_certificate).
	CA   string `json:"ca"`
	Cert string `json:"cert"`
	Key  string `json:"key"`
	// QoS of the subscriptions, 0 (default) or 1.
	QoS int `json:"qos"`
	// Identity is the identity URI the messages act as: its kinds limit
	// what is ingested and its intersections whose SPAT and MAP, as
	// uper_identity does for the raw UPER listener. Default
	// DefaultIdentity.
	Identity string `json:"identity"`
	// UPERStd is the message set of "uper" topics: csae53 (default) or
	// j2735.
	UPERStd string `json:"uper_std"`
	// Queue is how many messages wait for ingest; more are dropped and
	// counted (v2x_mqtt_messages_total{result="dropped"}). Default 1024.
	Queue int `json:"queue"`
	// QueueBytes bounds the payload bytes waiting for ingest, the same
	// way. Default 64 MiB.
	QueueBytes int `json:"queue_bytes"`
	// MaxPayload bounds a message's payload in bytes; larger ones are
	// dropped and counted (result "too_large"). Default 1 MiB.
	MaxPayload int `json:"max_payload"`
	// KeepAlive is the MQTT keep-alive (default 30s); ConnectTimeout
	// bounds a connection attempt (default 10s); ConnectRetry is the
	// wait between attempts before the first connection (default 2s);
	// after a connection is lost, attempts back off exponentially up to
	// MaxReconnectInterval (default 30s).
	KeepAlive            time.Duration `json:"keep_alive"`
	ConnectTimeout       time.Duration `json:"connect_timeout"`
	ConnectRetry         time.Duration `json:"connect_retry"`
	MaxReconnectInterval time.Duration `json:"max_reconnect_interval"`
}

// Enabled reports whether MQTT ingest is configured.
func (c *Config) Enabled() bool { return c.URL != "" }

// SetDefaults fills the zero fields with their defaults.
func (c *Config) SetDefaults() {
	if c.Topics == nil {
		c.Topics = append([]string(nil), DefaultTopics...)
	}
	if c.ClientID == "" {
		h, _ := os.Hostname()
		c.ClientID = "v2x-edge-" + h + "-" + strconv.Itoa(os.Getpid())
	}
	if c.Identity == "" {
		c.Identity = DefaultIdentity
	}
	if c.UPERStd == "" {
		c.UPERStd = "csae53"
	}
	if c.Queue == 0 {
		c.Queue = 1024
	}
	if c.QueueBytes == 0 {
		c.QueueBytes = 64 << 20
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = 1 << 20
	}
	set := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	set(&c.KeepAlive, 30*time.Second)
	set(&c.ConnectTimeout, 10*time.Second)
	set(&c.ConnectRetry, 2*time.Second)
	set(&c.MaxReconnectInterval, 30*time.Second)
}

// ParseTopics reads the "KIND=FILTER" subscriptions.
func ParseTopics(specs []string) ([]Topic, error) {
	var ts []Topic
	var errs []error
	seen := map[string]bool{}
	for _, s := range specs {
		k, f, ok := strings.Cut(s, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("topic %q: want KIND=FILTER (KIND %s)", s, strings.Join(kindNames[:], ", ")))
			continue
		}
		kind, err := ParseKind(strings.TrimSpace(k))
		if err != nil {
			errs = append(errs, fmt.Errorf("topic %q: %w", s, err))
			continue
		}
		f = strings.TrimSpace(f)
		if err := checkFilter(f); err != nil {
			errs = append(errs, fmt.Errorf("topic %q: %w", s, err))
			continue
		}
		if seen[f] {
			errs = append(errs, fmt.Errorf("topic %q: filter given twice", s))
			continue
		}
		seen[f] = true
		ts = append(ts, Topic{Kind: kind, Filter: f})
	}
	return ts, errors.Join(errs...)
}

// checkFilter checks an MQTT topic filter: not empty, '#' only as the
// last level, '+' only as a whole level, no NUL.
func checkFilter(f string) error {
	if f == "" {
		return errors.New("empty filter")
	}
	if strings.ContainsRune(f, 0) {
		return errors.New("filter contains NUL")
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		switch {
		case strings.Contains(l, "#") && (l != "#" || i != len(levels)-1):
			return errors.New("'#' must be the last level, alone")
		case strings.Contains(l, "+") && l != "+":
			return errors.New("'+' must be a whole level")
		}
	}
	return nil
}

// Validate reports every problem with the configuration at once; a
// configuration that is off is not checked.
func (c *Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	if u, err := url.Parse(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("mqtt url %q: %w", c.URL, err))
	} else {
		switch u.Scheme {
		case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
		default:
			errs = append(errs, fmt.Errorf("mqtt url %q: scheme %q (want tcp, mqtt, ssl, tls, mqtts, ws or wss)", c.URL, u.Scheme))
		}
		if u.Host == "" {
			errs = append(errs, fmt.Errorf("mqtt url %q: no host", c.URL))
		}
	}
	if len(c.Topics) == 0 {
		errs = append(errs, errors.New("mqtt topics: none"))
	} else if _, err := ParseTopics(c.Topics); err != nil {
		errs = append(errs, fmt.Errorf("mqtt topics: %w", err))
	}
	if c.ClientID == "" || len(c.ClientID) > 65535 {
		errs = append(errs, errors.New("mqtt client_id: want 1..65535 bytes"))
	}
	if c.PasswordFile != "" && c.Username == "" {
		errs = append(errs, errors.New("mqtt password_file is given without username"))
	}
	if (c.Cert == "") != (c.Key == "") {
		errs = append(errs, errors.New("mqtt cert and key must be given together"))
	}
	for _, f := range []struct{ name, path string }{{"password_file", c.PasswordFile}, {"ca", c.CA}, {"cert", c.Cert}, {"key", c.Key}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			errs = append(errs, fmt.Errorf("mqtt %s: %w", f.name, err))
		}
	}
	if c.QoS != 0 && c.QoS != 1 {
		errs = append(errs, fmt.Errorf("mqtt qos %d: want 0 or 1", c.QoS))
	}
	if _, err := auth.ParseURIString(c.Identity); err != nil {
		errs = append(errs, fmt.Errorf("mqtt identity: %w", err))
	}
	if _, err := codec.ParseEncoding(c.UPERStd); err != nil {
		errs = append(errs, fmt.Errorf("mqtt uper_std: %w", err))
	}
	if c.Queue < 1 || c.Queue > 1<<20 {
		errs = append(errs, fmt.Errorf("mqtt queue %d: want 1..%d", c.Queue, 1<<20))
	}
	if c.MaxPayload < 1 || c.MaxPayload > 256<<20 {
		errs = append(errs, fmt.Errorf("mqtt max_payload %d: want 1..%d bytes", c.MaxPayload, 256<<20))
	}
	if c.QueueBytes < c.MaxPayload || c.QueueBytes > 4<<30 {
		errs = append(errs, fmt.Errorf("mqtt queue_bytes %d: want max_payload (%d) .. %d bytes", c.QueueBytes, c.MaxPayload, 4<<30))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"keep_alive", c.KeepAlive}, {"connect_timeout", c.ConnectTimeout}, {"connect_retry", c.ConnectRetry}, {"max_reconnect_interval", c.MaxReconnectInterval}} {
		if d.v < time.Second {
			errs = append(errs, fmt.Errorf("mqtt %s %v: want at least 1s", d.name, d.v))
		}
	}
	return errors.Join(errs...)
}

package uplink

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nkeys"
)

// Config is the uplink's part of the node's configuration. With no URLs
// the uplink is off.
type Config struct {
	// URLs are the NATS servers (nats://, tls://, ws:// or wss://, host
	// and port); the client picks one and fails over to the others.
	URLs []string `json:"urls"`
	// NodeID and Region name the node in its subjects
	// (v2x.REGION.NODE.state); each is one subject token of letters,
	// digits, '-' and '_'.
	NodeID string `json:"node_id"`
	Region string `json:"region"` // default "default"
	// CredsFile is a NATS credentials file (user JWT and NKey seed, as
	// nsc writes it); "": no credentials.
	CredsFile string `json:"creds_file"`
	// Stream is the JetStream stream that keeps the events; the node
	// creates it (subjects v2x.*.*.events) when it does not exist.
	Stream   string        `json:"stream"`   // default "V2X_EVENTS"
	Replicas int           `json:"replicas"` // of a stream the node creates; default 1, at most 5
	MaxAge   time.Duration `json:"max_age"`  // retention of a stream the node creates; default 24h
	// Dedup is the duplicate window of a stream the node creates: a
	// retried event whose first copy was stored is dropped as a duplicate
	// if it comes within this of the first. Default 10m.
	Dedup time.Duration `json:"dedup"`
	// StateRate caps the states published a second (the first state
	// with new data in each slot, like a rate-capped subscriber); default
	// 10. KeyframeInterval: a keyframe at least this often, deltas
	// between; default 1s.
	StateRate        float64       `json:"state_rate"`
	KeyframeInterval time.Duration `json:"keyframe_interval"`
	// Buffer is how many events wait for the bus while it is unreachable
	// (or slow); more are dropped and counted. Default 10000.
	Buffer int `json:"buffer"`
	// Window is how many events may await the stream's acknowledgement
	// at once. 1 (the default) keeps the stream in the node's order
	// under every fault: an event goes out once the one before it is
	// stored. A larger window publishes faster (measured: 1400 events/s at
	// 1, 18000 at 256, R3 on loopback), but when a fault hits a window,
	// events retried may land after later ones (the V2x-Seq header still
	// gives the node's order). At most 1024.
	Window int `json:"window"`
	// FlushTimeout bounds how long shutdown waits to publish buffered
	// events; default 2s.
	FlushTimeout time.Duration `json:"flush_timeout"`

	// Neighbours are the nodes of the adjacent intersections along a
	// corridor: an object leaving towards one is handed over on
	// v2x.REGION.NODE.handover, and this node subscribes to theirs
	// (docs/protocol.md §12).
	Neighbours []Neighbour `json:"neighbours"`
	// HandoverDistance is how far from this node's reference point,
	// along the direction to a neighbour, a confirmed object is handed
	// over to it; default 50 m (inside camera coverage, so that an
	// object goes over while tracked).
	HandoverDistance float64 `json:"handover_distance"`
	// HandoverStale: a neighbour's handover no own sensor confirmed
	// within this is dropped; default 20s.
	HandoverStale time.Duration `json:"handover_stale"`
}

// Neighbour is an adjacent node of a corridor.
type Neighbour struct {
	NodeID string  `json:"node_id"`
	Lat    float64 `json:"lat"` // its reference point
	Lon    float64 `json:"lon"`
	// Approach is this node's approach (MAP leg number) whose egress
	// lanes lead there; 0: any (the direction alone decides).
	Approach uint8 `json:"approach"`
}

// ParseNeighbour parses ID@LAT,LON[/APPROACH], the -neighbour flag.
func ParseNeighbour(s string) (Neighbour, error) {
	id, rest, ok := strings.Cut(s, "@")
	if !ok {
		return Neighbour{}, fmt.Errorf("neighbour %q: want ID@LAT,LON[/APPROACH]", s)
	}
	pos, appr, hasAppr := strings.Cut(rest, "/")
	var nb Neighbour
	nb.NodeID = id
	if _, err := fmt.Sscanf(pos, "%g,%g", &nb.Lat, &nb.Lon); err != nil {
		return Neighbour{}, fmt.Errorf("neighbour %q: position %q: want LAT,LON", s, pos)
	}
	if hasAppr {
		var a int
		if _, err := fmt.Sscanf(appr, "%d", &a); err != nil || a < 0 || a > 255 {
			return Neighbour{}, fmt.Errorf("neighbour %q: approach %q: want 0..255", s, appr)
		}
		nb.Approach = uint8(a)
	}
	return nb, nil
}

// Enabled reports whether the uplink is configured.
func (c *Config) Enabled() bool { return len(c.URLs) > 0 }

// SetDefaults fills the zero fields with their defaults.
func (c *Config) SetDefaults() {
	if c.Region == "" {
		c.Region = "default"
	}
	if c.Stream == "" {
		c.Stream = "V2X_EVENTS"
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MaxAge == 0 {
		c.MaxAge = 24 * time.Hour
	}
	if c.Dedup == 0 {
		c.Dedup = 10 * time.Minute
	}
	if c.StateRate == 0 {
		c.StateRate = 10
	}
	if c.KeyframeInterval == 0 {
		c.KeyframeInterval = time.Second
	}
	if c.Buffer == 0 {
		c.Buffer = 10000
	}
	if c.Window == 0 {
		c.Window = 1
	}
	if c.FlushTimeout == 0 {
		c.FlushTimeout = 2 * time.Second
	}
	if c.HandoverDistance == 0 {
		c.HandoverDistance = 50
	}
	if c.HandoverStale == 0 {
		c.HandoverStale = 20 * time.Second
	}
}

// token is what a node id or region may be: one NATS subject token.
var token = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// streamName is what a JetStream stream name may be.
var streamName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Validate checks the configuration; an uplink that is off is valid.
// It reads the credentials file, so that a bad one fails at start, not on
// the first connection.
func (c *Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	for _, u := range c.URLs {
		if err := checkURL(u); err != nil {
			errs = append(errs, err)
		}
	}
	if c.NodeID == "" {
		errs = append(errs, errors.New("nats: node_id (-node-id) is required with nats urls"))
	} else if !token.MatchString(c.NodeID) {
		errs = append(errs, fmt.Errorf("nats: node_id %q: want 1 to 64 letters, digits, '-' or '_' (one subject token)", c.NodeID))
	}
	if !token.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("nats: region %q: want 1 to 64 letters, digits, '-' or '_' (one subject token)", c.Region))
	}
	if !streamName.MatchString(c.Stream) {
		errs = append(errs, fmt.Errorf("nats: stream %q: want 1 to 64 letters, digits, '-' or '_'", c.Stream))
	}
	if c.CredsFile != "" {
		if err := checkCreds(c.CredsFile); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("nats: replicas %d outside 1..5", c.Replicas))
	}
	if c.MaxAge < time.Second {
		errs = append(errs, fmt.Errorf("nats: max_age %v below 1s", c.MaxAge))
	}
	if c.Dedup < time.Second || c.Dedup > c.MaxAge {
		errs = append(errs, fmt.Errorf("nats: dedup %v outside 1s..max_age (%v)", c.Dedup, c.MaxAge))
	}
	if !(c.StateRate > 0 && c.StateRate <= 1000) {
		errs = append(errs, fmt.Errorf("nats: state_rate %v outside (0, 1000] Hz", c.StateRate))
	}
	if c.KeyframeInterval < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("nats: keyframe_interval %v below 10ms", c.KeyframeInterval))
	}
	if c.Buffer < 1 || c.Buffer > 1<<20 {
		errs = append(errs, fmt.Errorf("nats: buffer %d outside 1..%d events", c.Buffer, 1<<20))
	}
	if c.Window < 1 || c.Window > 1024 {
		errs = append(errs, fmt.Errorf("nats: window %d outside 1..1024 events", c.Window))
	}
	if c.FlushTimeout < 0 {
		errs = append(errs, fmt.Errorf("nats: flush_timeout %v is negative", c.FlushTimeout))
	}
	for _, nb := range c.Neighbours {
		switch {
		case !token.MatchString(nb.NodeID):
			errs = append(errs, fmt.Errorf("nats: neighbour id %q: want 1 to 64 letters, digits, '-' or '_'", nb.NodeID))
		case nb.NodeID == c.NodeID:
			errs = append(errs, fmt.Errorf("nats: neighbour %q is this node", nb.NodeID))
		case !(nb.Lat >= -90 && nb.Lat <= 90 && nb.Lon >= -180 && nb.Lon <= 180):
			errs = append(errs, fmt.Errorf("nats: neighbour %s: position %v,%v out of range", nb.NodeID, nb.Lat, nb.Lon))
		}
	}
	if !(c.HandoverDistance > 0 && c.HandoverDistance <= 10000) {
		errs = append(errs, fmt.Errorf("nats: handover_distance %v m outside (0, 10000]", c.HandoverDistance))
	}
	if c.HandoverStale < time.Second {
		errs = append(errs, fmt.Errorf("nats: handover_stale %v below 1s", c.HandoverStale))
	}
	return errors.Join(errs...)
}

// checkURL accepts what nats.Connect takes: a scheme it knows (or none:
// nats), a host and an optional port.
func checkURL(s string) error {
	raw := strings.TrimSpace(s)
	if !strings.Contains(raw, "://") {
		raw = "nats://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("nats: url %q: %w", s, err)
	}
	switch u.Scheme {
	case "nats", "tls", "ws", "wss":
	default:
		return fmt.Errorf("nats: url %q: scheme %q, want nats, tls, ws or wss", s, u.Scheme)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("nats: url %q: no host", s)
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("nats: url %q: port %q outside 1..65535", s, p)
		}
	}
	return nil
}

// checkCreds reads a credentials file and checks it holds a user JWT and
// an NKey seed.
func checkCreds(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("nats: credentials: %w", err)
	}
	if _, err := nkeys.ParseDecoratedJWT(b); err != nil || !strings.Contains(string(b), "BEGIN NATS USER JWT") {
		return fmt.Errorf("nats: credentials %s: no user JWT (want a .creds file as nsc writes it)", file)
	}
	if _, err := nkeys.ParseDecoratedNKey(b); err != nil {
		return fmt.Errorf("nats: credentials %s: no NKey seed: %w", file, err)
	}
	return nil
}

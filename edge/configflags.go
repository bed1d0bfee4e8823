package edge

import (
	"flag"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/v2x-edge/v2x-edge/edge/uplink"
	"github.com/v2x-edge/v2x-edge/edge/xdpguard"
	"github.com/v2x-edge/v2x-edge/v2x"
)

// BindFlags registers the node's command-line flags on fs, each one
// setting its field of c: a knob that has a flag is declared here and
// nowhere else. A flag's default is the field's value when BindFlags is
// called.
//
// A command that also reads a configuration file binds the flags twice: on
// its command line to parse them (cli.Visited records the ones set), and
// on a fresh FlagSet over the configuration loaded from the file, to set
// them again over it (cli.SetFlags.Apply): the file first, the flags given
// over it.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", c.Listen, "QUIC UDP listen `address`")
	fs.StringVar(&c.HTTP, "http", c.HTTP, "`address` for the live view (/), /metrics and /healthz (empty: off)")
	fs.IntVar(&c.LiveViewers, "live-viewers", c.LiveViewers, "live view feeds (GET /live and -foxglove connections) open at once; more are refused")
	fs.StringVar(&c.Foxglove, "foxglove", c.Foxglove, "`address` for the Foxglove WebSocket live view (foxglove.websocket.v1; empty: off)")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data `directory`: development CA (ca.pem for clients) and server certificate")
	fs.StringVar(&c.CertFile, "cert", c.CertFile, "PEM server certificate `file` (default: development CA in -data)")
	fs.StringVar(&c.KeyFile, "key", c.KeyFile, "PEM server key `file`")
	fs.StringVar(&c.ClientCA, "client-ca", c.ClientCA, "PEM `file` of the CA certificates client certificates must be signed by (default: the development CA in -data)")
	fs.StringVar(&c.Revoked, "revoked", c.Revoked, "revocation list `file`: serial numbers and identity names, one a line, or PEM CRLs; reloaded on SIGHUP")
	fs.StringVar(&c.OperatorTokenFile, "operator-token-file", c.OperatorTokenFile, "`file` holding the bearer token /xdp/* requires (default: -data/operator.token, created when missing)")
	fs.Var(&refFlag{&c.RefLat, &c.RefLon}, "ref", "intersection reference point `lat,lon` until a MAP arrives")
	fs.IntVar(&c.MaxFrame, "max-frame", c.MaxFrame, "largest accepted frame length in `bytes`")
	fs.StringVar(&c.Compression, "compression", c.Compression, "compression of packed subscribers' updates: zstd (with the trained dictionary), s2 or none")
	fs.DurationVar(&c.KeyframeInterval, "keyframe-interval", c.KeyframeInterval, "packed subscribers get a keyframe at least this often, deltas between")
	fs.IntVar(&c.MaxBurst, "max-burst", c.MaxBurst, "rate-capped subscribers one publication wakes at most, the rest wait for the next (0: automatic, twice the demand per publication with new data and at least 16; -1: no limit)")
	fs.BoolVar(&c.NoDatagrams, "no-datagrams", c.NoDatagrams, "send every packed update on its stream, never as a QUIC datagram")
	fs.Float64Var(&c.HandshakesPerSec, "handshakes-per-sec", c.HandshakesPerSec, "new QUIC connections admitted to the TLS handshake per second, node-wide; more are refused before any cryptography (-1: no limit)")
	fs.IntVar(&c.MaxHandshakes, "max-handshakes", c.MaxHandshakes, "QUIC handshakes in progress at once, node-wide; more new connections are refused before any cryptography (-1: no limit)")
	fs.IntVar(&c.Workers, "workers", c.Workers, "QUIC workers on the listen port, steered by connection id with eBPF (one without the privilege to load it)")
	fs.StringVar(&c.XDPIface, "xdp-iface", c.XDPIface, "attach the XDP guard to this `interface` (empty: no guard)")
	fs.Var(&prefixesFlag{&c.XDPAllow}, "xdp-allow", "comma-separated `prefixes` (or addresses) whose new connections skip the XDP guard's limits")
	fs.Var(&prefixesFlag{&c.XDPDeny}, "xdp-deny", "comma-separated `prefixes` (or addresses) whose datagrams the XDP guard drops")
	fs.Uint64Var(&c.XDPLimits.PrefixRate, "xdp-prefix-rate", c.XDPLimits.PrefixRate, "new connections per second the XDP guard lets in per source prefix (/24, /56); 0: no limit")
	fs.Uint64Var(&c.XDPLimits.GlobalRate, "xdp-global-rate", c.XDPLimits.GlobalRate, "new connections per second the XDP guard lets in from all sources; 0: no limit")
	fs.StringVar(&c.UPERListen, "uper-listen", c.UPERListen, "accept raw UPER MessageFrames (as RSUs forward them) on this UDP `address` (empty: off)")
	fs.StringVar(&c.UPERStd, "uper-std", c.UPERStd, "message set of -uper-listen: csae53 or j2735")
	fs.Var(&prefixesFlag{&c.UPERAllow}, "uper-allow", "comma-separated source `prefixes` (or addresses) -uper-listen accepts datagrams from; the rest are dropped and counted (default loopback)")
	fs.StringVar(&c.UPERIdentity, "uper-identity", c.UPERIdentity, "identity `URI` the -uper-listen senders act as: its kinds and intersections limit what is ingested (default every kind, every intersection)")
	fs.IntVar(&c.UPERRcvbuf, "uper-rcvbuf", c.UPERRcvbuf, "receive buffer of the -uper-listen socket in `bytes` (the kernel caps it at net.core.rmem_max)")
	fs.StringVar(&c.RecordDir, "record", c.RecordDir, "record every frame received and every state published into rotating MCAP files in this `directory` (empty: off)")
	fs.Var(&sizeFlag{&c.RecordMaxFile}, "record-max-file", "begin a new recording file at this `size` (256MiB; units B, KB, MB, GB, KiB, MiB, GiB)")
	fs.DurationVar(&c.RecordMaxAge, "record-max-age", c.RecordMaxAge, "begin a new recording file at this age")
	fs.Var(&sizeFlag{&c.RecordMaxTotal}, "record-max-total", "delete the oldest recording files to keep the directory under this `size` (4GiB)")
	fs.DurationVar(&c.FrameTimeout, "frame-timeout", c.FrameTimeout, "a frame must arrive whole within this of its first byte, else its stream is reset")
	fs.Var(&listFlag{&c.NATS.URLs}, "nats", "publish the fused state and the events to these NATS servers: comma-separated `urls` (empty: off; needs -node-id)")
	fs.StringVar(&c.NATS.NodeID, "node-id", c.NATS.NodeID, "this node's `id` in the NATS subjects v2x.REGION.ID.state and .events")
	fs.StringVar(&c.NATS.Region, "region", c.NATS.Region, "this node's `region` in its NATS subjects")
	fs.StringVar(&c.NATS.CredsFile, "nats-creds", c.NATS.CredsFile, "NATS credentials `file` (user JWT and NKey seed)")
	fs.StringVar(&c.NATS.Stream, "nats-stream", c.NATS.Stream, "JetStream stream of the events (created with subjects v2x.*.*.events when missing)")
	fs.IntVar(&c.NATS.Replicas, "nats-replicas", c.NATS.Replicas, "replicas of the events stream when the node creates it")
	fs.Float64Var(&c.NATS.StateRate, "nats-state-rate", c.NATS.StateRate, "states published on NATS per second at most")
	fs.DurationVar(&c.NATS.KeyframeInterval, "nats-keyframe-interval", c.NATS.KeyframeInterval, "a state keyframe on NATS at least this often, deltas between")
	fs.IntVar(&c.NATS.Window, "nats-window", c.NATS.Window, "events awaiting the stream's acknowledgement at once (1: the stream keeps the node's order under faults; more: faster)")
	fs.IntVar(&c.NATS.Buffer, "nats-buffer", c.NATS.Buffer, "events buffered while NATS is unreachable; more are dropped and counted")
	fs.StringVar(&c.MQTT.URL, "mqtt", c.MQTT.URL, "ingest OpenV2X JSON and UPER from this MQTT broker `url` (tcp://, ssl://, ws://, wss://; empty: off)")
	fs.Var(&listFlag{&c.MQTT.Topics}, "mqtt-topics", "comma-separated MQTT subscriptions, each `KIND=FILTER` with KIND rsm, map, spat or uper (default OpenV2X's V2X/RSU/+/RSM/UP/#, MAP/UP, SPAT/UP)")
	fs.StringVar(&c.MQTT.ClientID, "mqtt-client-id", c.MQTT.ClientID, "MQTT client `id` (default v2x-edge-HOSTNAME-PID; a fixed one where the broker's ACLs name clients)")
	fs.StringVar(&c.MQTT.Username, "mqtt-user", c.MQTT.Username, "MQTT user `name`")
	fs.StringVar(&c.MQTT.PasswordFile, "mqtt-password-file", c.MQTT.PasswordFile, "`file` whose first line is the MQTT password (needs -mqtt-user)")
	fs.StringVar(&c.MQTT.CA, "mqtt-ca", c.MQTT.CA, "PEM `file` of the CA certificates the MQTT broker's certificate must chain to (default: the system's)")
	fs.StringVar(&c.MQTT.Cert, "mqtt-cert", c.MQTT.Cert, "PEM client certificate `file` to present to the MQTT broker (with -mqtt-key)")
	fs.StringVar(&c.MQTT.Key, "mqtt-key", c.MQTT.Key, "PEM private key `file` of -mqtt-cert")
	fs.IntVar(&c.MQTT.QoS, "mqtt-qos", c.MQTT.QoS, "QoS of the MQTT subscriptions: 0 or 1")
	fs.StringVar(&c.MQTT.Identity, "mqtt-identity", c.MQTT.Identity, "identity `URI` MQTT-ingested messages act as: its kinds and intersections limit what is ingested (default every kind, every intersection)")
	fs.StringVar(&c.MQTT.UPERStd, "mqtt-uper-std", c.MQTT.UPERStd, "message set of the MQTT uper topics: csae53 or j2735")
	fs.IntVar(&c.MQTT.Queue, "mqtt-queue", c.MQTT.Queue, "MQTT messages queued for ingest; more are dropped and counted")
	fs.Var(&neighboursFlag{&c.NATS.Neighbours}, "neighbours", "the corridor's adjacent nodes, `ID@LAT,LON[/APPROACH];...`: objects leaving towards one (by this node's approach APPROACH, 0 any) are handed over on v2x.REGION.NODE.handover, and their handovers seed tracks here (needs -nats)")
	fs.Float64Var(&c.NATS.HandoverDistance, "handover-distance", c.NATS.HandoverDistance, "hand an object over once this many `metres` from the reference point towards a neighbour (default 50)")
	fs.DurationVar(&c.NATS.HandoverStale, "handover-stale", c.NATS.HandoverStale, "drop a neighbour's handover no own sensor confirmed within this (default 20s)")
	fs.Var(&uint8Flag{&c.Track.IDNamespace}, "id-namespace", "put this `number` (1..255) in the top byte of every object id, unique per node of a corridor, so ids never collide across nodes; the counter below it starts from the wall clock, so a restarted node does not give out its earlier ids (0: plain ids)")
}

// neighboursFlag is a ';'-separated list of uplink.ParseNeighbour.
type neighboursFlag struct{ p *[]uplink.Neighbour }

func (f *neighboursFlag) String() string {
	if f.p == nil {
		return ""
	}
	var parts []string
	for _, nb := range *f.p {
		parts = append(parts, fmt.Sprintf("%s@%v,%v/%d", nb.NodeID, nb.Lat, nb.Lon, nb.Approach))
	}
	return strings.Join(parts, ";")
}

func (f *neighboursFlag) Get() any { return *f.p }

func (f *neighboursFlag) Set(s string) error {
	*f.p = nil
	for _, v := range strings.Split(s, ";") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		nb, err := uplink.ParseNeighbour(v)
		if err != nil {
			return err
		}
		*f.p = append(*f.p, nb)
	}
	return nil
}

// uint8Flag is a number 0..255.
type uint8Flag struct{ p *uint8 }

func (f *uint8Flag) String() string {
	if f.p == nil {
		return "0"
	}
	return strconv.Itoa(int(*f.p))
}

func (f *uint8Flag) Get() any { return *f.p }

func (f *uint8Flag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return fmt.Errorf("%q: want 0..255", s)
	}
	*f.p = uint8(n)
	return nil
}

// listFlag is a comma-separated list of strings; "" is none.
type listFlag struct{ p *[]string }

func (f *listFlag) String() string {
	if f.p == nil {
		return ""
	}
	return strings.Join(*f.p, ",")
}

func (f *listFlag) Get() any { return *f.p }

func (f *listFlag) Set(s string) error {
	*f.p = nil
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*f.p = append(*f.p, v)
		}
	}
	return nil
}

// refFlag is -ref: RefLat and RefLon as "lat,lon"; "" while unset (NaN).
type refFlag struct{ lat, lon *float64 }

func (f *refFlag) String() string {
	if f.lat == nil || math.IsNaN(*f.lat) || math.IsNaN(*f.lon) {
		return ""
	}
	return strconv.FormatFloat(*f.lat, 'g', -1, 64) + "," + strconv.FormatFloat(*f.lon, 'g', -1, 64)
}

func (f *refFlag) Set(s string) error {
	if s == "" {
		*f.lat, *f.lon = math.NaN(), math.NaN()
		return nil
	}
	lat, lon, err := v2x.ParseLatLon(s)
	if err != nil {
		return err
	}
	*f.lat, *f.lon = lat, lon
	return nil
}

// prefixesFlag is a comma-separated list of CIDR prefixes or bare
// addresses (xdpguard.ParsePrefixList).
type prefixesFlag struct{ dst *[]netip.Prefix }

func (f *prefixesFlag) String() string {
	if f.dst == nil {
		return ""
	}
	s := make([]string, len(*f.dst))
	for i, p := range *f.dst {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func (f *prefixesFlag) Set(s string) error {
	ps, err := xdpguard.ParsePrefixList(s)
	if err != nil {
		return err
	}
	*f.dst = ps
	return nil
}

// sizeFlag is a byte size: a number with an optional unit, B, KB, MB, GB
// (powers of 1000) or KiB, MiB, GiB (powers of 1024): "256MB", "1GiB".
type sizeFlag struct{ dst *int64 }

func (f *sizeFlag) String() string {
	if f.dst == nil {
		return ""
	}
	return strconv.FormatInt(*f.dst, 10)
}

func (f *sizeFlag) Get() any { return *f.dst }

func (f *sizeFlag) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	*f.dst = n
	return nil
}

// ParseSize reads a byte size such as "256MB", "1GiB" or "4096".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	v, err := strconv.ParseFloat(t[:i], 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("size %q: want a number of bytes with an optional unit (B, KB, MB, GB, KiB, MiB, GiB)", s)
	}
	mult := map[string]float64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
	m, ok := mult[strings.ToLower(strings.TrimSpace(t[i:]))]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (want B, KB, MB, GB, KiB, MiB or GiB)", s, t[i:])
	}
	if v*m > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return int64(v * m), nil
}

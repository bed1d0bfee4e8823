package edge

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"runtime"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/mqttin"
	"github.com/v2x-edge/v2x-edge/edge/quota"
	"github.com/v2x-edge/v2x-edge/edge/record"
	"github.com/v2x-edge/v2x-edge/edge/steer"
	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/edge/trust"
	"github.com/v2x-edge/v2x-edge/edge/uplink"
	"github.com/v2x-edge/v2x-edge/edge/xdpguard"

	"github.com/v2x-edge/v2x-edge/v2x/codec"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Config is the node's configuration. The zero value plus SetDefaults is a
// working development node on loopback.
type Config struct {
	Listen   string `json:"listen"`    // QUIC UDP address
	HTTP     string `json:"http"`      // metrics and health address; "" disables
	DataDir  string `json:"data_dir"`  // development CA and certificate
	CertFile string `json:"cert_file"` // PEM server certificate; empty: development CA in DataDir
	KeyFile  string `json:"key_file"`
	// Hosts are extra names and addresses for the development certificate.
	Hosts []string `json:"hosts"`
	// ClientCA is a PEM file of the CA certificates client certificates
	// must be signed by (an operator's own PKI); "" (default): the
	// development CA in DataDir, which also writes the lab identities
	// under DataDir/identities (docs/protocol.md §1.1).
	ClientCA string `json:"client_ca"`
	// Revoked is a revocation list: a text file of serial numbers and
	// identity names, or PEM CRLs signed by the client CA; read at start
	// and on SIGHUP. "" (default): none.
	Revoked string `json:"revoked"`
	// OperatorTokenFile holds the bearer token the control endpoints
	// (/xdp/*) require; "" (default): DataDir/operator.token, created
	// with a random token when missing.
	OperatorTokenFile string `json:"operator_token_file"`

	// RefLat/RefLon fix the intersection reference point for ENU; NaN
	// (the default) waits for a MAP. Until one or the other gives it,
	// positions cannot be placed and are refused (no_reference).
	RefLat float64 `json:"ref_lat"`
	RefLon float64 `json:"ref_lon"`

	// Fusion selects the fusion stage: "track" (the multi-source tracker,
	// the default) or "latest" (latest measurement per source object).
	Fusion string `json:"fusion"`
	// Track tunes the tracker (fields as in track.Config; zero: default).
	Track track.Config `json:"track"`
	// Trust tunes the misbehaviour checks, trust scores and quarantine
	// (fields as in trust.Config; zero: default, checks on).
	Trust trust.Config `json:"trust"`

	MaxFrame      int           `json:"max_frame"`       // bytes, length field limit
	InboxSize     int           `json:"inbox_size"`      // measurements queued for fusion before shedding
	StaleAfter    time.Duration `json:"stale_after"`     // drop an object not seen for this long
	SignalStale   time.Duration `json:"signal_stale"`    // drop signal state not refreshed for this long
	PublishTick   time.Duration `json:"publish_tick"`    // snapshot at least this often when idle
	ClockInterval time.Duration `json:"clock_interval"`  // clock exchanges on producer streams
	MaxClockSkew  time.Duration `json:"max_clock_skew"`  // capture times older than this (node clock) are refused
	MaxFuture     time.Duration `json:"max_future"`      // capture times further in the future are refused; nearer ones clamped
	MaxRange      float64       `json:"max_range"`       // metres from the reference point; measurements beyond are refused
	IdleTimeout   time.Duration `json:"idle_timeout"`    // QUIC idle timeout; the node sends no keep-alives, clients that stay idle send their own
	FrameTimeout  time.Duration `json:"frame_timeout"`   // from a frame's first byte to its last; a stream that stalls mid-frame is reset
	MaxStreams    int64         `json:"max_streams"`     // per connection, incoming bidirectional
	ShutdownGrace time.Duration `json:"shutdown_grace"`  // how long Close waits for goroutines
	ErrorWriteTTL time.Duration `json:"error_write_ttl"` // deadline for writing an Error frame

	// HandshakesPerSec bounds the new QUIC connections the node admits to
	// the TLS handshake, node-wide, in bursts of up to HandshakeBurst;
	// attempts over it are refused before any cryptography (answered
	// CONNECTION_REFUSED; edge/client retries). 0: the default (50); -1:
	// no limit.
	HandshakesPerSec float64 `json:"handshakes_per_sec"`
	HandshakeBurst   int     `json:"handshake_burst"` // 0: one second's worth
	// MaxHandshakes bounds the handshakes in progress at once (admitted,
	// their client's certificate not yet checked); more attempts are
	// refused the same way. 0: the default (4); -1: no limit.
	MaxHandshakes int `json:"max_handshakes"`

	// HTTPIdleTimeout closes HTTP keep-alive connections idle this long;
	// requests must be read within HTTPReadTimeout and answered within
	// HTTPWriteTimeout.
	HTTPIdleTimeout  time.Duration `json:"http_idle_timeout"`
	HTTPReadTimeout  time.Duration `json:"http_read_timeout"`
	HTTPWriteTimeout time.Duration `json:"http_write_timeout"`
	// LiveViewers bounds the live view feeds (GET /live) open at once
	// (8); more are refused with 503 and counted.
	LiveViewers int `json:"live_viewers"`
	// Foxglove is the address of the Foxglove WebSocket live view
	// (foxglove.websocket.v1); "" (default): off.
	Foxglove string `json:"foxglove"`

	// Quotas per identity, with limits per role (edge/quota).
	Quotas quota.Config `json:"quotas"`

	// Broadcast to packed subscribers (wire.SubPacked).
	Compression      string        `json:"compression"`       // of Update bodies: "zstd" (default, with the trained dictionary), "s2" or "none"
	KeyframeInterval time.Duration `json:"keyframe_interval"` // a keyframe at least this often; deltas between
	NoDatagrams      bool          `json:"no_datagrams"`      // send every Update on its stream
	MaxDatagram      int           `json:"max_datagram"`      // bytes; larger Update frames go on the stream
	// MaxBurst is how many rate-capped subscribers one publication wakes
	// at most; the others, due longest last, wait for the next one. 0
	// (default): automatic, twice what the rate caps ask for per
	// publication with new data and at least 16; -1: no limit.
	MaxBurst int `json:"max_burst"`

	// QUIC workers and eBPF packet steering (edge/steer, bpf).
	Workers  int    `json:"workers"`   // quic.Transports on the listen port, steered by connection id; default runtime.NumCPU()
	XDPIface string `json:"xdp_iface"` // interface for the XDP guard; "" (default): no guard
	// The XDP guard's lists and limits, applied when it attaches (and on
	// SIGHUP); /xdp/... on the HTTP listener changes them at run time. In
	// the file, list entries are CIDR prefixes or bare addresses (/32,
	// /128), with no address bits past the prefix length.
	XDPAllow  []netip.Prefix  `json:"xdp_allow"`  // new connections from these skip the limits
	XDPDeny   []netip.Prefix  `json:"xdp_deny"`   // everything from these is dropped, first
	XDPLimits xdpguard.Limits `json:"xdp_limits"` // default xdpguard.DefaultLimits; a rate of 0 turns its limit off, a burst of 0 is the rate

	// Raw UPER MessageFrames over UDP, as RSUs forward them.
	UPERListen string `json:"uper_listen"` // UDP address; "" (default): no listener
	UPERStd    string `json:"uper_std"`    // their message set: "csae53" (default) or "j2735"
	// UPERAllow are the source prefixes the listener accepts datagrams
	// from; the rest are dropped and counted. Default: loopback only.
	UPERAllow []netip.Prefix `json:"uper_allow"`
	// UPERRcvbuf is the listener socket's receive buffer in bytes (the
	// kernel may cap it at net.core.rmem_max); 0: 4 MiB.
	UPERRcvbuf int `json:"uper_rcvbuf"`
	// UPERIdentity is the identity the listener's senders act as (they
	// present no certificate): its kinds limit which messages are
	// ingested and its intersections whose SPAT and MAP; the rest are
	// dropped and counted (v2x_uper_frames_total{result="forbidden"}).
	// Default DefaultUPERIdentity: every kind, every intersection.
	UPERIdentity string `json:"uper_identity"`

	// Recording (docs/recording.md): every frame received, every state
	// published, into rotating MCAP files under RecordDir ("": off).
	RecordDir      string        `json:"record_dir"`
	RecordMaxFile  int64         `json:"record_max_file"`  // bytes: a new file begins at this size (256 MiB)
	RecordMaxAge   time.Duration `json:"record_max_age"`   // ... or at this age (10 min)
	RecordMaxTotal int64         `json:"record_max_total"` // bytes: the oldest files are deleted to keep the directory under it (4 GiB)

	// NATS is the uplink to a NATS cluster (edge/uplink): the fused state
	// and the events of this node for city platforms. Off without URLs.
	NATS uplink.Config `json:"nats"`

	// MQTT is device access over MQTT (edge/mqttin): OpenV2X JSON and
	// UPER from the topics RSUs publish on, as one identity. Off without
	// a URL.
	MQTT mqttin.Config `json:"mqtt"`
}

// DefaultUPERIdentity is the raw UPER listener's identity by default: a
// producer of every kind for every intersection.
const DefaultUPERIdentity = "v2x-edge:uper?roles=producer&kinds=vehicle,rsu,camera,signal,map"

// DefaultHandshakesPerSec and DefaultMaxHandshakes are handshakes_per_sec
// and max_handshakes unless configured, sized for a roadside box of two
// cores: a handshake costs the node about a millisecond of CPU (key
// exchange, signature, certificate chain check, connection state; the
// flood test's 500 idle connections added 0.3–0.8 s to its process's
// 1.4–1.6 s), so 50 a second is about a twentieth of a core, and four in
// progress keep the
// goroutines doing cryptography few beside the fusion loop. A thousand
// subscribers dialling at once are all connected within about 20 s
// (edge/client retries a refused dial). In the flood test 100 and 8
// helped no more than no gate at all (README, "Floods").
const (
	DefaultHandshakesPerSec = 50
	DefaultMaxHandshakes    = 4
)

// Fusion stages.
const (
	FusionTrack  = "track"
	FusionLatest = "latest"
)

// SetDefaults fills unset fields.
func (c *Config) SetDefaults() {
	set := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	if c.UPERStd == "" {
		c.UPERStd = "csae53"
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:4433"
	}
	if c.DataDir == "" {
		c.DataDir = "v2x-data"
	}
	if c.Fusion == "" {
		c.Fusion = FusionTrack
	}
	if c.MaxFrame == 0 {
		c.MaxFrame = wire.DefaultMaxFrame
	}
	if c.InboxSize == 0 {
		c.InboxSize = 1 << 16
	}
	if c.MaxStreams == 0 {
		c.MaxStreams = 100
	}
	if c.HandshakesPerSec == 0 {
		c.HandshakesPerSec = DefaultHandshakesPerSec
	}
	if c.MaxHandshakes == 0 {
		c.MaxHandshakes = DefaultMaxHandshakes
	}
	set(&c.StaleAfter, time.Second)
	set(&c.SignalStale, 3*time.Second)
	set(&c.PublishTick, 100*time.Millisecond)
	set(&c.ClockInterval, 2*time.Second)
	set(&c.MaxClockSkew, 10*time.Second)
	set(&c.MaxFuture, 500*time.Millisecond)
	if c.MaxRange == 0 {
		c.MaxRange = 2000
	}
	set(&c.IdleTimeout, 30*time.Second)
	set(&c.FrameTimeout, 5*time.Second)
	set(&c.HTTPIdleTimeout, 60*time.Second)
	set(&c.HTTPReadTimeout, 10*time.Second)
	set(&c.HTTPWriteTimeout, 30*time.Second)
	if c.LiveViewers == 0 {
		c.LiveViewers = 8
	}
	c.Quotas.SetDefaults()
	if c.UPERAllow == nil {
		c.UPERAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	if c.RecordMaxFile == 0 {
		c.RecordMaxFile = 256 << 20
	}
	if c.RecordMaxAge == 0 {
		c.RecordMaxAge = 10 * time.Minute
	}
	if c.RecordMaxTotal == 0 {
		c.RecordMaxTotal = 4 << 30
	}
	if c.UPERIdentity == "" {
		c.UPERIdentity = DefaultUPERIdentity
	}
	if c.UPERRcvbuf == 0 {
		c.UPERRcvbuf = 4 << 20
	}
	set(&c.ShutdownGrace, 5*time.Second)
	set(&c.ErrorWriteTTL, time.Second)
	if c.Compression == "" {
		c.Compression = "zstd"
	}
	set(&c.KeyframeInterval, time.Second)
	if c.MaxDatagram == 0 {
		c.MaxDatagram = 1100
	}
	if c.Workers == 0 {
		c.Workers = runtime.NumCPU()
	}
	c.XDPLimits = c.XDPLimits.WithDefaults()
	c.NATS.SetDefaults()
	c.MQTT.SetDefaults()
}

// DefaultConfig returns a Config with every default set and no reference
// point.
func DefaultConfig() Config {
	c := Config{RefLat: math.NaN(), RefLon: math.NaN()}
	c.SetDefaults()
	return c
}

// Validate reports every problem with the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if _, err := net.ResolveUDPAddr("udp", c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen %q: %w", c.Listen, err))
	}
	if c.HTTP != "" {
		if _, err := net.ResolveTCPAddr("tcp", c.HTTP); err != nil {
			errs = append(errs, fmt.Errorf("http %q: %w", c.HTTP, err))
		}
	}
	if c.UPERListen != "" {
		if _, err := net.ResolveUDPAddr("udp", c.UPERListen); err != nil {
			errs = append(errs, fmt.Errorf("uper_listen %q: %w", c.UPERListen, err))
		}
	}
	if _, err := codec.ParseEncoding(c.UPERStd); err != nil {
		errs = append(errs, fmt.Errorf("uper_std: %w", err))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("cert_file and key_file must be given together"))
	}
	if c.DataDir == "" && (c.CertFile == "" || c.ClientCA == "" || c.OperatorTokenFile == "") {
		errs = append(errs, errors.New("data_dir is required unless cert_file, client_ca and operator_token_file are all given"))
	}
	switch latNaN, lonNaN := math.IsNaN(c.RefLat), math.IsNaN(c.RefLon); {
	case latNaN && !lonNaN:
		errs = append(errs, fmt.Errorf("ref_lat is missing: ref_lon %s is given without it (give both, or neither)", fmtDeg(c.RefLon)))
	case lonNaN && !latNaN:
		errs = append(errs, fmt.Errorf("ref_lon is missing: ref_lat %s is given without it (give both, or neither)", fmtDeg(c.RefLat)))
	case latNaN:
	case !(math.Abs(c.RefLat) <= 90):
		errs = append(errs, fmt.Errorf("ref_lat %s is not a latitude (want -90..90)", fmtDeg(c.RefLat)))
	case !(math.Abs(c.RefLon) <= 180):
		errs = append(errs, fmt.Errorf("ref_lon %s is not a longitude (want -180..180)", fmtDeg(c.RefLon)))
	}
	if c.Fusion != FusionTrack && c.Fusion != FusionLatest {
		errs = append(errs, fmt.Errorf("fusion %q is neither %q nor %q", c.Fusion, FusionTrack, FusionLatest))
	}
	if c.MaxFrame < wire.HeaderLen || c.MaxFrame > 64<<20 {
		errs = append(errs, fmt.Errorf("max_frame %d outside %d..%d", c.MaxFrame, wire.HeaderLen, 64<<20))
	}
	if !(c.MaxRange > 0) {
		errs = append(errs, fmt.Errorf("max_range must be positive, is %v", c.MaxRange))
	}
	if _, err := wire.ParseCompression(c.Compression); err != nil {
		errs = append(errs, fmt.Errorf("compression: %w", err))
	}
	if c.KeyframeInterval < 10*time.Millisecond || c.KeyframeInterval > time.Minute {
		errs = append(errs, fmt.Errorf("keyframe_interval %v outside 10ms..1m", c.KeyframeInterval))
	}
	if c.MaxBurst < -1 || c.MaxBurst > 1<<20 {
		errs = append(errs, fmt.Errorf("max_burst %d outside -1..%d", c.MaxBurst, 1<<20))
	}
	if c.MaxDatagram < wire.HeaderLen+wire.UpdateHeadLen || c.MaxDatagram > 1400 {
		errs = append(errs, fmt.Errorf("max_datagram %d outside %d..1400", c.MaxDatagram, wire.HeaderLen+wire.UpdateHeadLen))
	}
	if c.InboxSize < 16 || c.InboxSize > 1<<24 {
		errs = append(errs, fmt.Errorf("inbox_size %d outside 16..%d", c.InboxSize, 1<<24))
	}
	if c.Workers < 1 || c.Workers > steer.MaxWorkers {
		errs = append(errs, fmt.Errorf("workers %d outside 1..%d", c.Workers, steer.MaxWorkers))
	}
	for _, l := range []struct {
		name string
		ps   []netip.Prefix
	}{{"xdp_allow", c.XDPAllow}, {"xdp_deny", c.XDPDeny}, {"uper_allow", c.UPERAllow}} {
		for i, p := range l.ps {
			if err := xdpguard.CheckPrefix(p); err != nil {
				errs = append(errs, fmt.Errorf("%s[%d] %v: %w", l.name, i, p, err))
			}
		}
	}
	if err := c.XDPLimits.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("xdp_limits: %w", err))
	}
	if err := c.Trust.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("trust: %w", err))
	}
	if err := c.Quotas.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("quotas: %w", err))
	}
	if c.RecordDir != "" {
		rc := record.Config{Dir: c.RecordDir, MaxFile: c.RecordMaxFile, MaxAge: c.RecordMaxAge, MaxTotal: c.RecordMaxTotal}
		rc.SetDefaults()
		if err := rc.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if id, err := auth.ParseURIString(c.UPERIdentity); err != nil {
		errs = append(errs, fmt.Errorf("uper_identity %q: %w", c.UPERIdentity, err))
	} else if !id.Has(auth.RoleProducer) {
		errs = append(errs, fmt.Errorf("uper_identity %q: needs the producer role and kinds", c.UPERIdentity))
	}
	if c.UPERRcvbuf < 4096 || c.UPERRcvbuf > 1<<30 {
		errs = append(errs, fmt.Errorf("uper_rcvbuf %d outside 4096..%d", c.UPERRcvbuf, 1<<30))
	}
	if c.Foxglove != "" {
		if _, err := net.ResolveTCPAddr("tcp", c.Foxglove); err != nil {
			errs = append(errs, fmt.Errorf("foxglove %q: %w", c.Foxglove, err))
		}
	}
	if c.LiveViewers < 1 || c.LiveViewers > 1000 {
		errs = append(errs, fmt.Errorf("live_viewers %d outside 1..1000", c.LiveViewers))
	}
	if c.HandshakesPerSec != -1 && !(c.HandshakesPerSec > 0) {
		errs = append(errs, fmt.Errorf("handshakes_per_sec %v must be positive, or -1 for no limit", c.HandshakesPerSec))
	}
	if c.MaxHandshakes != -1 && c.MaxHandshakes < 1 {
		errs = append(errs, fmt.Errorf("max_handshakes %d must be positive, or -1 for no limit", c.MaxHandshakes))
	}
	if c.HandshakeBurst < 0 {
		errs = append(errs, fmt.Errorf("handshake_burst %d must be 0 (one second's worth) or positive", c.HandshakeBurst))
	}
	if c.MaxStreams < 2 || c.MaxStreams > 10000 {
		errs = append(errs, fmt.Errorf("max_streams %d outside 2..10000", c.MaxStreams))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"stale_after", c.StaleAfter}, {"signal_stale", c.SignalStale}, {"publish_tick", c.PublishTick},
		{"clock_interval", c.ClockInterval}, {"max_clock_skew", c.MaxClockSkew}, {"max_future", c.MaxFuture}, {"idle_timeout", c.IdleTimeout},
		{"shutdown_grace", c.ShutdownGrace}, {"error_write_ttl", c.ErrorWriteTTL}, {"frame_timeout", c.FrameTimeout},
		{"http_idle_timeout", c.HTTPIdleTimeout}, {"http_read_timeout", c.HTTPReadTimeout}, {"http_write_timeout", c.HTTPWriteTimeout}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, is %v", d.name, d.v))
		}
	}
	if err := c.NATS.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.MQTT.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// GuardSettings are the XDP guard's lists and limits in c.
func (c *Config) GuardSettings() xdpguard.Settings {
	return xdpguard.Settings{Allow: c.XDPAllow, Deny: c.XDPDeny, Limits: c.XDPLimits}
}

// Package harness is the end-to-end benchmark behind v2x-bench: a node,
// a load process driving it with the simulator, N subscribers in another
// process, and, in the same run, the same payload stream relayed through
// a real Mosquitto broker to N MQTT subscribers.
package harness

import (
	"math"
	"slices"
)

// Latency summarises latency samples, in microseconds.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_us"`
	P99   float64 `json:"p99_us"`
	P999  float64 `json:"p999_us"`
	Max   float64 `json:"max_us"`
	// Curve is the latency at the percentiles in CurvePercentiles, for the
	// plot.
	Curve []float64 `json:"curve_us,omitempty"`
}

// CurvePercentiles are the percentiles a Latency's Curve samples.
var CurvePercentiles = []float64{0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100}

// Summarize sorts ns (nanoseconds) and summarises it.
func Summarize(ns []int64) Latency {
	if len(ns) == 0 {
		return Latency{}
	}
	slices.Sort(ns)
	at := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ns))/100-1e-9)) - 1 // nearest rank
		return float64(ns[max(0, min(i, len(ns)-1))]) / 1e3
	}
	l := Latency{Count: len(ns), P50: at(50), P99: at(99), P999: at(99.9), Max: float64(ns[len(ns)-1]) / 1e3}
	for _, p := range CurvePercentiles {
		l.Curve = append(l.Curve, at(p))
	}
	return l
}

// SubsResult is what a subscriber process reports.
type SubsResult struct {
	Subs     int     `json:"subs"`
	Seconds  float64 `json:"seconds"`
	Latency  Latency `json:"latency"`
	Updates  int     `json:"updates"`
	Bytes    int64   `json:"bytes"`
	RawBytes int64   `json:"raw_bytes"`
	// Client counters over the measuring window.
	Keyframes       uint64  `json:"keyframes"`
	Deltas          uint64  `json:"deltas"`
	Datagrams       uint64  `json:"datagrams"`
	Resyncs         uint64  `json:"resyncs"`
	Dropped         uint64  `json:"dropped"`
	Errors          int     `json:"errors"`
	ConnectSeconds  float64 `json:"connect_seconds"`
	DialRetries     int     `json:"dial_retries"`      // connection attempts that failed and were made again
	MinSubUpdates   int     `json:"min_sub_updates"`   // fewest updates any one subscriber got
	StalledSubs     int     `json:"stalled_subs"`      // subscribers that got nothing while measuring
	ObjectsPerState float64 `json:"objects_per_state"` // mean
	CPU             float64 `json:"cpu_cores"`         // the subscriber process's own CPU while measuring
	// Fanout is every contender's figure over the same span: the state
	// handed to the fan-out to the subscriber holding it decoded. Latency
	// is the node's end to end (ingest to decoded state); for the peers
	// and floors it is Fanout.
	Fanout Latency `json:"fanout"`
	// Stages splits the node's latency: ingest to publish (fusion and
	// queueing), publish to the frame's arrival in the client library
	// (broadcast, QUIC, the network), arrival to the reassembled state.
	Stages []Latency `json:"stages,omitempty"`
}

// Result is one line of v2x-bench output: our node and the peer at one
// subscriber count, measured in the same run.
type Result struct {
	Subs    int     `json:"subs"`
	RateHz  float64 `json:"rate_hz"`
	Seconds float64 `json:"seconds"`
	// End to end, the headline: a measurement's arrival at the node to the
	// subscriber holding the decoded state; Samples latencies.
	Samples int     `json:"samples"`
	P50     float64 `json:"p50_us"`
	P99     float64 `json:"p99_us"`
	P999    float64 `json:"p999_us"`
	Max     float64 `json:"max_us"`
	// The fan-out span, the same for every contender (peers, floors): the
	// node's snapshot publication to the subscriber holding the decoded
	// state; FanoutSamples latencies.
	FanoutSamples int     `json:"fanout_samples"`
	FanoutP50     float64 `json:"fanout_p50_us"`
	FanoutP99     float64 `json:"fanout_p99_us"`
	FanoutP999    float64 `json:"fanout_p999_us"`
	Updates       int     `json:"updates"`
	UpdatesPerSec float64 `json:"updates_per_s"`
	BytesPer      float64 `json:"bytes_per_update"`
	RawBytesPer   float64 `json:"raw_bytes_per_update"`
	Smaller       float64 `json:"x_smaller"`
	NodeCPU       float64 `json:"node_cpu_cores"`
	Datagrams     uint64  `json:"datagrams"`
	Keyframes     uint64  `json:"keyframes"`
	Resyncs       uint64  `json:"resyncs"`
	Objects       float64 `json:"objects_per_state"`
	StalledSubs   int     `json:"stalled_subs"`
	// ConnectSeconds is how long the subscriber process took to connect
	// and subscribe all of them; DialRetries how many attempts failed and
	// were made again (dialPacing).
	ConnectSeconds float64 `json:"connect_seconds"`
	DialRetries    int     `json:"dial_retries"`
	SubsCPU        float64 `json:"subs_cpu_cores"` // the subscriber process (the client side, not the node)
	// Stage p50/p99: ingest→publish, publish→received, received→reassembled.
	StageP50 []float64 `json:"stage_p50_us,omitempty"`
	StageP99 []float64 `json:"stage_p99_us,omitempty"`
	// NodeSendP50/P99 bound the node's share of publish→received: from
	// publication to the update handed to QUIC (histogram bucket bounds).
	// Here and in BurstP50/P99, -1 means beyond the histogram's last
	// bucket (0.52 s; 2048 subscribers) and 0 no samples.
	NodeSendP50 float64 `json:"node_send_p50_us"`
	NodeSendP99 float64 `json:"node_send_p99_us"`
	// Burst: subscribers one publication with new measurements woke
	// (p50/p99, histogram bucket bounds), and how many such publications
	// the node made per second. Subscribers due in a rate slot wait for
	// fresh data, so each fresh publication starts a burst of sends.
	BurstP50           float64 `json:"burst_p50"`
	BurstP99           float64 `json:"burst_p99"`
	FreshPublishesPerS float64 `json:"fresh_publishes_per_s"`
	// EncodingsPerS is how many Update payloads the node computed (and
	// compressed) per second; the rest of the updates shared one.
	EncodingsPerS float64 `json:"encodings_per_s"`
	// CPU per delivered update, in µs: the node process and the
	// subscriber process (cores × 1e6 / updates per second).
	NodeCPUPerUpdate float64 `json:"node_cpu_us_per_update"`
	SubsCPUPerUpdate float64 `json:"subs_cpu_us_per_update"`
	Shed             float64 `json:"shed"` // measurements the node shed while measuring
	// NodeMaxRSSMB is the node process's largest resident set while
	// measuring (the node runs inside the v2x-bench process).
	NodeMaxRSSMB float64 `json:"node_max_rss_mb"`

	// The first peer's figures (fan-out span; Peers has every peer's).
	Peer              string  `json:"peer"`
	PeerSamples       int     `json:"peer_samples,omitempty"`
	PeerP50           float64 `json:"peer_p50_us,omitempty"`
	PeerP99           float64 `json:"peer_p99_us,omitempty"`
	PeerP999          float64 `json:"peer_p999_us,omitempty"`
	PeerMax           float64 `json:"peer_max_us,omitempty"`
	PeerUpdates       int     `json:"peer_updates,omitempty"`
	PeerUpdatesPerSec float64 `json:"peer_updates_per_s,omitempty"`
	PeerCPU           float64 `json:"peer_cpu_cores,omitempty"`
	PeerBytesPer      float64 `json:"peer_bytes_per_update,omitempty"`
	P99Ratio          float64 `json:"p99_ratio,omitempty"` // our fanout_p99_us / peer_p99_us

	// The transport floors (Config.Floors), measured in the same run:
	// Floor sends evenly spread, FreshFloor as the node does (see runFloor).
	Floor      *Floor `json:"floor,omitempty"`
	FreshFloor *Floor `json:"fresh_floor,omitempty"`

	// Peers has every peer's figures over the fan-out span, in -peer
	// order; Pinned says the run pinned the node to CPU 0 and the load,
	// subscriber and broker processes to CPU 1.
	Peers  []PeerResult `json:"peers,omitempty"`
	Pinned bool         `json:"pinned"`
	// Recording says the node recorded MCAP (edge.Config.RecordDir) during
	// the phase.
	Recording bool `json:"recording"`

	Curve       []float64 `json:"curve_us,omitempty"`
	FanoutCurve []float64 `json:"fanout_curve_us,omitempty"`
	PeerCurve   []float64 `json:"peer_curve_us,omitempty"`
}

// PeerResult is one broker peer at one subscriber count: the node's state
// stream relayed through it to n subscribers, timed over the fan-out span
// from the relay's receipt of each state to the subscriber holding it
// decoded. CPU is the broker process's, SubsCPU its subscribers'.
type PeerResult struct {
	Peer          string    `json:"peer"`
	Samples       int       `json:"samples"`
	P50           float64   `json:"p50_us"`
	P99           float64   `json:"p99_us"`
	P999          float64   `json:"p999_us"`
	Max           float64   `json:"max_us"`
	UpdatesPerSec float64   `json:"updates_per_s"`
	BytesPer      float64   `json:"bytes_per_update"`
	CPU           float64   `json:"cpu_cores"`
	SubsCPU       float64   `json:"subs_cpu_cores"`
	P99Ratio      float64   `json:"p99_ratio"` // the node's fanout_p99_us over this peer's
	Curve         []float64 `json:"curve_us,omitempty"`
}

// Floor is one transport-floor phase: bare quic-go datagrams at the node's
// fan-out, rate and mean update size. CPU is the bench process's (the
// floor server, with the node idling beside it), SubsCPU the clients'
// process, in cores; Ratio is the node's fan-out p99 over this floor's.
// The fresh floor is timed over the fan-out span (from the relay's receipt
// of a state); the even floor, which sends on its own schedule, from each
// send. Samples is how many latencies the percentiles come from.
type Floor struct {
	Samples       int       `json:"samples"`
	P50           float64   `json:"p50_us"`
	P99           float64   `json:"p99_us"`
	P999          float64   `json:"p999_us"`
	Max           float64   `json:"max_us"`
	UpdatesPerSec float64   `json:"updates_per_s"`
	CPU           float64   `json:"cpu_cores"`
	SubsCPU       float64   `json:"subs_cpu_cores"`
	Ratio         float64   `json:"p99_ratio"`
	Curve         []float64 `json:"curve_us,omitempty"`
}

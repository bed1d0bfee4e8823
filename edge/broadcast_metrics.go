package edge

import "github.com/prometheus/client_golang/prometheus"

// Update kinds and paths, as metric label indexes.
const (
	kindKeyframe = iota
	kindDelta
	numKinds
)

const (
	pathStream = iota
	pathDatagram
	numPaths
)

var (
	kindNames = [numKinds]string{"keyframe", "delta"}
	pathNames = [numPaths]string{"stream", "datagram"}
)

// broadcastMetrics counts what the broadcast side sends: the subscribers'
// writers, and the hub in hub.
type broadcastMetrics struct {
	subscribers      prometheus.Gauge
	delivered        prometheus.Counter // State, Update and RSM frames written
	stateBytes       prometheus.Counter // of State frames
	updates          [numKinds][numPaths]prometheus.Counter
	bytes            [numPaths]prometheus.Counter
	rawBytes         prometheus.Counter
	encodings        prometheus.Counter
	resyncs          prometheus.Counter
	resyncsCoalesced prometheus.Counter   // Resyncs answered by the keyframe already sent
	objectsCut       prometheus.Counter   // objects left out of states by the per-state cap
	delay            prometheus.Histogram // publish to handed to QUIC
	rsiFrames        prometheus.Counter   // RSI frames to subscribers (rsiout.go)
	rsiCut           prometheus.Counter   // roadside events left out of a subscriber's set (rsiout.go)

	hub hubMetrics
}

// hubMetrics counts what the hub does when it publishes.
type hubMetrics struct {
	superseded prometheus.Counter   // states a subscriber never got (latest-wins)
	wakeups    prometheus.Histogram // subscribers woken per fresh publication
	deferred   prometheus.Counter   // due subscribers left for a later publication (burst limit)
	cut        prometheus.Counter   // v2x_state_objects_cut_total, given to the snapshots it makes
	// uncompressed counts deltas the compression gate sent uncompressed.
	uncompressed prometheus.Counter
}

func (b *broadcastMetrics) register(reg *prometheus.Registry) {
	b.subscribers = gauge("v2x_subscribers", "Open subscriber streams.")
	b.delivered = counter("v2x_state_updates_delivered_total", "State frames written to subscribers.")
	b.stateBytes = counter("v2x_state_bytes_total", "Bytes of State frames written to subscribers.")
	b.hub.superseded = counter("v2x_state_updates_superseded_total", "States a subscriber never got because a newer one replaced them (latest-wins).")
	updates := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_broadcast_updates_total", Help: "Update frames sent to packed subscribers, by kind (keyframe, delta) and path (stream, datagram).",
	}, []string{"kind", "path"})
	bytes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_broadcast_bytes_total", Help: "Bytes of Update frames sent, by path.",
	}, []string{"path"})
	for k := range numKinds {
		for p := range numPaths {
			b.updates[k][p] = updates.WithLabelValues(kindNames[k], pathNames[p])
		}
	}
	for p := range numPaths {
		b.bytes[p] = bytes.WithLabelValues(pathNames[p])
	}
	b.rawBytes = counter("v2x_broadcast_raw_bytes_total",
		"Bytes the same updates would have taken as uncompressed full State frames (compare with v2x_broadcast_bytes_total).")
	b.encodings = counter("v2x_broadcast_encodings_total",
		"Update payloads encoded and compressed; updates beyond this count shared an encoding with another subscriber.")
	b.resyncs = counter("v2x_broadcast_resyncs_total",
		"Resync requests from subscribers that missed a delta's base (a lost datagram), each answered with a keyframe.")
	b.resyncsCoalesced = counter("v2x_broadcast_resyncs_coalesced_total",
		"Keyframe requests (Resync, Subscribe) answered by the keyframe of the same state already sent on the stream, without another.")
	b.objectsCut = counter("v2x_state_objects_cut_total",
		"Objects left out of a subscriber's state because more than the per-state cap (4096) passed its filter; the ones nearest its region's centre (or the reference point) are kept. Counted per view built (shared by packed subscribers with one view) and per State frame.")
	b.hub.cut = b.objectsCut
	b.delay = histogram("v2x_broadcast_delay_seconds",
		"From a snapshot's publication to its update being handed to QUIC (subscriber wakeup, encoding, compression, write), per update.",
		prometheus.ExponentialBuckets(1e-6, 2, 20))
	b.hub.wakeups = histogram("v2x_broadcast_wakeups",
		"Subscribers woken by one publication with new measurements (those whose rate slot had begun): the burst of sends that publication starts.",
		prometheus.ExponentialBuckets(1, 2, 12))
	b.hub.deferred = counter("v2x_broadcast_deferred_total",
		"Due subscribers a publication left for the next one because of the burst limit (max_burst); they get that one's newer data.")
	b.hub.uncompressed = counter("v2x_broadcast_uncompressed_deltas_total",
		"Delta payloads encoded without compression because recent deltas did not compress (the compression gate: a delta that came out less than 1/16 smaller sends the next 63 uncompressed, then one is compressed as a probe). Counted per encoding, like v2x_broadcast_encodings_total.")
	b.rsiFrames = counter("v2x_rsi_frames_sent_total", "RSI frames (native and CSAE 53) sent to subscribers with SubRSI or SubCSAERSI: a changed set of active roadside events, or its withdrawal.")
	b.rsiCut = counter("v2x_rsi_events_cut_total", "Active roadside events left out of a subscriber's RSI because more than 64 touched its region (the lowest priorities).")
	reg.MustRegister(b.subscribers, b.delivered, b.stateBytes, updates, bytes, b.rawBytes, b.encodings, b.resyncs, b.resyncsCoalesced, b.objectsCut, b.delay,
		b.hub.superseded, b.hub.wakeups, b.hub.deferred, b.hub.uncompressed, b.rsiFrames, b.rsiCut)
}

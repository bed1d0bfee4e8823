package edge

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Rejection reasons for values inside otherwise well-formed frames.
const (
	reasonNaN = iota
	reasonLatLon
	reasonClass
	reasonSpeed
	reasonLight
	reasonMap
	reasonOutsideMap
	reasonTimeFuture
	reasonTimePast
	numValueReasons
)

var valueReasonNames = [numValueReasons]string{"not_finite", "lat_lon_range", "class", "speed_range", "light_state",
	"map_geometry", "outside_map", "time_future", "time_past"}

// metrics holds the node's Prometheus collectors, with label children
// resolved up front so the hot paths only do atomic adds.
type metrics struct {
	reg *prometheus.Registry

	framesByType   [256]prometheus.Counter // indexed by wire.Type; nil for unknown types
	framesUnknown  prometheus.Counter
	rejectedByCode [16]prometheus.Counter // indexed by wire.Code
	valuesRejected [numValueReasons]prometheus.Counter
	shed           prometheus.Counter
	clockClamped   prometheus.Counter
	errorsUnsent   prometheus.Counter

	connections     prometheus.Gauge
	producerStreams prometheus.Gauge
	subscribers     prometheus.Gauge

	delivered  prometheus.Counter
	superseded prometheus.Counter
	stateBytes prometheus.Counter

	published   prometheus.Counter
	objects     prometheus.Gauge
	signals     prometheus.Gauge
	cycle       prometheus.Histogram
	measuresIn  prometheus.Counter
	clockOffset prometheus.Histogram

	bc broadcastMetrics
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	frames := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_frames_received_total", Help: "Frames received, by frame type (unknown types as \"unknown\").",
	}, []string{"type"})
	for t := 0; t < 256; t++ {
		if wire.Type(t).Known() {
			m.framesByType[t] = frames.WithLabelValues(wire.Type(t).String())
		}
	}
	m.framesUnknown = frames.WithLabelValues("unknown")
	rejected := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_frames_rejected_total", Help: "Frames answered with an Error frame, by error code name.",
	}, []string{"reason"})
	for _, c := range wire.AllCodes() {
		m.rejectedByCode[c] = rejected.WithLabelValues(c.String())
	}
	values := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_values_rejected_total", Help: "Measurements (objects, BSMs, phases) rejected before fusion, by reason.",
	}, []string{"reason"})
	for i, n := range valueReasonNames {
		m.valuesRejected[i] = values.WithLabelValues(n)
	}
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	m.shed = c("v2x_ingest_shed_total", "Measurements shed because the fusion inbox was full.")
	m.clockClamped = c("v2x_capture_clamped_total", "Measurements whose corrected capture time lay slightly in the future (within max_future) and was clamped to the ingest time.")
	m.errorsUnsent = c("v2x_error_frames_unsent_total", "Error frames that could not be written to a stream that does not read.")
	m.connections = g("v2x_connections", "Open QUIC connections.")
	m.producerStreams = g("v2x_producer_streams", "Open producer streams.")
	m.subscribers = g("v2x_subscribers", "Open subscriber streams.")
	m.delivered = c("v2x_state_updates_delivered_total", "State frames written to subscribers.")
	m.superseded = c("v2x_state_updates_superseded_total", "States a subscriber never got because a newer one replaced them (latest-wins).")
	m.stateBytes = c("v2x_state_bytes_total", "Bytes of State frames written to subscribers.")
	m.published = c("v2x_snapshots_published_total", "Snapshots published by the fusion loop.")
	m.objects = g("v2x_fusion_objects", "Objects in the latest snapshot.")
	m.signals = g("v2x_fusion_signals", "Signal groups in the latest snapshot.")
	m.measuresIn = c("v2x_fusion_measurements_total", "Measurements folded into the world by the fusion loop.")
	m.cycle = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "v2x_fusion_cycle_seconds", Help: "Time of one fusion cycle (drain inbox, update, publish).",
		Buckets: prometheus.ExponentialBuckets(1e-6, 2, 18),
	})
	m.clockOffset = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "v2x_clock_offset_abs_seconds", Help: "Absolute clock offset of producer streams, per completed exchange.",
		Buckets: prometheus.ExponentialBuckets(1e-5, 4, 12),
	})
	m.reg.MustRegister(frames, rejected, values, m.shed, m.clockClamped, m.errorsUnsent, m.connections,
		m.producerStreams, m.subscribers, m.delivered, m.superseded, m.stateBytes, m.published,
		m.objects, m.signals, m.measuresIn, m.cycle, m.clockOffset)
	m.bc.register(m.reg)
	return m
}

func (m *metrics) frame(t wire.Type) {
	if c := m.framesByType[t]; c != nil {
		c.Inc()
		return
	}
	m.framesUnknown.Inc()
}

func (m *metrics) reject(c wire.Code) {
	if int(c) < len(m.rejectedByCode) && m.rejectedByCode[c] != nil {
		m.rejectedByCode[c].Inc()
	}
}

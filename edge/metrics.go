package edge

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// metrics holds the node's Prometheus collectors, with label children
// resolved up front so the hot paths only do atomic adds. Each part of the
// node gets the struct of the counters it keeps, not all of them: the
// stream sessions frameMetrics, the fusion loop fusionMetrics, the
// subscribers and the hub broadcastMetrics.
type metrics struct {
	reg *prometheus.Registry

	frameMetrics
	valuesRejected [numRejectReasons]prometheus.Counter
	shed           prometheus.Counter
	clockClamped   prometheus.Counter
	batches        batchMetrics // producer batches put whole (batch.go)

	connections     prometheus.Gauge
	producerStreams prometheus.Gauge
	mapsUnchanged   prometheus.Counter // MAP frames identical to the one queued last, skipped

	clockOffset prometheus.Histogram

	fusion fusionMetrics
	bc     broadcastMetrics
	auth   authMetrics
}

// frameMetrics counts the frames the stream sessions read and the ones
// they answer with an Error frame.
type frameMetrics struct {
	framesByType   [256]prometheus.Counter // indexed by wire.Type; nil for unknown types
	framesUnknown  prometheus.Counter
	rejectedByCode [16]prometheus.Counter // indexed by wire.Code
	errorsUnsent   prometheus.Counter
	stalled        prometheus.Counter // streams reset for a frame that stopped mid-way
	overBudget     prometheus.Counter // streams reset for a frame over the identity's bytes in flight
	backoffs       prometheus.Counter // waits of a stream after a rate quota refused a frame
}

// fusionMetrics counts what the fusion loop does.
type fusionMetrics struct {
	published     prometheus.Counter
	objects       prometheus.Gauge
	signals       prometheus.Gauge
	cycle         prometheus.Histogram
	measuresIn    prometheus.Counter
	outsideMap    prometheus.Counter // the outside_map child of v2x_values_rejected_total
	noRef         prometheus.Counter // the no_reference child of v2x_values_rejected_total
	mapsUnchanged prometheus.Counter // v2x_map_unchanged_total: MAPs the same as the current one
	started       prometheus.Gauge   // boot time; the first state's Seq is this in µs
	// sensorsDeclared counts cameras' detection areas given to the checks
	// (SensorInfo frames and the operator's declarations; repeats too).
	sensorsDeclared prometheus.Counter
	handovers       prometheus.Counter // objects handed over to a neighbour (corridor.go)
	trust           trustMetrics
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.frameMetrics.register(m.reg)
	values := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_values_rejected_total", Help: "Measurements (objects, BSMs, phases) rejected before fusion, by reason.",
	}, []string{"reason"})
	for r := reasonOK + 1; r < numRejectReasons; r++ {
		m.valuesRejected[r] = values.WithLabelValues(r.String())
	}
	m.shed = counter("v2x_ingest_shed_total", "Measurements shed because the fusion inbox was full.")
	m.clockClamped = counter("v2x_capture_clamped_total", "Measurements whose corrected capture time lay slightly in the future (within max_future) and was clamped to the ingest time.")
	m.connections = gauge("v2x_connections", "Open QUIC connections.")
	m.producerStreams = gauge("v2x_producer_streams", "Open producer streams.")
	m.clockOffset = histogram("v2x_clock_offset_abs_seconds", "Absolute clock offset of producer streams, per completed exchange.",
		prometheus.ExponentialBuckets(1e-5, 4, 12))
	m.mapsUnchanged = counter("v2x_map_unchanged_total", "MAPs skipped as unchanged: frames with the same encoding and bytes as the MAP queued last (not decoded), and MAPs equal to the current one in content (not re-applied).")
	m.reg.MustRegister(values, m.shed, m.clockClamped, m.connections, m.producerStreams, m.clockOffset, m.mapsUnchanged)
	m.batches.register(m.reg)
	m.fusion.register(m.reg, m.valuesRejected[reasonOutsideMap])
	m.fusion.noRef = m.valuesRejected[reasonNoReference]
	m.fusion.mapsUnchanged = m.mapsUnchanged
	m.bc.register(m.reg)
	m.auth.register(m.reg)
	return m
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
}

func histogram(name, help string, buckets []float64) prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
}

func (m *frameMetrics) register(reg *prometheus.Registry) {
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
	m.errorsUnsent = counter("v2x_error_frames_unsent_total", "Error frames that could not be written to a stream that does not read.")
	m.stalled = counter("v2x_frames_stalled_total", "Streams reset because a frame did not arrive whole within frame_timeout of its first byte.")
	m.overBudget = counter("v2x_frames_over_budget_total", "Streams reset because a frame needed more buffer than its identity's bytes_in_flight quota left.")
	m.backoffs = counter("v2x_stream_backoffs_total", "Times a stream stopped reading for a while because a rate quota (frames, objects, Subscribe/Resync, MAPs per second) refused a frame: the sender waits on flow control.")
	reg.MustRegister(frames, rejected, m.errorsUnsent, m.stalled, m.overBudget, m.backoffs)
}

func (m *frameMetrics) frame(t wire.Type) {
	if c := m.framesByType[t]; c != nil {
		c.Inc()
		return
	}
	m.framesUnknown.Inc()
}

func (m *frameMetrics) reject(c wire.Code) {
	if int(c) < len(m.rejectedByCode) && m.rejectedByCode[c] != nil {
		m.rejectedByCode[c].Inc()
	}
}

// register makes and registers the fusion loop's collectors; outsideMap is
// the counter of measurements refused for their distance, registered by
// its owner.
func (m *fusionMetrics) register(reg *prometheus.Registry, outsideMap prometheus.Counter) {
	m.published = counter("v2x_snapshots_published_total", "Snapshots published by the fusion loop.")
	m.objects = gauge("v2x_fusion_objects", "Objects in the latest snapshot.")
	m.signals = gauge("v2x_fusion_signals", "Signal groups in the latest snapshot.")
	m.measuresIn = counter("v2x_fusion_measurements_total", "Measurements folded into the world by the fusion loop.")
	m.cycle = histogram("v2x_fusion_cycle_seconds", "Time of one fusion cycle (drain inbox, update, publish).",
		prometheus.ExponentialBuckets(1e-6, 2, 18))
	m.started = gauge("v2x_node_start_time_seconds", "Time the node started, in seconds since the Unix epoch; its first state's Seq is this in microseconds.")
	m.sensorsDeclared = counter("v2x_sensor_declarations_total", "Cameras' declared detection areas (SensorInfo frames, and trust.cameras of the configuration on a camera's behalf) given to the misbehaviour checks, repeats included.")
	m.handovers = counter("v2x_handovers_total", "Confirmed objects handed over to a neighbouring node on NATS as they left towards it.")
	m.outsideMap = outsideMap
	reg.MustRegister(m.published, m.objects, m.signals, m.measuresIn, m.cycle, m.started, m.sensorsDeclared, m.handovers)
	m.trust.register(reg)
}

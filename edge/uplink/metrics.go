package uplink

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the uplink's: v2x_nats_*.
type metrics struct {
	published  *prometheus.CounterVec
	dropped    *prometheus.CounterVec
	bytes      *prometheus.CounterVec
	buffered   prometheus.Gauge
	connected  prometheus.Gauge
	reconnects prometheus.Counter
	errors     prometheus.Counter
	keyframes  prometheus.Counter

	statePublished, eventPublished prometheus.Counter
	stateDropped, eventDropped     prometheus.Counter
	stateBytes, eventBytes         prometheus.Counter
	eventRetries, eventDuplicates  prometheus.Counter
}

func newMetrics() metrics {
	m := metrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "v2x_nats_published_total",
			Help: "Messages the NATS uplink published: states (core NATS) and events (acknowledged by the JetStream stream, once each, duplicates of a retry included)."}, []string{"kind"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "v2x_nats_dropped_total",
			Help: "Messages the NATS uplink dropped: events that found the buffer full (or were left at shutdown), states the bus could not take or that were superseded."}, []string{"kind"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "v2x_nats_published_bytes_total",
			Help: "Bytes of the messages the NATS uplink published (payloads)."}, []string{"kind"}),
		buffered: prometheus.NewGauge(prometheus.GaugeOpts{Name: "v2x_nats_buffered",
			Help: "Events waiting for the JetStream stream's acknowledgement."}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "v2x_nats_connected",
			Help: "1 while the NATS uplink is connected."}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "v2x_nats_reconnects_total",
			Help: "Times the NATS uplink reconnected."}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "v2x_nats_errors_total",
			Help: "Errors of the NATS uplink (asynchronous client errors, the events stream not ready)."}),
		keyframes: prometheus.NewCounter(prometheus.CounterOpts{Name: "v2x_nats_keyframes_total",
			Help: "State keyframes the NATS uplink published (the rest are deltas)."}),
	}
	m.eventRetries = prometheus.NewCounter(prometheus.CounterOpts{Name: "v2x_nats_event_retries_total",
		Help: "Event publishes retried (no acknowledgement, or the bus unreachable)."})
	m.eventDuplicates = prometheus.NewCounter(prometheus.CounterOpts{Name: "v2x_nats_event_duplicates_total",
		Help: "Retried events the stream already had (dropped there by message id)."})
	m.statePublished, m.eventPublished = m.published.WithLabelValues("state"), m.published.WithLabelValues("event")
	m.stateDropped, m.eventDropped = m.dropped.WithLabelValues("state"), m.dropped.WithLabelValues("event")
	m.stateBytes, m.eventBytes = m.bytes.WithLabelValues("state"), m.bytes.WithLabelValues("event")
	return m
}

func (m *metrics) register(reg prometheus.Registerer) error {
	var errs []error
	for _, c := range []prometheus.Collector{m.published, m.dropped, m.bytes, m.buffered, m.connected, m.reconnects,
		m.errors, m.keyframes, m.eventRetries, m.eventDuplicates} {
		errs = append(errs, reg.Register(c))
	}
	return errors.Join(errs...)
}

package edge

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// trustMetrics counts what the misbehaviour checks (package trust) find
// and keep out.
type trustMetrics struct {
	findings    [256]prometheus.Counter // by wire.Check; nil for undefined checks
	quarantined prometheus.Counter      // measurements kept out of fusion
	refused     prometheus.Counter      // SPATs and MAPs refused
	quarantines prometheus.Gauge        // sources in quarantine now
	sourceTrust *prometheus.GaugeVec    // by source, bounded (trust.Config.MaxExportedTrusts)
	events      prometheus.Counter      // Event frames queued to event subscribers
	eventsDrop  prometheus.Counter      // ... and dropped because a subscriber's queue was full
}

func (m *trustMetrics) register(reg *prometheus.Registry) {
	f := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_misbehaviour_findings_total", Help: "Misbehaviour findings, by check (docs/protocol.md §6.8).",
	}, []string{"check"})
	for _, c := range wire.AllChecks() {
		m.findings[c] = f.WithLabelValues(c.String())
	}
	m.quarantined = counter("v2x_quarantined_measurements_total", "Measurements kept out of fusion: their source is quarantined, or their object was found misbehaving.")
	m.refused = counter("v2x_trust_refused_total", "SPATs and MAPs refused by the misbehaviour checks (a finding, or a quarantined source).")
	m.quarantines = gauge("v2x_quarantined_sources", "Sources (producer streams) in quarantine.")
	m.sourceTrust = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "v2x_source_trust", Help: "Trust score (0 … 1) of the sources below 1, the lowest first, at most trust.max_exported_trusts of them.",
	}, []string{"source"})
	m.events = counter("v2x_events_total", "Event frames (findings, quarantines, releases) queued to event subscribers.")
	m.eventsDrop = counter("v2x_events_dropped_total", "Event frames dropped because an event subscriber's queue was full.")
	reg.MustRegister(f, m.quarantined, m.refused, m.quarantines, m.sourceTrust, m.events, m.eventsDrop)
}

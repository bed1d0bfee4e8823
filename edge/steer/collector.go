package steer

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/bpf"
)

// collector exposes the steering program's counters (per-CPU, summed at
// each scrape) and per-worker counts.
type collector struct {
	g *Group

	workers, steered                           *prometheus.Desc
	steerDecisions, workerPackets, workerConns *prometheus.Desc
	scrapeErrors                               *prometheus.Desc
}

// Collector returns a prometheus.Collector for the v2x_steer_* metrics of
// g.
func (g *Group) Collector() prometheus.Collector {
	return &collector{g: g,
		workers:        prometheus.NewDesc("v2x_steer_workers", "QUIC workers (transports) serving the port.", nil, nil),
		steered:        prometheus.NewDesc("v2x_steer_enabled", "1 when the sk_reuseport program steers datagrams by connection id.", nil, nil),
		steerDecisions: prometheus.NewDesc("v2x_steer_decisions_total", "Datagrams seen by the steering program, by decision (cid, new_flow: chosen by the program; hash_*: left to the kernel's hash).", []string{"reason"}, nil),
		workerPackets:  prometheus.NewDesc("v2x_steer_worker_packets_total", "Datagrams the steering program selected into each worker's socket.", []string{"worker"}, nil),
		workerConns:    prometheus.NewDesc("v2x_steer_worker_connections_total", "Connections accepted by each worker.", []string{"worker"}, nil),
		scrapeErrors:   prometheus.NewDesc("v2x_steer_counter_read_errors", "Failed reads of the steering program's counter maps during this scrape.", nil, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.workers, c.steered, c.steerDecisions, c.workerPackets, c.workerConns, c.scrapeErrors} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	g := c.g
	var readErrors float64
	ch <- prometheus.MustNewConstMetric(c.workers, prometheus.GaugeValue, float64(len(g.workers)))
	ch <- prometheus.MustNewConstMetric(c.steered, prometheus.GaugeValue, b2f(g.steering != nil))
	for i, n := range g.WorkerConnections() {
		ch <- prometheus.MustNewConstMetric(c.workerConns, prometheus.CounterValue, float64(n), strconv.Itoa(i))
	}
	if sc, ok, err := g.SteeringCounters(); err != nil {
		readErrors++
	} else {
		// Without steering the counters exist as zeros, so that dashboards
		// see every series.
		for r := range bpf.NumSteerReasons {
			ch <- prometheus.MustNewConstMetric(c.steerDecisions, prometheus.CounterValue, float64(sc.Reasons[r]), r.String())
		}
		for i := range g.workers {
			v := float64(sc.Slots[i])
			if !ok {
				v = 0
			}
			ch <- prometheus.MustNewConstMetric(c.workerPackets, prometheus.CounterValue, v, strconv.Itoa(i))
		}
	}
	ch <- prometheus.MustNewConstMetric(c.scrapeErrors, prometheus.GaugeValue, readErrors)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

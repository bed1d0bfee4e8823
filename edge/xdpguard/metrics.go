package xdpguard

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/bpf"
)

// collector exposes the guard's verdict counters (per-CPU, summed at each
// scrape) and the sizes of its lists, read from the kernel.
type collector struct {
	g *Guard

	attached, packets, entries, readErrors *prometheus.Desc
}

// Collector returns a prometheus.Collector for the v2x_xdp_* metrics of
// g: the guard's state, verdicts and lists, the requests to its control
// and its reloads.
func (g *Guard) Collector() prometheus.Collector {
	return multi{&collector{g: g,
		attached:   prometheus.NewDesc("v2x_xdp_attached", "1 when the XDP guard is attached, labelled with its interface and mode (native or generic).", []string{"iface", "mode"}, nil),
		packets:    prometheus.NewDesc("v2x_xdp_packets_total", "Frames judged by the XDP guard, by verdict and reason.", []string{"verdict", "reason"}, nil),
		entries:    prometheus.NewDesc("v2x_xdp_list_entries", "Prefixes on the XDP guard's allow and deny lists (IPv4 and IPv6), read from the kernel at each scrape.", []string{"list"}, nil),
		readErrors: prometheus.NewDesc("v2x_xdp_counter_read_errors", "Failed reads of the XDP guard's counter and list maps during this scrape.", nil, nil),
	}, g.reqs, g.reloads}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.attached, c.packets, c.entries, c.readErrors} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	g := c.g
	var readErrors float64
	var counts [bpf.NumGuardReasons]uint64
	if g.kern != nil {
		ch <- prometheus.MustNewConstMetric(c.attached, prometheus.GaugeValue, 1, g.kern.Interface(), g.kern.Mode())
		var err error
		if counts, err = g.kern.Counters(); err != nil {
			readErrors++
		}
	} else {
		ch <- prometheus.MustNewConstMetric(c.attached, prometheus.GaugeValue, 0, "", "")
	}
	// Without a guard the counters exist as zeros, so that dashboards see
	// every series.
	for r := range bpf.NumGuardReasons {
		verdict := "pass"
		if r.Drops() {
			verdict = "drop"
		}
		ch <- prometheus.MustNewConstMetric(c.packets, prometheus.CounterValue, float64(counts[r]), verdict, r.String())
	}
	for _, l := range []bpf.List{bpf.Allow, bpf.Deny} {
		var n int
		if g.kern != nil {
			g.mu.Lock()
			ps, err := g.kern.Entries(l)
			g.mu.Unlock()
			if err != nil {
				readErrors++
			}
			n = len(ps)
		}
		ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(n), l.String())
	}
	ch <- prometheus.MustNewConstMetric(c.readErrors, prometheus.GaugeValue, readErrors)
}

// multi is several collectors registered as one.
type multi []prometheus.Collector

func (m multi) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m {
		c.Describe(ch)
	}
}

func (m multi) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m {
		c.Collect(ch)
	}
}

package harness

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	ns := make([]int64, 1000)
	for i := range ns {
		ns[i] = int64(1000 * (1000 - i)) // 1000 µs .. 1 µs, reversed
	}
	l := Summarize(ns)
	if l.Count != 1000 || l.P50 != 500 || l.P99 != 990 || l.P999 != 999 || l.Max != 1000 {
		t.Fatalf("got %+v", l)
	}
	if len(l.Curve) != len(CurvePercentiles) || l.Curve[0] != 1 || l.Curve[len(l.Curve)-1] != 1000 {
		t.Fatalf("curve %v", l.Curve)
	}
	if z := Summarize(nil); z.Count != 0 || z.P99 != 0 {
		t.Fatalf("empty: %+v", z)
	}
}

func TestQuantileFromScrapes(t *testing.T) {
	a := metrics{`h_bucket{le="0.001"}`: 10, `h_bucket{le="0.002"}`: 10, `h_bucket{le="+Inf"}`: 10}
	b := metrics{`h_bucket{le="0.001"}`: 60, `h_bucket{le="0.002"}`: 109, `h_bucket{le="+Inf"}`: 110}
	if q := quantile(a, b, "h", 0.5); q != 0.001 {
		t.Errorf("p50 %v, want 0.001", q)
	}
	if q := quantile(a, b, "h", 0.99); q != 0.002 {
		t.Errorf("p99 %v, want 0.002", q)
	}
	if q := quantile(a, b, "h", 1); !math.IsInf(q, 1) {
		t.Errorf("p100 %v, want +Inf", q)
	}
	if q := quantile(b, b, "h", 0.5); !math.IsNaN(q) {
		t.Errorf("no samples: %v, want NaN", q)
	}
	// The JSON line takes them as -1 and 0 (encoding/json refuses +Inf
	// and NaN).
	r := Result{NodeSendP99: jsonBound(quantile(a, b, "h", 1)), BurstP50: jsonBound(quantile(b, b, "h", 0.5)), NodeSendP50: jsonBound(quantile(a, b, "h", 0.5))}
	if _, err := json.Marshal(r); err != nil || r.NodeSendP99 != -1 || r.BurstP50 != 0 || r.NodeSendP50 != 0.001 {
		t.Errorf("%+v: %v", r, err)
	}
}

func TestPlotSVG(t *testing.T) {
	rs := []Result{{Subs: 10, RateHz: 20, Peer: "nats", FanoutCurve: []float64{100, 120, 150, 200, 250, 300, 350, 500, 600, 800, 900, 1000, 1200},
		PeerCurve:  []float64{300, 400, 500, 800, 900, 1000, 1200, 3000, 3500, 5000, 6000, 7000, 9000},
		FreshFloor: &Floor{Curve: []float64{50, 60, 70, 80, 90, 100, 120, 200, 250, 300, 350, 400, 500}}}}
	svg := PlotSVG(rs)
	if strings.Count(svg, "<polyline") != 3 || !strings.Contains(svg, "quic-go floor") || !strings.Contains(svg, "10 subs, 20 Hz") || !strings.Contains(svg, ">nats<") || !strings.HasSuffix(svg, "</svg>\n") {
		t.Fatalf("unexpected plot:\n%s", svg)
	}
}

package harness

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// writeOutputs writes results.json and latency.svg into dir.
func writeOutputs(dir string, results []Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "latency.svg"), []byte(PlotSVG(results)), 0o644)
}

// PlotSVG draws latency by percentile, one line per subscriber count:
// solid for the node, dashed for the first peer, dotted for the fresh
// floor, all over the fan-out span. The x axis spreads the tail
// (position -log10(1-p)), the y axis is logarithmic.
func PlotSVG(results []Result) string {
	const w, h, left, right, top, bottom = 760, 440, 70, 170, 30, 50
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	xOf := func(p float64) float64 {
		v := -math.Log10(1 - math.Min(p, 99.99)/100) // 0 .. 4
		return left + v/4*pw
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range results {
		for _, c := range [][]float64{r.FanoutCurve, r.PeerCurve, floorCurve(r.FreshFloor)} {
			for _, v := range c {
				if v > 0 {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 1, 10
	}
	ylo, yhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if yhi == ylo {
		yhi++
	}
	yOf := func(us float64) float64 {
		v := math.Log10(math.Max(us, math.Pow(10, ylo)))
		return top + ph - (v-ylo)/(yhi-ylo)*ph
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="14">Fan-out latency by percentile, state handed to fan-out to decoded at the subscriber (v2x-edge solid, first peer dashed, fresh quic-go floor dotted)</text>`+"\n", left)
	for e := ylo; e <= yhi; e++ {
		y := yOf(math.Pow(10, e))
		fmt.Fprintf(&b, `<line x1="%d" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, left+pw, y, y, left-6, y+4, usLabel(math.Pow(10, e)))
	}
	for _, p := range []float64{0, 90, 99, 99.9, 99.99} {
		x := xOf(p)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.0f" stroke="#ddd"/><text x="%.1f" y="%.0f" text-anchor="middle">p%g</text>`+"\n",
			x, x, top, top+ph, x, top+ph+18, p)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%d" text-anchor="middle">percentile</text>`+"\n", left+pw/2, h-10)
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"}
	for i, r := range results {
		col := colors[i%len(colors)]
		for k, c := range [][]float64{r.FanoutCurve, r.PeerCurve, floorCurve(r.FreshFloor)} {
			if len(c) != len(CurvePercentiles) {
				continue
			}
			var pts []string
			for j, v := range c {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(CurvePercentiles[j]), yOf(v)))
			}
			dash := ""
			switch k {
			case 1:
				dash = ` stroke-dasharray="6,4"`
			case 2:
				dash = ` stroke-dasharray="2,3"`
			}
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", col, dash, strings.Join(pts, " "))
		}
		y := top + 10 + i*52
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"/><text x="%d" y="%d">%d subs, %.0f Hz</text>`+"\n",
			w-right+10, w-right+34, y, y, col, w-right+40, y+4, r.Subs, r.RateHz)
		if len(r.PeerCurve) > 0 {
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="6,4"/><text x="%d" y="%d">%s</text>`+"\n",
				w-right+10, w-right+34, y+16, y+16, col, w-right+40, y+20, r.Peer)
		}
		if r.FreshFloor != nil && len(r.FreshFloor.Curve) > 0 {
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="2,3"/><text x="%d" y="%d">quic-go floor</text>`+"\n",
				w-right+10, w-right+34, y+32, y+32, col, w-right+40, y+36)
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func usLabel(us float64) string {
	switch {
	case us >= 1e6:
		return fmt.Sprintf("%gs", us/1e6)
	case us >= 1e3:
		return fmt.Sprintf("%gms", us/1e3)
	}
	return fmt.Sprintf("%gµs", us)
}

func floorCurve(f *Floor) []float64 {
	if f == nil {
		return nil
	}
	return f.Curve
}

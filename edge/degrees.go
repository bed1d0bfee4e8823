package edge

import (
	"math"
	"strconv"
)

// degPrecision is the precision of positions in logs and messages:
// 1e-7 degree (about 1 cm), that of J2735 and CSAE 53 positions.
const degPrecision = 1e7

// fmtDeg formats a latitude or longitude rounded to degPrecision, without
// float noise: 22.543083199999998 prints as 22.5430832.
func fmtDeg(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(roundDeg(v), 'f', -1, 64)
}

// roundDeg rounds a latitude or longitude to degPrecision, for
// structured log values.
func roundDeg(v float64) float64 {
	r := math.Round(v*degPrecision) / degPrecision
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return v
	}
	return r
}

package j2735

import "math"

// Conversions between J2735 messages and the node's model (package v2x),
// one file a message: ToModel methods and XFromModel functions, as in
// package csae53. Values the schema calls unavailable become zero.

func roundInt(v float64) int64 { return int64(math.Round(v)) }

func clampInt(v, lo, hi int64) int64 { return max(lo, min(v, hi)) }

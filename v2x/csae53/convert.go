package csae53

import (
	"math"
)

// Conversions between CSAE 53-2017 messages and the node's model (package
// v2x). Units follow the schema's comments: positions 1e-7 degree,
// elevation 0.1 m, speed 0.02 m/s, heading 0.0125 degree, accelerations
// 0.01 m/s² (vertical 0.02 g), yaw rate 0.01 degree/s, sizes cm, radius
// 0.1 m. Values the schema calls unavailable become zero.

const (
	degUnit     = 1e-7
	speedUnit   = 0.02
	headingUnit = 0.0125
	gravity     = 9.80665
)

func round(v float64) int { return int(math.Round(v)) }

func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

package trust

import (
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// The trust arithmetic with the default thresholds: one forgery
// quarantines a source at full trust, physical implausibility takes two
// or three findings, weak evidence more, and sums that reach the
// threshold exactly in decimals do not quarantine (float rounding would
// put 0.7 - 0.2 below 0.5). A quarantined source is released once it has
// regained trust to 0.7.
func TestTrustArithmetic(t *testing.T) {
	for _, tc := range []struct {
		name    string
		checks  []wire.Check
		trust   float64
		quarant bool
		release float64 // seconds without findings until released (0: not quarantined)
	}{
		{"one ghost", []wire.Check{wire.CheckGhost}, 0.4, true, 30},
		{"one sybil", []wire.Check{wire.CheckSybil}, 0.4, true, 30},
		{"one replay", []wire.Check{wire.CheckReplay}, 0.4, true, 30},
		{"one conflicting green", []wire.Check{wire.CheckConflictingGreen}, 0.4, true, 30},
		{"one map change", []wire.Check{wire.CheckMapChange}, 0.4, true, 30},
		{"one phase sequence", []wire.Check{wire.CheckPhaseSequence}, 0.4, true, 30},
		{"two speed", []wire.Check{wire.CheckSpeed, wire.CheckSpeed}, 0.6, false, 0},
		{"three speed", []wire.Check{wire.CheckSpeed, wire.CheckSpeed, wire.CheckSpeed}, 0.4, true, 30},
		{"pos_speed then speed: exactly 0.5", []wire.Check{wire.CheckPosSpeed, wire.CheckSpeed}, 0.5, false, 0},
		{"two pos_speed", []wire.Check{wire.CheckPosSpeed, wire.CheckPosSpeed}, 0.4, true, 30},
		{"five heading: exactly 0.5", []wire.Check{wire.CheckHeading, wire.CheckHeading, wire.CheckHeading, wire.CheckHeading, wire.CheckHeading}, 0.5, false, 0},
		{"two ghosts: floor at 0", []wire.Check{wire.CheckGhost, wire.CheckGhost}, 0, true, 70},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Config{})
			for _, c := range tc.checks {
				m.find(Finding{Check: c, Stream: 3, TimeNS: 1e9, E: math.NaN(), N: math.NaN()})
			}
			if got := m.Trust(3); math.Abs(got-tc.trust) > 1e-9 {
				t.Errorf("trust %v, want %v", got, tc.trust)
			}
			if m.Quarantined(3) != tc.quarant {
				t.Fatalf("quarantined %v, want %v", m.Quarantined(3), tc.quarant)
			}
			if !tc.quarant {
				return
			}
			// Recover in 100 ms cycles; released at the first cycle at or
			// after tc.release seconds.
			m.Cycle(nil, 1e9)
			m.Drain()
			var at float64
			for i := 1; i <= 2000 && m.Quarantined(3); i++ {
				now := int64(1e9) + int64(i)*100e6
				m.Cycle(nil, now)
				at = float64(now-1e9) / 1e9
			}
			if math.Abs(at-tc.release) > 0.051 {
				t.Errorf("released after %.1f s, want %.1f", at, tc.release)
			}
		})
	}
}

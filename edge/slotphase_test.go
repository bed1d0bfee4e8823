package edge

import (
	"slices"
	"testing"
)

// TestSlotPhaseSpreads: every run of n consecutive ids (any start) gets n
// distinct phases for n <= 16, 16 consecutive ids get all 16, and the
// largest gap between the phases of a run of 8 is at most 3/16 of the
// slot (consecutive phases left 9/16 empty).
func TestSlotPhaseSpreads(t *testing.T) {
	for start := uint64(0); start < 40; start++ {
		for n := 1; n <= phaseGroups; n++ {
			var ph []float64
			for id := start; id < start+uint64(n); id++ {
				p := SlotPhase(id)
				if p < 0 || p >= 1 {
					t.Fatalf("SlotPhase(%d) = %v, want [0, 1)", id, p)
				}
				ph = append(ph, p)
			}
			slices.Sort(ph)
			if len(slices.Compact(slices.Clone(ph))) != n {
				t.Fatalf("ids %d..%d share phases: %v", start, start+uint64(n)-1, ph)
			}
			if n != 8 {
				continue
			}
			gap := ph[0] + 1 - ph[len(ph)-1]
			for i := 1; i < len(ph); i++ {
				gap = max(gap, ph[i]-ph[i-1])
			}
			if gap > 3.0/phaseGroups {
				t.Errorf("ids %d..%d: phases %v leave a gap of %v of the slot", start, start+7, ph, gap)
			}
		}
	}
}

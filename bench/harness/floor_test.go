package harness

import "testing"

// TestFloorDueSpreadsEvenly checks the floor server's schedule: over whole
// periods each slot is due once per period, and within a period the due
// sends arrive in equal steps rather than at its start.
func TestFloorDueSpreadsEvenly(t *testing.T) {
	const n, period = 100, 1e8 // 100 slots at 10 Hz
	sent := make([]int64, n)
	perTick := map[int]int{}
	const tick = 1e6
	for step := 0; step <= 300; step++ { // 300 ms in 1 ms ticks
		el := float64(step) * tick
		for i := range n {
			if k := floorDue(el, period, i, n); k >= sent[i] {
				sent[i] = k + 1
				perTick[step]++
			}
		}
	}
	for i, s := range sent {
		if s != 3 && !(i == 0 && s == 4) { // slot 0 is due at 0, 100, 200 and 300 ms
			t.Errorf("slot %d sent %d times in 300 ms at 10 Hz", i, s)
		}
	}
	for step, c := range perTick {
		if c > 2 {
			t.Errorf("tick %d sent %d datagrams, want at most 2 (100 slots over 100 ticks)", step, c)
		}
	}
	if floorDue(0, period, 1, n) != -1 {
		t.Errorf("slot 1 due before its phase")
	}
}

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

// TestFloorSlotPhases checks the fresh floor's slots: one per period for
// each connection, with connections in 16 phases whose slots begin 1/16
// of a period apart, as the node's subscribers' do.
func TestFloorSlotPhases(t *testing.T) {
	const rate = 20.0 // 50 ms slots
	period := int64(1e9 / rate)
	for i := range 32 {
		var changes int
		last := floorSlot(0, rate, i)
		var first int64 = -1
		for ts := int64(0); ts <= 10*period; ts += period / 160 {
			if s := floorSlot(ts, rate, i); s != last {
				changes++
				last = s
				if first < 0 {
					first = ts
				}
			}
		}
		if changes != 10 {
			t.Errorf("connection %d: %d slot changes in 10 periods", i, changes)
		}
		// Phase p's first boundary is at (1 - p/16) periods (p = 0: at 1).
		p := int64(i % 16)
		want := period - p*period/16
		if p == 0 {
			want = period
		}
		if d := first - want; d < -period/160 || d > period/160 {
			t.Errorf("connection %d: first slot boundary at %d ns, want about %d", i, first, want)
		}
	}
}

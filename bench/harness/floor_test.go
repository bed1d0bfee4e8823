package harness

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/edge"
)

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
// each connection, with connections in the node's 16 phases
// (edge.SlotPhase: 16 consecutive connections take all 16, whose slots
// begin 1/16 of a period apart), as the node's subscribers' do.
func TestFloorSlotPhases(t *testing.T) {
	const rate = 20.0 // 50 ms slots
	period := int64(1e9 / rate)
	seen := map[int64]bool{}
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
		// Phase p/16's first boundary is at (1 - p/16) periods (p = 0: at 1).
		p := int64(edge.SlotPhase(uint64(i)) * 16)
		if i < 16 {
			seen[p] = true
		}
		want := period - p*period/16
		if p == 0 {
			want = period
		}
		if d := first - want; d < -period/160 || d > period/160 {
			t.Errorf("connection %d: first slot boundary at %d ns, want about %d", i, first, want)
		}
	}
	if len(seen) != 16 {
		t.Errorf("16 connections in %d phases, want 16", len(seen))
	}
}

// TestFreshSendsNodePolicy checks the fresh floor's send policy against
// the node's: each connection gets at most one datagram per slot, a burst
// never exceeds the node's burst cap (edge.BurstCap), and the connections
// a burst leaves out go first in the next.
func TestFreshSendsNodePolicy(t *testing.T) {
	const n, rate = 1000, 10.0
	const gap = int64(5e6) // new data every 5 ms
	// A fixed cap below the 62 due per phase, above the 50 per publication
	// the rate asks for: bursts are capped and nobody starves.
	var f freshSends
	f.cap.MaxBurst = 60
	ref := edge.BurstCap{MaxBurst: 60}
	got := make([]int, n)
	lastSlot := make([]int64, n)
	for i := range lastSlot {
		lastSlot[i] = -1
	}
	var capped int
	var left []int                     // due but left out of the last burst
	for k := int64(1); k <= 400; k++ { // 2 s
		ts := k * gap
		ref.Fresh(ts)
		limit := ref.Limit(rate * n)
		var waiting []int
		for i := range n {
			if k > 1 && ts >= f.next[i] {
				waiting = append(waiting, i)
			}
		}
		sent := f.due(ts, rate, n)
		if k > 10 && len(sent) > limit {
			t.Fatalf("burst of %d at %d ms, node's cap %d", len(sent), ts/1e6, limit)
		}
		for _, i := range sent {
			sl := floorSlot(ts, rate, i)
			if sl == lastSlot[i] {
				t.Fatalf("connection %d sent twice in slot %d", i, sl)
			}
			lastSlot[i] = sl
			got[i]++
		}
		in := map[int]bool{}
		for _, i := range sent {
			in[i] = true
		}
		if len(sent) >= len(left) {
			for _, i := range left {
				if !in[i] {
					t.Fatalf("connection %d, left out at %d ms, not sent first at %d ms", i, ts/1e6-5, ts/1e6)
				}
			}
		}
		left = left[:0]
		for _, i := range waiting {
			if !in[i] {
				left = append(left, i)
			}
		}
		if len(left) > 0 {
			capped++
		}
	}
	for i, c := range got {
		if c < 18 || c > 21 { // 2 s at 10 Hz
			t.Errorf("connection %d got %d datagrams in 2 s at 10 Hz", i, c)
		}
	}
	if capped == 0 {
		t.Errorf("no burst was capped: the test does not exercise the cap")
	}
}

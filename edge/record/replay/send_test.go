package replay

import (
	"encoding/binary"
	"testing"
)

func TestSlotOf(t *testing.T) {
	s := &sender{starts: []int64{100, 200, 300}}
	for _, c := range []struct{ arrival, want int64 }{
		{50, 100},  // taken by the first cycle
		{100, 100}, // arrived as it started: the inbox swap comes after
		{101, 200},
		{299, 300},
		{300, 300},
		{301, 301}, // after the last recorded cycle: its own arrival
	} {
		if got := s.slotOf(c.arrival); got != c.want {
			t.Errorf("slotOf(%d) = %d, want %d", c.arrival, got, c.want)
		}
	}
	if got := (&sender{}).slotOf(42); got != 42 {
		t.Errorf("no cycles: slotOf(42) = %d", got)
	}
}

func TestCycleStart(t *testing.T) {
	rec := func(version byte, start int64) []byte {
		return binary.LittleEndian.AppendUint64([]byte{version}, uint64(start))
	}
	for _, c := range []struct {
		name string
		p    []byte
		want int64
		ok   bool
	}{
		{"version 2", rec(2, 1234567), 1234567, true},
		{"version 1", rec(1, 7), 7, true},
		{"version 0", rec(0, 7), 0, false},
		{"version 3", rec(3, 7), 0, false},
		{"cut short", rec(2, 7)[:8], 0, false},
		{"empty", nil, 0, false},
	} {
		got, ok := cycleStart(c.p)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %d %v, want %d %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

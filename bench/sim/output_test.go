package sim

import (
	"testing"
	"time"
)

func TestOutQueue(t *testing.T) {
	var q outQueue
	ms := time.Millisecond
	// SendAt, then a tag in Source to check the order of equal SendAt
	for i, at := range []time.Duration{30 * ms, 10 * ms, 20 * ms, 10 * ms, 40 * ms, 20 * ms} {
		q.push(&Output{SendAt: at, Source: uint32(i)})
	}
	for _, tc := range []struct {
		now  time.Duration
		want []uint32
	}{
		{5 * ms, nil},
		{10 * ms, []uint32{1, 3}},
		{25 * ms, []uint32{2, 5}},
		{25 * ms, nil},
		{100 * ms, []uint32{0, 4}},
	} {
		got := q.popDue(nil, tc.now)
		if len(got) != len(tc.want) {
			t.Fatalf("at %v: %d outputs, want %d", tc.now, len(got), len(tc.want))
		}
		for i := range got {
			if got[i].Source != tc.want[i] || got[i].SendAt > tc.now {
				t.Fatalf("at %v: output %d is %d sent at %v, want %d", tc.now, i, got[i].Source, got[i].SendAt, tc.want[i])
			}
		}
	}
	if q.len() != 0 {
		t.Errorf("%d left", q.len())
	}
	// popDue appends.
	q.push(&Output{SendAt: ms, Source: 9})
	dst := q.popDue([]Output{{Source: 8}}, ms)
	if len(dst) != 2 || dst[0].Source != 8 || dst[1].Source != 9 {
		t.Errorf("popDue did not append: %+v", dst)
	}
}

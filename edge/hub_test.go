package edge

import (
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// TestHubCountsWakeupsPerFreshPublish checks the burst histogram: a
// publication with new measurements observes how many subscribers it woke
// (those whose rate slot had begun); one without new data observes nothing.
func TestHubCountsWakeupsPerFreshPublish(t *testing.T) {
	mm := newMetrics()
	hub := newHub(0, mm.bc.hub)
	mbs := []*mailbox{newMailbox(), newMailbox(), newMailbox()}
	for _, m := range mbs {
		hub.addMailbox(m)
	}
	mbs[2].due.Store(1000) // its next slot begins after the first publication
	tests := []struct {
		time       int64
		fresh      bool
		count, sum uint64
	}{
		{time: 10, fresh: true, count: 1, sum: 2},
		{time: 20, fresh: false, count: 1, sum: 2},
		{time: 2000, fresh: true, count: 2, sum: 5},
	}
	for _, tc := range tests {
		s := hub.newSnapshot()
		s.TimeNS, s.Fresh = tc.time, tc.fresh
		hub.publish(s)
		var m dto.Metric
		if err := mm.bc.hub.wakeups.Write(&m); err != nil {
			t.Fatal(err)
		}
		if got, sum := m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum(); got != tc.count || sum != float64(tc.sum) {
			t.Errorf("after the publication at %d (fresh %v): %d observations summing to %v, want %d summing to %d", tc.time, tc.fresh, got, sum, tc.count, tc.sum)
		}
	}
}

// woken reports which mailboxes have a wakeup pending.
func woken(mbs []*mailbox) []int {
	var out []int
	for i, m := range mbs {
		if len(m.c) > 0 {
			out = append(out, i)
		}
	}
	return out
}

// TestHubBurstLimitWakesLongestDueFirst: with a limit of 3, a publication
// wakes the three subscribers due longest; the next one wakes the next
// three; uncapped subscribers are never held back.
func TestHubBurstLimitWakesLongestDueFirst(t *testing.T) {
	mm := newMetrics()
	hub := newHub(3, mm.bc.hub)
	mbs := make([]*mailbox, 8)
	for i := range mbs {
		mbs[i] = newMailbox()
		mbs[i].rate.Store(math.Float32bits(20))
		mbs[i].due.Store(int64(100 - i)) // the last is due longest
		hub.addMailbox(mbs[i])
	}
	mbs[0].rate.Store(0) // uncapped
	publish := func(at int64) []int {
		s := hub.newSnapshot()
		s.TimeNS, s.Fresh = at, true
		hub.publish(s)
		return woken(mbs)
	}
	if got, want := publish(1000), []int{0, 5, 6, 7}; !equalInts(got, want) {
		t.Fatalf("first publication woke %v, want %v", got, want)
	}
	if got := testutil.ToFloat64(mm.bc.hub.deferred); got != 4 {
		t.Errorf("deferred %v, want 4", got)
	}
	// The woken ones run and move their due to their next slot; the
	// deferred are still due.
	for _, i := range []int{0, 5, 6, 7} {
		<-mbs[i].c
		mbs[i].due.Store(5000)
	}
	if got, want := publish(1001), []int{2, 3, 4}; !equalInts(got, want) {
		t.Fatalf("second publication woke %v, want %v", got, want)
	}
	if got, want := publish(1002), []int{1, 2, 3, 4}; !equalInts(got, want) {
		// 2, 3 and 4 have not run (their due is unchanged) but are
		// woken already: they count, without taking the limit's room.
		t.Fatalf("third publication woke %v, want %v", got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestHubAutomaticBurstLimit: the automatic limit is twice the updates the
// rate caps ask for per publication with new data, and at least minBurst.
func TestHubAutomaticBurstLimit(t *testing.T) {
	tests := []struct {
		subs  int
		rate  float32
		gapMS int64
		want  int
	}{
		{subs: 1000, rate: 10, gapMS: 5, want: 100}, // 50 due per publication
		{subs: 100, rate: 20, gapMS: 5, want: 20},
		{subs: 50, rate: 10, gapMS: 5, want: minBurst}, // 2.5 due per publication
		{subs: 500, rate: 20, gapMS: 10, want: 200},
	}
	for _, tc := range tests {
		mm := newMetrics()
		hub := newHub(0, mm.bc.hub)
		if got := hub.burst.Limit(1e6); got != math.MaxInt {
			t.Errorf("limit before any publication with new data: %d, want none", got)
		}
		for i := 0; i < 20; i++ {
			s := hub.newSnapshot()
			s.TimeNS, s.Fresh = int64(i)*tc.gapMS*1e6+1, true
			hub.publish(s)
		}
		if got := hub.burst.Limit(float64(tc.subs) * float64(tc.rate)); got != tc.want {
			t.Errorf("%d subscribers at %v Hz, new data every %d ms: limit %d, want %d", tc.subs, tc.rate, tc.gapMS, got, tc.want)
		}
	}
}

// TestHubPublishAllocatesNothing: a publication that defers most of 200
// due subscribers (sorting them by due) allocates nothing.
func TestHubPublishAllocatesNothing(t *testing.T) {
	mm := newMetrics()
	hub := newHub(10, mm.bc.hub)
	mbs := make([]*mailbox, 200)
	for i := range mbs {
		mbs[i] = newMailbox()
		mbs[i].rate.Store(math.Float32bits(10))
		mbs[i].due.Store(int64(i * 7 % 200))
		hub.addMailbox(mbs[i])
	}
	at := int64(1000)
	step := func() {
		at++
		s := hub.newSnapshot()
		s.TimeNS, s.Fresh = at, true
		hub.publish(s)
		for _, m := range mbs {
			select {
			case <-m.c:
			default:
			}
		}
	}
	step()
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Errorf("publish to 200 due subscribers with a limit of 10 allocates %v times", allocs)
	}
	// 102 publications (AllocsPerRun warms up with one more), each
	// deferring 190 of 200.
	if got := testutil.ToFloat64(mm.bc.hub.deferred); got != 102*190 {
		t.Errorf("deferred %v, want %d", got, 102*190)
	}
}

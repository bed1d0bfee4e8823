package track

import (
	"testing"
	"time"
)

// TestBootIDStartSurvivesRestart: a node that ran for an hour giving out
// 100 ids a second and restarted a second later starts beyond every id
// it gave out; at the counter's wrap the ids wrap with it.
func TestBootIDStartSurvivesRestart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		boot     time.Time
		uptime   time.Duration
		perSec   int
		distinct bool // the ids of the second run differ from those of the first
	}{
		{"an hour at 100 a second", time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC), time.Hour, 100, true},
		{"a crash loop", time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC), 2 * time.Second, 100, true},
		{"faster than IDsPerSecond", time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC), time.Minute, 2 * IDsPerSecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := New(Config{IDNamespace: 4, IDStart: BootIDStart(tc.boot)})
			given := map[uint32]bool{}
			for range int(tc.uptime.Seconds()) * tc.perSec {
				given[first.newID()] = true
			}
			second := New(Config{IDNamespace: 4, IDStart: BootIDStart(tc.boot.Add(tc.uptime + time.Second))})
			clash := 0
			for range 10000 {
				id := second.newID()
				if id>>24 != 4 || id&idCounterMask == 0 {
					t.Fatalf("id %#x outside namespace 4", id)
				}
				if given[id] {
					clash++
				}
			}
			if (clash == 0) != tc.distinct {
				t.Errorf("%d of the restarted node's first 10000 ids were given out before the restart; want distinct %v", clash, tc.distinct)
			}
		})
	}
}

// TestIDStartZero: without a start the counter begins at 1.
func TestIDStartZero(t *testing.T) {
	if id := New(Config{IDNamespace: 1}).newID(); id != 1<<24|1 {
		t.Fatalf("first id %#x, want %#x", id, 1<<24|1)
	}
}

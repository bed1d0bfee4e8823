package track

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// checkGrid asserts that the grid indexes every track exactly once, in the
// bucket of its current position, with consistent links.
func checkGrid(t *testing.T, tr *Tracker, when string) {
	t.Helper()
	g := &tr.g
	// The position copies are current even before the grid is synced.
	for i := 0; g.valid && i < min(g.len(), len(tr.tracks)); i++ {
		if x, y := tr.tracks[i].f.position(); g.px[i] != x || g.py[i] != y {
			t.Fatalf("%s: grid holds (%v, %v) for track %d at (%v, %v)", when, g.px[i], g.py[i], i, x, y)
		}
	}
	tr.syncGrid()
	if g.len() != len(tr.tracks) {
		t.Fatalf("%s: grid indexes %d tracks of %d", when, g.len(), len(tr.tracks))
	}
	seen := make([]bool, len(tr.tracks))
	for b, h := range g.head {
		prev := int32(-1)
		for i := h; i >= 0; i = g.next[i] {
			if seen[i] {
				t.Fatalf("%s: track %d chained twice", when, i)
			}
			seen[i] = true
			if g.prev[i] != prev || g.bkt[i] != int32(b) {
				t.Fatalf("%s: track %d: prev %d bucket %d, want %d, %d", when, i, g.prev[i], g.bkt[i], prev, b)
			}
			if x, y := tr.tracks[i].f.position(); g.bucketOf(x, y) != int32(b) {
				t.Fatalf("%s: track %d at (%.1f, %.1f) indexed in bucket %d, belongs in %d", when, i, x, y, b, g.bucketOf(x, y))
			}
			prev = i
		}
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("%s: track %d not in the grid", when, i)
		}
	}
}

// The grid kept up to date across frames (moves, births) and rebuilt after
// deletions matches a fresh build after every frame, with objects moving
// across cells, single-measurement frames, out-of-sequence frames, births
// and deaths.
func TestGridFollowsTracks(t *testing.T) {
	s := newScenario(120, 7)
	tr := New(Config{})
	var ms []Measurement
	var e, n []float64
	tm := 0.0
	for step := 0; step < 120; step++ {
		tm += 0.05
		if step == 60 { // half the objects leave: their tracks expire
			s.objs = s.objs[:60]
		}
		ms, e, n = s.frame(uint32(1+step%3), tm, ms, e, n)
		if step%7 == 3 { // a late frame, 80 ms old
			for i := range ms {
				ms[i].TimeNS -= 80e6
			}
		}
		if step%4 == 2 { // only the even rows: the odd rows' tracks are
			// predicted in place for gating and not updated
			k := 0
			for i := range ms {
				if (i/20)%2 == 0 {
					ms[k], e[k], n[k] = ms[i], e[i], n[i]
					k++
				}
			}
			ms, e, n = ms[:k], e[:k], n[:k]
		}
		tr.UpdateFrame(ms, e, n)
		checkGrid(t, tr, "after a frame")
		for k := 0; k < 3 && k < len(ms); k++ { // single BSMs
			one := ms[k]
			one.Kind, one.Stream, one.LocalID = MeasSelfReport, 9, uint64(1000+k)
			tr.UpdateFrame([]Measurement{one}, e[k:k+1], n[k:k+1])
		}
		checkGrid(t, tr, "after BSMs")
		tr.Expire(int64(tm * 1e9))
		checkGrid(t, tr, "after expiry")
	}
	if tr.C.Deleted == 0 {
		t.Fatal("no track deleted: the rebuild after deletion is untested")
	}
}

// expiredRef is the expiry rule as a plain test on one track at one time.
func expiredRef(c *Config, t *Track, now int64) bool {
	if !t.Confirmed || (t.LastSelf == 0 && t.Hits < int32(2*c.ConfirmHitsSingle)) {
		return now-max(t.LastCam, t.LastSelf, t.BornNS) > c.TentativeLossNS
	}
	camGone := t.LastCam == 0 || now-t.LastCam > c.CameraLossNS
	selfGone := t.LastSelf == 0 || now-t.LastSelf > c.SelfReportLossNS
	return camGone && selfGone
}

// Expire skips its scan until the earliest deadline, yet deletes every
// expired track on time: after each call no survivor is expired, and each
// track deleted was.
func TestExpireSkipsScanButMissesNothing(t *testing.T) {
	s := newScenario(100, 8)
	tr := New(Config{})
	var ms []Measurement
	var e, n []float64
	tm := 0.0
	scans := 0
	for step := 0; step < 200; step++ {
		tm += 0.033
		switch step {
		case 50:
			s.objs = s.objs[:70]
		case 120:
			s.objs = s.objs[:30]
		}
		ms, e, n = s.frame(uint32(1+step%2), tm, ms, e, n)
		if step%10 == 0 && len(ms) > 0 { // clutter: a one-off detection far away
			ms = append(ms, Measurement{Kind: MeasDetection, Class: v2x.ClassCar, Stream: ms[0].Stream, Source: ms[0].Source,
				LocalID: uint64(1e6 + step), TimeNS: ms[0].TimeNS, IngestNS: ms[0].IngestNS})
			e, n = append(e, 900), append(n, float64(step))
		}
		if step%4 == 1 && len(ms) > 0 { // a BSM
			one := ms[0]
			one.Kind, one.Stream, one.LocalID = MeasSelfReport, 9, 77
			tr.UpdateFrame([]Measurement{one}, e[:1], n[:1])
		}
		tr.UpdateFrame(ms, e, n)
		now := int64(tm*1e9) + 20e6
		before := append([]Track(nil), tr.tracks...)
		if now > tr.expireAt {
			scans++
		}
		tr.Expire(now)
		alive := map[uint32]bool{}
		for i := range tr.tracks {
			alive[tr.tracks[i].ID] = true
			if expiredRef(&tr.cfg, &tr.tracks[i], now) {
				t.Fatalf("step %d: track %d expired and kept", step, tr.tracks[i].ID)
			}
		}
		for i := range before {
			if !alive[before[i].ID] && !expiredRef(&tr.cfg, &before[i], now) && tr.C.Merged == 0 {
				t.Fatalf("step %d: track %d deleted before its time", step, before[i].ID)
			}
		}
	}
	if tr.C.Deleted < 70 {
		t.Fatalf("%d tracks deleted, want at least the 70 objects that left", tr.C.Deleted)
	}
	if scans > 100 {
		t.Errorf("expiry scanned in %d of 200 cycles: the skip does not work", scans)
	}
	t.Logf("%d scans in 200 cycles, %d deleted, %d merged", scans, tr.C.Deleted, tr.C.Merged)
}

package track

import (
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// oosmMeas is one measurement of a single object moving east at 10 m/s
// and north at 1 m/s, with a deterministic wobble, from source src.
func oosmMeas(class v2x.Class, src uint32, ts int64) (Measurement, float64, float64) {
	s := float64(ts) / 1e9
	w := math.Sin(float64(ts/1e6)*0.37) * 0.2
	m := Measurement{Kind: MeasDetection, Class: class, Stream: uint64(src), Source: src, LocalID: 7, TimeNS: ts,
		VelE: 10, VelN: 1, CovEE: 0.09, CovNN: 0.09}
	if class == v2x.ClassPedestrian {
		m.VelE, m.VelN = 1.2, 0.3
		return m, 1.2*s + w, 0.3*s - w
	}
	return m, 10*s + w, s - w
}

// TestReplayMatchesInSequence feeds one tracker measurements in time order
// and another the same ones with some held back and delivered late (within
// the lag): the exact out-of-sequence update must leave both with the same
// estimate, for both motion models, where approximate retrodiction did not.
func TestReplayMatchesInSequence(t *testing.T) {
	for _, tc := range []struct {
		name  string
		class v2x.Class
	}{{"ctrv", v2x.ClassCar}, {"cv", v2x.ClassPedestrian}} {
		t.Run(tc.name, func(t *testing.T) {
			// Two sources: 1 every 100 ms, 2 every 100 ms offset by 33 ms.
			type ev struct {
				src uint32
				ts  int64
			}
			var order []ev
			for k := int64(0); k < 20; k++ {
				order = append(order, ev{1, k * 100e6}, ev{2, k*100e6 + 33e6})
			}
			// The camera-bias estimate (bias.go) learns from the order
			// frames come in, so it is off here: the replay itself is what
			// must be exact.
			cfg := Config{ExactOOSM: true, CameraBiasOff: true}
			in, late := New(cfg), New(cfg)
			feed := func(tr *Tracker, e ev) {
				m, x, y := oosmMeas(tc.class, e.src, e.ts)
				tr.UpdateFrame([]Measurement{m}, []float64{x}, []float64{y})
			}
			for _, e := range order {
				feed(in, e)
			}
			// Late: source 2's frames at k = 5, 9, 14 arrive after the next
			// two of source 1 (up to ~170 ms late).
			held := map[int64]bool{5: true, 9: true, 14: true}
			var pending []ev
			for _, e := range order {
				k := e.ts / 100e6
				if e.src == 2 && held[k] {
					pending = append(pending, e)
					continue
				}
				feed(late, e)
				if e.src == 1 && len(pending) > 0 && k == pending[0].ts/100e6+2 {
					feed(late, pending[0])
					pending = pending[1:]
				}
			}
			for _, e := range pending {
				feed(late, e)
			}
			if late.C.OutOfSequence != 3 || late.C.Retrodicted != 0 {
				t.Fatalf("out of sequence %d (want 3), retrodicted %d (want 0)", late.C.OutOfSequence, late.C.Retrodicted)
			}
			if len(in.tracks) != 1 || len(late.tracks) != 1 {
				t.Fatalf("tracks %d and %d, want one each", len(in.tracks), len(late.tracks))
			}
			a, b := &in.tracks[0].f, &late.tracks[0].f
			if in.tracks[0].TimeNS != late.tracks[0].TimeNS {
				t.Fatalf("times %d and %d", in.tracks[0].TimeNS, late.tracks[0].TimeNS)
			}
			for i := 0; i < a.m.dims(); i++ {
				if d := math.Abs(a.x[i] - b.x[i]); d > 1e-9 {
					t.Errorf("state %d: in sequence %.12g, late %.12g", i, a.x[i], b.x[i])
				}
				for j := 0; j < a.m.dims(); j++ {
					if d := math.Abs(a.P[i][j] - b.P[i][j]); d > 1e-9 {
						t.Errorf("P[%d][%d]: in sequence %.12g, late %.12g", i, j, a.P[i][j], b.P[i][j])
					}
				}
			}
		})
	}
}

// TestReplayBeyondHistoryRetrodicts: a late measurement older than the
// oldest the track remembers (histLen updates back) is still used, by
// approximate retrodiction, and counted.
func TestReplayBeyondHistoryRetrodicts(t *testing.T) {
	tr := New(Config{ExactOOSM: true})
	feed := func(src uint32, ts int64) {
		m, x, y := oosmMeas(v2x.ClassCar, src, ts)
		tr.UpdateFrame([]Measurement{m}, []float64{x}, []float64{y})
	}
	for k := int64(0); k < 30; k++ { // 10 ms apart: the history spans histLen×10 ms
		feed(1, 1e9+k*10e6)
	}
	feed(2, 1e9+29*10e6-histLen/2*10e6)   // within the history
	feed(2, 1e9+29*10e6-(histLen+3)*10e6) // within the lag (histLen < 17), before the history
	if tr.C.OutOfSequence != 2 || tr.C.Retrodicted != 1 || tr.C.TooOld != 0 {
		t.Fatalf("out of sequence %d (want 2), retrodicted %d (want 1), too old %d", tr.C.OutOfSequence, tr.C.Retrodicted, tr.C.TooOld)
	}
}

// TestHistoryFollowsTrackMoves: deleting a track moves the last one into
// its slot; its history must move with it and still replay exactly.
func TestHistoryFollowsTrackMoves(t *testing.T) {
	tr := New(Config{ExactOOSM: true})
	// Track A (to be deleted) at 100 m, track B at the origin.
	for k := int64(0); k < 8; k++ {
		ts := k * 50e6
		m, x, y := oosmMeas(v2x.ClassCar, 1, ts)
		a := Measurement{Kind: MeasDetection, Class: v2x.ClassCar, Stream: 3, Source: 3, LocalID: 1, TimeNS: ts, CovEE: 0.09, CovNN: 0.09}
		if k < 2 {
			tr.UpdateFrame([]Measurement{a}, []float64{100}, []float64{100})
		}
		tr.UpdateFrame([]Measurement{m}, []float64{x}, []float64{y})
	}
	tr.Expire(7*50e6 + 1) // A, tentative and unseen for 300 ms, goes; B moves to slot 0
	if len(tr.tracks) != 1 || tr.hist[0].id != tr.tracks[0].ID {
		t.Fatalf("%d tracks; history id %d, track id %d", len(tr.tracks), tr.hist[0].id, tr.tracks[0].ID)
	}
	m, x, y := oosmMeas(v2x.ClassCar, 2, 7*50e6-60e6)
	tr.UpdateFrame([]Measurement{m}, []float64{x}, []float64{y})
	if tr.C.OutOfSequence != 1 || tr.C.Retrodicted != 0 {
		t.Fatalf("out of sequence %d (want 1), retrodicted %d (want 0)", tr.C.OutOfSequence, tr.C.Retrodicted)
	}
}

// TestReplayAllocatesNothing: out-of-sequence frames replayed in steady
// state allocate nothing.
func TestReplayAllocatesNothing(t *testing.T) {
	tr := New(Config{ExactOOSM: true})
	ts := int64(0)
	step := func() {
		ts += 100e6
		m, x, y := oosmMeas(v2x.ClassCar, 1, ts)
		tr.UpdateFrame([]Measurement{m}, []float64{x}, []float64{y})
		m, x, y = oosmMeas(v2x.ClassCar, 2, ts-70e6)
		tr.UpdateFrame([]Measurement{m}, []float64{x}, []float64{y})
	}
	for i := 0; i < 20; i++ {
		step()
	}
	r := tr.C.Retrodicted // the first late one is older than the track
	if a := testing.AllocsPerRun(100, step); a != 0 {
		t.Fatalf("%.1f allocations per out-of-sequence step", a)
	}
	if tr.C.Retrodicted != r || tr.C.OutOfSequence < 100 {
		t.Fatalf("out of sequence %d, retrodicted %d", tr.C.OutOfSequence, tr.C.Retrodicted)
	}
}

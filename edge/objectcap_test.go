package edge

import (
	"cmp"
	"math"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// publishCrowd publishes a snapshot with far objects 600 m from the
// reference point (listed first) and near ones within 30 m.
func publishCrowd(h *hub, far, near int) {
	snap := h.newSnapshot()
	snap.Seq, snap.TimeNS, snap.IngestNS, snap.Fresh = 1, 1e8, 1e8, true
	snap.HasFrame, snap.Frame = true, geo.NewFrame(refLat, refLon, 0)
	snap.Objects = snap.Objects[:0]
	add := func(id int, e, n float64) {
		lat, lon, _ := snap.Frame.FromENU(e, n, 0)
		snap.Objects = append(snap.Objects, wire.StateObject{ID: uint32(id), Class: v2x.ClassCar, Lat: lat, Lon: lon,
			E: float32(e), N: float32(n), Length: 4.5, Width: 1.8})
	}
	for i := range far {
		a := float64(i) * 2 * math.Pi / float64(far)
		add(100000+i, 600*math.Cos(a), 600*math.Sin(a))
	}
	for i := range near {
		add(1+i, float64(i-near/2), 10)
	}
	h.publish(snap)
}

// TestStateCapKeepsNearObjects: 6000 far objects and 30 near ones; the
// per-state cap of 4096 cuts far ones, never the near ones, and counts the
// cut, for State and packed subscribers alike.
func TestStateCapKeepsNearObjects(t *testing.T) {
	const far, near = 6000, 30
	for _, flags := range []uint32{0, wire.SubPacked | wire.SubNoDatagram} {
		s, fs, h, m := testSubscriber(t)
		if !s.handle(frameOf(wire.TypeSubscribe, wire.AppendSubscribe(nil, &wire.Subscribe{Flags: flags}))) {
			t.Fatal("subscribe did not start")
		}
		publishCrowd(h, far, near)
		if err := s.sendCurrent(); err != nil {
			t.Fatal(err)
		}
		var ids []uint32
		r := wire.NewReader(&fs.buf, 0)
		_, p, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if flags == 0 {
			var st wire.State
			if err := wire.DecodeState(p, &st); err != nil {
				t.Fatal(err)
			}
			for _, o := range st.Objects {
				ids = append(ids, o.ID)
			}
		} else {
			var u wire.Update
			body, err := wire.DecodeUpdate(p, &u)
			if err != nil {
				t.Fatal(err)
			}
			var ps wire.PackedState
			raw, err := wire.AppendDecompressed(nil, body, u.Compression, int(u.RawLen))
			if err != nil {
				t.Fatal(err)
			}
			if err := wire.ApplyDelta(raw, nil, &ps); err != nil {
				t.Fatal(err)
			}
			for _, o := range ps.Objects {
				ids = append(ids, o.ID)
			}
		}
		nearSeen := 0
		for _, id := range ids {
			if id <= near {
				nearSeen++
			}
		}
		if len(ids) != wire.MaxStateObjects || nearSeen != near {
			t.Errorf("flags %#x: %d objects with %d of the %d near ones, want %d with all near ones", flags, len(ids), nearSeen, near, wire.MaxStateObjects)
		}
		if got, want := testutil.ToFloat64(m.objectsCut), float64(far+near-wire.MaxStateObjects); got != want {
			t.Errorf("flags %#x: v2x_state_objects_cut_total %v, want %v", flags, got, want)
		}
	}
}

// TestSelectViewCutSameAsSort: the cut keeps exactly the objects a sort by
// distance (ties by index) keeps, in snapshot order, with many ties.
func TestSelectViewCutSameAsSort(t *testing.T) {
	for _, n := range []int{wire.MaxStateObjects + 1, 6000, 9000} {
		s := &snapshot{}
		for i := range n {
			// Distances on a coarse grid: many objects tie at the limit.
			d := float32(10 + (i*7919)%500)
			a := float64(i%8) * math.Pi / 4
			s.Objects = append(s.Objects, wire.StateObject{ID: uint32(i + 1), E: d * float32(math.Cos(a)), N: d * float32(math.Sin(a))})
		}
		f := &wire.Subscribe{}
		got, _, cut := s.selectView(f, nil, nil)
		want := make([]int32, n)
		for i := range want {
			want[i] = int32(i)
		}
		d2 := func(i int32) float64 {
			e, no := float64(s.Objects[i].E), float64(s.Objects[i].N)
			return e*e + no*no
		}
		slices.SortFunc(want, func(a, b int32) int {
			if c := cmp.Compare(d2(a), d2(b)); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		want = want[:wire.MaxStateObjects]
		slices.Sort(want)
		if cut != n-wire.MaxStateObjects || !slices.Equal(got, want) {
			t.Fatalf("%d objects: cut %d, kept %d differing from the sort's %d", n, cut, len(got), len(want))
		}
	}
}

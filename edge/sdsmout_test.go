package edge

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/j2735"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestSubscribeJ2735SDSM: a subscription with SubJ2735SDSM and SubCSAERSM
// gets both; every object of an SDSM is the object of the raw State of
// the same sequence number, within the SDSM's precision (0.05 m, 0.01
// m/s, 0.00625°), with the intersection as sourceID and reference point.
func TestSubscribeJ2735SDSM(t *testing.T) {
	n, opts := startNode(t, nil)
	raw := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	std := subscribe(t, dial(t, n, opts), wire.Subscribe{Flags: wire.SubJ2735SDSM | wire.SubCSAERSM})
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	driveBSMs(t, ctx, p, 30, 20*time.Millisecond)

	var mu sync.Mutex
	states := map[uint64]wire.State{}
	go func() {
		for ctx.Err() == nil {
			u, err := raw.Next()
			if err != nil {
				return
			}
			mu.Lock()
			states[u.Seq] = copyState(&u.State)
			mu.Unlock()
		}
	}()
	var f j2735.MessageFrame
	var m j2735.SensorDataSharingMessage
	var out v2x.RSM
	var checked, rsms int
	frame := geo.NewFrame(refLat, refLon, 0)
	deadline := time.Now().Add(10 * time.Second)
	for checked < 20 && time.Now().Before(deadline) {
		u := nextUntil(t, std, 5*time.Second, func(*client.Update) bool { return true })
		switch u.Encoding {
		case wire.EncodingCSAE53:
			rsms++
			continue
		case wire.EncodingJ2735:
		default:
			t.Fatalf("update with encoding %d", u.Encoding)
		}
		if _, err := j2735.DecodeFrame(u.Encoded, &f); err != nil || f.MessageID != j2735.IDSDSM {
			t.Fatalf("SDSM frame: id %d, %v", f.MessageID, err)
		}
		if err := j2735.DecodeSDSM(f.Value, &m); err != nil {
			t.Fatal(err)
		}
		m.ToModel(&out)
		if at, ok := m.SDSMTime(); !ok || at.UnixNano()/1e6 != u.TimeNS/1e6 {
			t.Errorf("time stamp %v, state time %v", at, time.Unix(0, u.TimeNS))
		}
		if got := float64(m.RefPos.Lat) * 1e-7; math.Abs(got-refLat) > 1e-7 {
			t.Errorf("refPos lat %v, want %v", got, refLat)
		}
		time.Sleep(20 * time.Millisecond) // the raw subscriber may be a little behind
		mu.Lock()
		st, ok := states[u.Seq]
		mu.Unlock()
		if !ok {
			continue
		}
		if out.RSUID != st.Intersection || len(out.Participants) != len(st.Objects) {
			t.Fatalf("seq %d: RSU %d with %d objects, state of intersection %d with %d", u.Seq, out.RSUID, len(out.Participants), st.Intersection, len(st.Objects))
		}
		byID := map[uint32]*wire.StateObject{}
		for i := range st.Objects {
			byID[st.Objects[i].ID&0xffff] = &st.Objects[i]
		}
		for _, o := range out.Participants {
			w := byID[o.LocalID]
			if w == nil {
				t.Fatalf("object %d is in no state", o.LocalID)
			}
			we, wn, _ := frame.ToENU(w.Lat, w.Lon, 0)
			ge, gn, _ := frame.ToENU(o.Lat, o.Lon, 0)
			if math.Abs(ge-we) > 0.06 || math.Abs(gn-wn) > 0.06 || math.Abs(float64(o.Speed()-w.Speed)) > 0.011 || o.Class != w.Class {
				t.Errorf("object %d: %+v, state %+v", o.LocalID, o, *w)
			}
		}
		checked++
	}
	if checked < 20 || rsms == 0 {
		t.Fatalf("%d SDSMs checked against states, %d RSMs", checked, rsms)
	}
}

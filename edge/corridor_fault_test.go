package edge

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/uplink"
	"github.com/v2x-edge/v2x-edge/internal/natsproc"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// corridorSpacing is how far east of node a (at the tests' reference
// point) its neighbour b stands.
const corridorSpacing = 200.0

// corridorNode starts node id of a two-node corridor on the NATS server
// at url: a at the reference point, b corridorSpacing east of it, each
// the other's neighbour, ids in namespace ns, a fusion cycle at least
// every tick.
func corridorNode(t *testing.T, url, id string, ns uint8, stale, tick time.Duration) (*Node, client.Options) {
	t.Helper()
	a := geo.NewFrame(refLat, refLon, 0)
	bLat, bLon, _ := a.FromENU(corridorSpacing, 0, 0)
	ref, nb := [2]float64{refLat, refLon}, uplink.Neighbour{NodeID: "b", Lat: bLat, Lon: bLon}
	if id == "b" {
		ref, nb = [2]float64{bLat, bLon}, uplink.Neighbour{NodeID: "a", Lat: refLat, Lon: refLon}
	}
	return startNode(t, func(cfg *Config) {
		cfg.RefLat, cfg.RefLon = ref[0], ref[1]
		cfg.Fusion = FusionTrack
		cfg.Track.IDNamespace = ns
		cfg.PublishTick = tick
		cfg.NATS.URLs = strings.Split(url, ",")
		cfg.NATS.NodeID, cfg.NATS.Region = id, "test"
		cfg.NATS.Neighbours = []uplink.Neighbour{nb}
		cfg.NATS.HandoverStale = stale
	})
}

// driveEast sends BSMs of vehicle vid moving east at 10 m/s along north
// n of frame f, from east e0, every 100 ms for steps steps, in a
// goroutine; the channel closes when it is done. With kick, a BSM of
// another vehicle goes first, 50 ms before.
func driveEast(t *testing.T, n *Node, opts client.Options, f *geo.Frame, vid uint64, e0, north float64, steps int, kick bool) <-chan struct{} {
	t.Helper()
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if kick {
			// Another vehicle's BSM, well off the road, runs a fusion
			// cycle now: received handovers are seeded at its end.
			lat, lon, _ := f.FromENU(60, 40, 0)
			b := v2x.BSM{VehicleID: 9999, Lat: lat, Lon: lon, Speed: 10, Heading: 90, Length: 4.5, Width: 1.8,
				Class: v2x.ClassCar, AccSemiMajor: 1, AccSemiMinor: 1}
			if err := p.SendBSM(1, clock.Now(), &b); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		for k := range steps {
			lat, lon, _ := f.FromENU(e0+float64(k), north, 0)
			b := v2x.BSM{VehicleID: vid, Lat: lat, Lon: lon, Speed: 10, Heading: 90, Length: 4.5, Width: 1.8,
				Class: v2x.ClassCar, AccSemiMajor: 1, AccSemiMinor: 1}
			if err := p.SendBSM(1, clock.Now(), &b); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return done
}

// objectAround reads sub until an object lies within 3 m of the east
// window [e0, e1] at north n, and returns its id.
func objectAround(t *testing.T, sub *client.Subscription, e0, e1, north float64) uint32 {
	t.Helper()
	var id uint32
	nextUntil(t, sub, 10*time.Second, func(u *client.Update) bool {
		for _, o := range u.State.Objects {
			if float64(o.E) >= e0-3 && float64(o.E) <= e1+3 && math.Abs(float64(o.N)-north) < 3 {
				id = o.ID
				return true
			}
		}
		return false
	})
	return id
}

// TestHandoverNeighbourRestarted: node a hands a vehicle over to its
// neighbour b on a real nats-server; b is stopped and started again (new
// process state: its tracker, its NATS connection and subscriptions):
// handover resumes after the restart, a vehicle a handed over while b was
// down gets an id of b's own (nothing made up), and no seed older than
// -handover-stale gives a track its id: neither one that waited too long
// for its vehicle nor one that arrived already stale.
func TestHandoverNeighbourRestarted(t *testing.T) {
	const stale = 2 * time.Second
	c := natsproc.Start(t, natsproc.Options{Servers: 1})
	na, optsA := corridorNode(t, c.URL(), "a", 1, stale, 10*time.Millisecond)
	nb, optsB := corridorNode(t, c.URL(), "b", 2, stale, 10*time.Millisecond)
	fa := geo.NewFrame(refLat, refLon, 0)
	bLat, bLon, _ := fa.FromENU(corridorSpacing, 0, 0)
	fb := geo.NewFrame(bLat, bLon, 0)

	nc, err := nats.Connect(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	hos := make(chan *nats.Msg, 64)
	if _, err := nc.ChanSubscribe("v2x.test.a.handover", hos); err != nil {
		t.Fatal(err)
	}
	// handOver drives vehicle vid through a past the handover line (50 m
	// towards b) and returns the id a handed over.
	handOver := func(vid uint64, north float64) uint32 {
		t.Helper()
		done := driveEast(t, na, optsA, &fa, vid, 42, north, 16, false)
		defer func() { <-done }()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case m := <-hos:
				h, err := uplink.DecodeHandover(m.Data)
				if err != nil {
					t.Fatal(err)
				}
				if h.VehicleID == vid && h.To == "b" {
					return h.ID
				}
			case <-timeout:
				t.Fatalf("vehicle %d: no handover from a within 10 s", vid)
			}
		}
	}
	ids := map[uint64]uint32{}
	// arrive drives vehicle vid into b, 140 m before its reference point
	// (60 m on from a's handover line), after a kick, and returns the id
	// b gives it.
	arrive := func(n *Node, opts client.Options, vid uint64, north float64) uint32 {
		t.Helper()
		sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
		done := driveEast(t, n, opts, &fb, vid, -140, north, 15, true)
		defer func() { <-done; sub.Close() }()
		ids[vid] = objectAround(t, sub, -140, -125, north)
		return ids[vid]
	}
	waitIn := func(n *Node, want uint64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			st, _ := n.UplinkStats()
			if st.HandoversIn >= want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("b received %d handovers within 5 s, want %d", st.HandoversIn, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	ns := func(id uint32) uint32 { return id >> 24 }

	// Before the fault: the corridor id goes over.
	waitConnected(t, nb)
	ho := handOver(101, 0)
	if ns(ho) != 1 {
		t.Fatalf("a handed over id %#x, not in a's namespace 1", ho)
	}
	waitIn(nb, 1)
	if got := arrive(nb, optsB, 101, 0); got != ho {
		t.Fatalf("before the restart: b's track of vehicle 101 has id %#x, want a's %#x", got, ho)
	}

	// b goes down; a hands a vehicle over to nobody.
	if err := nb.Close(); err != nil {
		t.Fatal(err)
	}
	lost := handOver(102, -3)
	time.Sleep(1200 * time.Millisecond) // a's repeat of it goes out too
	// Restarted with a slow idle cycle (2 s): a handover received is
	// seeded at the end of the next cycle (arrive's kick), and the
	// vehicle's first BSM 50 ms later meets it before any other cycle
	// runs an expiry (below: a handover that came stale).
	const tick = 2 * time.Second
	nb, optsB = corridorNode(t, c.URL(), "b", 2, stale, tick)
	waitConnected(t, nb)
	if got := arrive(nb, optsB, 102, -3); got == lost || ns(got) != 2 {
		t.Errorf("vehicle 102, handed over while b was down: b's id %#x, want one of b's own (namespace 2), not %#x", got, lost)
	}

	// After the restart: handover resumes.
	ho = handOver(103, 3)
	waitIn(nb, 1)
	if got := arrive(nb, optsB, 103, 3); got != ho {
		t.Errorf("after the restart: b's track of vehicle 103 has id %#x, want a's %#x (handover did not resume)", got, ho)
	}

	// A seed its vehicle did not confirm within stale_after is gone.
	st, _ := nb.UplinkStats()
	ho = handOver(104, 0)
	waitIn(nb, st.HandoversIn+1)
	time.Sleep(stale + time.Second)
	if got := arrive(nb, optsB, 104, 0); got == ho || ns(got) != 2 {
		t.Errorf("vehicle 104 came %v after its handover: b's id %#x, want one of its own, not the stale seed's %#x", stale+time.Second, got, ho)
	}

	// A handover already older than stale_after when it comes (as a
	// neighbour's retry after an outage) seeds nothing, even when its
	// vehicle comes at once.
	st, _ = nb.UplinkStats()
	old := uplink.Handover{From: "a", To: "b", ID: 1<<24 | 0xfff0, Class: uint8(v2x.ClassCar), TimeNS: clock.Now() - int64(stale) - 1e9,
		VelE: 10, CovEE: 1, CovNN: 1, Length: 4.5, Width: 1.8, VehicleID: 105}
	old.Lat, old.Lon, _ = fb.FromENU(-150, -3, 0)
	b, _ := json.Marshal(&old)
	if err := nc.Publish("v2x.test.a.handover", b); err != nil {
		t.Fatal(err)
	}
	waitIn(nb, st.HandoversIn+1)
	if got := arrive(nb, optsB, 105, -3); got == old.ID || ns(got) != 2 {
		t.Errorf("vehicle 105 after a handover %v old: b's id %#x, want one of its own, not %#x", stale+time.Second, got, old.ID)
	}
	t.Logf("b's ids: vehicle 101 (before the stop) %#x, 102 (handed over while b was down) %#x, 103 (after the restart) %#x, 104 (came stale) %#x, 105 (handover came stale) %#x",
		ids[101], ids[102], ids[103], ids[104], ids[105])
	if m := metricValue(t, na, "v2x_handovers_total"); m < 4 {
		t.Errorf("a counted %v handovers, want 4", m)
	}
}

// waitConnected waits until n's uplink is connected to NATS.
func waitConnected(t *testing.T, n *Node) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for metricValue(t, n, "v2x_nats_connected") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("uplink not connected within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

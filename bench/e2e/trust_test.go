//go:build !race

// Real time, like the accuracy judgement: left out of -race builds.

package e2e

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestGhostFoundAndNeverBroadcast runs honest simulated traffic and, from
// a connection of its own, a stopped ghost car in the middle of the
// intersection (BSMs only). A subscriber with SubEvents must get a ghost
// finding against the ghost within 500 ms of its first BSM, the ghost must
// never appear in a state, and honest traffic must draw no finding.
func TestGhostFoundAndNeverBroadcast(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 14 s of simulated traffic in real time")
	}
	s, dial := startNodeAndSim(t, 11)
	ctx, cancel := context.WithTimeout(context.Background(), 14*time.Second)
	defer cancel()
	sub, err := dial().Subscribe(ctx, wire.Subscribe{Flags: wire.SubEvents})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-ctx.Done()
		sub.Close()
	}()
	feedDone := make(chan error, 1)
	go func() {
		var st feed.Stats
		feedDone <- feed.Run(ctx, dial(), s, feed.Options{}, &st)
	}()

	mp := s.Map()
	fr := geo.NewFrame(mp.RefLat, mp.RefLon, 0)
	// On an egress lane 30 m out of the box, where honest cars drive
	// past the stopped ghost but never stop (a ghost placed on a queued
	// car is that car to the cameras).
	ghostE, ghostN := egressPoint(t, &mp, 30)
	const ghostID = 0xdead
	lat, lon, _ := fr.FromENU(ghostE, ghostN, 0)
	attacker, err := dial().OpenProducer(ctx, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	var first int64
	go func() {
		time.Sleep(9 * time.Second) // coverage learned, past the warm-up
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for count := uint8(0); ; count = (count + 1) % 128 {
			now := clock.Now()
			b := v2x.BSM{VehicleID: ghostID, MsgCount: count, Lat: lat, Lon: lon, Class: v2x.ClassCar, Length: 4.5, Width: 1.8,
				AccSemiMajor: 1.5, AccSemiMinor: 1.2}
			if first == 0 {
				first = now
			}
			if attacker.SendBSM(7, now, &b) != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()

	var found int64
	var states, wrong int
	for {
		u, err := sub.Next()
		if err != nil {
			break
		}
		if u.IsEvent {
			ev := &u.Event
			if ev.Action == wire.EventFinding && (ev.Stream == 0 || ev.LocalID != ghostID) {
				wrong++
				t.Errorf("finding against honest traffic: %s local id %d stream %d: %s", ev.Check, ev.LocalID, ev.Stream, ev.Text)
			}
			if ev.Check == wire.CheckGhost && ev.LocalID == ghostID && found == 0 {
				found = ev.TimeNS
				if ev.Identity != devca.SimIdentity { // the identity the ghost was sent with
					t.Errorf("ghost finding names identity %q, want %q", ev.Identity, devca.SimIdentity)
				}
			}
			continue
		}
		states++
		for _, o := range u.State.Objects {
			if math.Hypot(float64(o.E)-ghostE, float64(o.N)-ghostN) < 1.5 && o.Speed < 1 {
				t.Errorf("ghost broadcast: object %d at %.1f, %.1f speed %.1f sources %d class %d, %v after first, found %v", o.ID, o.E, o.N, o.Speed, o.Sources, o.Class, time.Duration(u.TimeNS-first), found != 0)
			}
		}
	}
	if err := <-feedDone; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	if states < 50 {
		t.Fatalf("only %d states", states)
	}
	if found == 0 {
		t.Fatal("no ghost finding")
	}
	if d := time.Duration(found - first); d > 500*time.Millisecond {
		t.Errorf("ghost found after %v, want <= 500ms", d)
	} else {
		t.Logf("ghost found %v after its first BSM; %d states", d, states)
	}
}

// egressPoint returns a point on the centre line of the MAP's first
// vehicle egress lane, d metres along it from its start.
func egressPoint(t *testing.T, mp *v2x.Map, d float64) (e, n float64) {
	for _, l := range mp.Lanes {
		if l.Ingress || l.Kind != v2x.LaneVehicle || len(l.Nodes) < 2 {
			continue
		}
		a, b := l.Nodes[0], l.Nodes[1]
		de, dn := float64(b.E-a.E), float64(b.N-a.N)
		k := d / math.Hypot(de, dn)
		return float64(a.E) + k*de, float64(a.N) + k*dn
	}
	t.Fatal("no egress lane in the MAP")
	return 0, 0
}

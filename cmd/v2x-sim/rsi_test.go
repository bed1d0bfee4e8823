package main

import (
	"context"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/j2735"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// rsiRecord is one RSI set a subscriber received, and when.
type rsiRecord struct {
	at     time.Time
	events []v2x.RoadEvent
	enc    wire.Encoding
}

// collect subscribes with sub and records every RSI set until ctx ends;
// sdsm counts J2735 SDSM frames that decode.
func collect(ctx context.Context, t *testing.T, c *client.Conn, sub wire.Subscribe, out *[]rsiRecord, sdsm *int, mu *sync.Mutex) {
	s, err := c.Subscribe(ctx, sub)
	if err != nil {
		t.Error(err)
		return
	}
	go func() { <-ctx.Done(); s.Close() }()
	var f csae53.MessageFrame
	var jf j2735.MessageFrame
	var m j2735.SensorDataSharingMessage
	for {
		u, err := s.Next()
		if err != nil {
			return
		}
		mu.Lock()
		switch {
		case u.IsRSI && u.Encoding == wire.EncodingCSAE53:
			var r v2x.RSI
			if _, err := csae53.DecodeFrame(u.Encoded, &f); err != nil || f.Choice != csae53.MessageFrameChoiceRsiFrame {
				t.Errorf("CSAE RSI frame: %v", err)
			} else {
				f.RsiFrame.ToModel(time.Now().UnixNano(), &r)
			}
			*out = append(*out, rsiRecord{time.Now(), r.Events, u.Encoding})
		case u.IsRSI:
			*out = append(*out, rsiRecord{time.Now(), append([]v2x.RoadEvent(nil), u.RSI.Events...), u.Encoding})
		case u.Encoding == wire.EncodingJ2735:
			if _, err := j2735.DecodeFrame(u.Encoded, &jf); err != nil || jf.MessageID != j2735.IDSDSM || j2735.DecodeSDSM(jf.Value, &m) != nil {
				t.Errorf("SDSM frame: %v", err)
			} else if len(m.Objects) > 0 {
				*sdsm++
			}
		}
		mu.Unlock()
	}
}

// TestRSIReachesTouchingRegionsAndExpires runs a node and v2x-sim with
// road works that end 4 s after the start. A subscriber whose region
// touches the road works gets the event (native, and as CSAE RSI for an
// RSU subscription), one whose region does not never gets it, and both
// touching ones get it withdrawn once it has ended. The RSU subscription
// also gets the fused objects as J2735 SDSMs.
func TestRSIReachesTouchingRegionsAndExpires(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator for 7 s")
	}
	cfg := edge.DefaultConfig()
	cfg.Listen, cfg.HTTP, cfg.DataDir = "127.0.0.1:0", "", t.TempDir()
	n, err := edge.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	const endAfter, runFor = 4 * time.Second, 7 * time.Second
	start := time.Now()
	simDone := make(chan error, 1)
	go func() {
		simDone <- run([]string{"-edge", n.Addr().String(), "-ca", filepath.Join(cfg.DataDir, devca.CAFile),
			"-roadworks-end", endAfter.String(), "-duration", runFor.String()}, io.Discard, io.Discard)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), runFor+2*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, n.Addr().String(), client.DevOptions(cfg.DataDir, devca.SubIdentity))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	var all, near, far, rsu []rsiRecord
	var sdsm, none int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		collect(ctx, t, c, wire.Subscribe{Flags: wire.SubRSI | wire.SubPacked}, &all, &none, &mu)
	}()

	// Where are the road works? The unlimited subscriber learns it.
	var works v2x.RoadEvent
	for works.ID == 0 {
		if ctx.Err() != nil || time.Since(start) > endAfter-time.Second {
			t.Fatal("no road works reached the unlimited subscriber in time")
		}
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		for _, r := range all {
			for _, e := range r.events {
				if e.ID == sim.RoadWorksEventID && e.Type == sim.RoadWorksType {
					works = e
				}
			}
		}
		mu.Unlock()
	}
	if works.EndNS == 0 || works.Radius <= 0 {
		t.Fatalf("road works %+v: want an end and a zone", works)
	}
	// Two regions 150 m north of the works: one reaches into its zone by
	// 10 m, one stops 10 m short of it.
	f := geo.NewFrame(works.Lat, works.Lon, 0)
	clat, clon, _ := f.FromENU(0, 150, 0)
	reach := 150 - float32(works.Radius)
	touching := wire.Subscribe{Flags: wire.SubCenter | wire.SubRSI | wire.SubPacked, CenterLat: clat, CenterLon: clon, Radius: reach + 10}
	apart := touching
	apart.Radius = reach - 10
	rsuSub := touching
	rsuSub.Flags = wire.SubCenter | wire.SubCSAERSI | wire.SubJ2735SDSM
	rsuSub.Radius = 0 // all the objects and events, as an RSU broadcasting for the intersection
	for _, x := range []struct {
		sub wire.Subscribe
		out *[]rsiRecord
		n   *int
	}{{touching, &near, &none}, {apart, &far, &none}, {rsuSub, &rsu, &sdsm}} {
		wg.Add(1)
		go func() { defer wg.Done(); collect(ctx, t, c, x.sub, x.out, x.n, &mu) }()
	}
	if err := <-simDone; err != nil {
		t.Fatalf("v2x-sim: %v", err)
	}
	time.Sleep(500 * time.Millisecond)
	cancel()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	ended := start.Add(endAfter)
	check := func(name string, recs []rsiRecord, enc wire.Encoding) {
		var got, withdrawn bool
		var sets int
		for _, r := range recs {
			has := false
			for _, e := range r.events {
				has = has || e.ID == works.ID
			}
			switch {
			case has && r.at.After(ended.Add(time.Second)):
				t.Errorf("%s: the road works still sent at %v, %v after they ended", name, r.at.Format(time.TimeOnly), r.at.Sub(ended))
			case has:
				got = true
				sets++
			case len(r.events) == 0 && got:
				withdrawn = true
				if r.at.Before(ended.Add(-200 * time.Millisecond)) {
					t.Errorf("%s: withdrawn at %v, before the end %v", name, r.at.Format(time.TimeOnly), ended.Format(time.TimeOnly))
				}
			}
			if r.enc != enc && len(r.events) > 0 {
				t.Errorf("%s: an RSI with encoding %d, want %d", name, r.enc, enc)
			}
		}
		if !got || !withdrawn {
			t.Errorf("%s: road works received %v, withdrawn %v (%d RSI frames)", name, got, withdrawn, len(recs))
		}
		if sets != 1 {
			t.Errorf("%s: the road works came in %d sets; the simulator repeats an unchanged RSI every second, which changes nothing", name, sets)
		}
	}
	check("unlimited subscriber", all, wire.EncodingNative)
	check("touching subscriber", near, wire.EncodingNative)
	check("RSU subscriber (CSAE RSI)", rsu, wire.EncodingCSAE53)
	for _, r := range far {
		if len(r.events) > 0 {
			t.Errorf("a subscriber whose region does not touch the road works got %+v", r.events)
		}
	}
	if sdsm == 0 {
		t.Error("the RSU subscription got no SDSM with objects")
	}
	t.Logf("road works at %.6f,%.6f radius %.0f m, end %v; RSI frames: unlimited %d, touching %d, apart %d, RSU %d; SDSMs %d",
		works.Lat, works.Lon, works.Radius, time.Unix(0, works.EndNS).Format(time.TimeOnly), len(all), len(near), len(far), len(rsu), sdsm)
}

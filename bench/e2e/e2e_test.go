package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/feed"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// received is what one subscriber saw.
type received struct {
	updates, withSignals int
	maxAge               int64
	classes              map[v2x.Class]int
	outside              int // objects outside the subscribed region
	onLane               int // objects matched to a MAP lane
	objects              int
	last                 wire.State
	lastTime             int64
}

func collect(t *testing.T, ctx context.Context, s *client.Subscription, f *geo.Frame, radius float64, r *received) {
	stop := s.WaitContext(ctx)
	defer stop()
	r.classes = map[v2x.Class]int{}
	for {
		u, err := s.Next()
		if err != nil {
			if ctx.Err() == nil {
				t.Errorf("subscription ended early: %v", err)
			}
			return
		}
		r.updates++
		r.maxAge = max(r.maxAge, u.AgeNS)
		if len(u.State.Signals) > 0 {
			r.withSignals++
		}
		for _, o := range u.State.Objects {
			r.classes[o.Class]++
			r.objects++
			if o.Lane != 0 {
				r.onLane++
			}
			if radius > 0 {
				e, n, _ := f.ToENU(o.Lat, o.Lon, 0)
				if math.Hypot(e, n) > radius+0.01 {
					r.outside++
				}
			}
		}
		r.last.Objects = append(r.last.Objects[:0], u.State.Objects...)
		r.last.Signals = append(r.last.Signals[:0], u.State.Signals...)
		r.lastTime = u.TimeNS
	}
}

func TestNodeSimulatorTwoSubscribers(t *testing.T) {
	const run = 4 * time.Second
	s, dial := startNodeAndSim(t, 7)
	mp := s.Map()
	frame := geo.NewFrame(mp.RefLat, mp.RefLon, 0)

	ctx, cancel := context.WithTimeout(context.Background(), run)
	defer cancel()
	subAll, err := dial().Subscribe(context.Background(), wire.Subscribe{})
	if err != nil {
		t.Fatal(err)
	}
	const radius = 30
	subNear, err := dial().Subscribe(context.Background(), wire.Subscribe{Flags: wire.SubCenter, CenterLat: mp.RefLat, CenterLon: mp.RefLon, Radius: radius})
	if err != nil {
		t.Fatal(err)
	}
	var all, near received
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); collect(t, ctx, subAll, &frame, 0, &all) }()
	go func() { defer wg.Done(); collect(t, ctx, subNear, &frame, radius, &near) }()

	var truth bytes.Buffer
	var st feed.Stats
	if err := feed.Run(ctx, dial(), s, feed.Options{Truth: &truth}, &st); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	secs := run.Seconds()
	for name, r := range map[string]*received{"all": &all, "near": &near} {
		if rate := float64(r.updates) / secs; rate < 5 {
			t.Errorf("%s: %.1f updates/s, want >= 5", name, rate)
		}
		if r.withSignals < r.updates/2 {
			t.Errorf("%s: only %d of %d updates carry signals", name, r.withSignals, r.updates)
		}
		if r.maxAge > int64(time.Second) {
			t.Errorf("%s: a state arrived %v old", name, time.Duration(r.maxAge))
		}
	}
	if all.classes[v2x.ClassCar] == 0 || all.classes[v2x.ClassPedestrian] == 0 {
		t.Errorf("full subscription saw classes %v, want cars and pedestrians", all.classes)
	}
	if all.onLane < all.objects/4 {
		t.Errorf("only %d of %d reported objects carry a MAP lane", all.onLane, all.objects)
	}
	if near.outside > 0 {
		t.Errorf("region subscription got %d objects outside its %d m radius", near.outside, radius)
	}
	if near.objects >= all.objects {
		t.Errorf("region subscription saw %d objects, the full one %d: the filter removed nothing", near.objects, all.objects)
	}
	if st.Rejected.Load() != 0 {
		t.Errorf("node rejected %d of the simulator's frames", st.Rejected.Load())
	}
	for _, typ := range []wire.Type{wire.TypeBSM, wire.TypeObjectList, wire.TypeSPAT, wire.TypeMAP} {
		if st.Sent[typ].Load() == 0 {
			t.Errorf("simulator sent no %s frame", typ)
		}
	}

	// The final state matches ground truth: most reported objects lie near
	// a true object (cameras add noise and a few false positives, BSMs GNSS
	// noise), and the signals match the plan's group count.
	var lines []feed.TruthLine
	dec := json.NewDecoder(&truth)
	for dec.More() {
		var l feed.TruthLine
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("truth line: %v", err)
		}
		lines = append(lines, l)
	}
	if len(lines) < 30 {
		t.Fatalf("%d truth lines in %v, want >= 30", len(lines), run)
	}
	// The truth sample closest to the last state's time.
	best := lines[0]
	for _, l := range lines {
		if math.Abs(float64(l.TimeNS-all.lastTime)) < math.Abs(float64(best.TimeNS-all.lastTime)) {
			best = l
		}
	}
	near5 := 0
	for _, o := range all.last.Objects {
		e, nn, _ := frame.ToENU(o.Lat, o.Lon, 0)
		for _, tr := range best.Objects {
			// objects move up to ~15 m/s; reported positions may be up to
			// ~150 ms old (camera delay) on top of their noise
			if math.Hypot(e-tr.E, nn-tr.N) < 5 {
				near5++
				break
			}
		}
	}
	if len(all.last.Objects) == 0 || float64(near5) < 0.8*float64(len(all.last.Objects)) {
		t.Errorf("only %d of %d reported objects lie within 5 m of a true object", near5, len(all.last.Objects))
	}
	if len(all.last.Signals) != 4 {
		t.Errorf("last state has %d signal groups, want the plan's 4", len(all.last.Signals))
	}
}

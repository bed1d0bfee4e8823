package feed

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestStandardEncodings feeds a node from the simulator in each standard
// encoding. Every frame of the types that encoding carries goes as a
// standard MessageFrame; the node receives frames of each such type and
// rejects none (Error frames to the feed, and the node's own counters).
// The state shows that the standard MAP became the intersection model
// (the node's intersection, moving vehicles matched to ingress and egress
// lanes of their approach)
// and that the standard SPATs came through (every signal group, in the
// plan's state, with its end within 300 ms of the plan's).
func TestStandardEncodings(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  wire.Encoding
		std  []wire.Type // types sent as standard MessageFrames
	}{
		{"csae53", wire.EncodingCSAE53, []wire.Type{wire.TypeBSM, wire.TypeSPAT, wire.TypeMAP, wire.TypeRSI, wire.TypeObjectList}},
		{"j2735", wire.EncodingJ2735, []wire.Type{wire.TypeBSM, wire.TypeSPAT, wire.TypeMAP}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := edge.DefaultConfig()
			cfg.Listen, cfg.HTTP, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", t.TempDir()
			// The reference comes from configuration, as on a deployed node:
			// the simulator's first BSMs and RSMs may otherwise reach the node
			// before its first MAP (other streams) and be refused no_reference.
			cfg.RefLat, cfg.RefLon = sim.DefaultRefLat, sim.DefaultRefLon
			n, err := edge.New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Start(); err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			opts := client.DevOptions(cfg.DataDir, devca.SimIdentity)
			conn, err := client.Dial(ctx, n.Addr().String(), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			scfg := sim.Config{EquippedShare: 1}
			scfg.SetDefaults()
			s, err := sim.New(scfg)
			if err != nil {
				t.Fatal(err)
			}
			plan := s.Plan()
			var start atomic.Int64 // node time of simulator time 0
			var st Stats
			done := make(chan error, 1)
			go func() {
				done <- Run(ctx, conn, s, Options{Encoding: tc.enc, OnStep: func(at int64, s Scene) { start.Store(at - int64(s.Now())) }}, &st)
			}()

			sconn, err := client.Dial(ctx, n.Addr().String(), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer sconn.Close()
			sub, err := sconn.Subscribe(ctx, wire.Subscribe{})
			if err != nil {
				t.Fatal(err)
			}
			stop := sub.WaitContext(ctx)
			defer stop()
			var ingress, egress, signals int
			var last string
			for ingress == 0 || egress == 0 || signals < len(plan.Groups) {
				u, err := sub.Next()
				if err != nil {
					t.Fatalf("no state with vehicles on ingress and egress lanes and every signal group (last: %s): %v", last, err)
				}
				ingress, egress = 0, 0
				for _, o := range u.State.Objects {
					// Moving vehicles match lanes in their direction of travel
					// only; sim lane ids are approach × 10 + 1, 2 (ingress) or
					// 3, 4 (egress).
					if o.Speed < 3 || o.Approach != o.Lane/10 {
						continue
					}
					switch o.Lane % 10 {
					case 1, 2:
						ingress++
					case 3, 4:
						egress++
					}
				}
				signals = 0
				for _, sg := range u.State.Signals {
					if msg := checkSignal(&plan, sg, time.Duration(u.TimeNS-start.Load())); msg != "" {
						last = msg
						signals = 0
						break
					}
					signals++
				}
				if u.State.Intersection != sim.IntersectionID {
					signals = 0
					last = fmt.Sprintf("intersection %d", u.State.Intersection)
				}
				if signals == len(plan.Groups) {
					last = fmt.Sprintf("%d objects, %d moving on ingress lanes, %d on egress lanes", len(u.State.Objects), ingress, egress)
				}
			}
			// Let frames of every type flow (the MAP comes once a second),
			// and any Error frame for them arrive.
			for ctx.Err() == nil && (st.Sent[wire.TypeBSM].Load() < 50 || st.Sent[wire.TypeMAP].Load() < 2 || st.Sent[wire.TypeRSI].Load() < 1) {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			m := scrape(t, n.HTTPAddr())
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			t.Logf("%s; sent bsm %d (std %d), spat %d (%d), map %d (%d), rsi %d (%d), objects %d (%d); node received rsm %v",
				last, st.Sent[wire.TypeBSM].Load(), st.Std[wire.TypeBSM].Load(), st.Sent[wire.TypeSPAT].Load(), st.Std[wire.TypeSPAT].Load(),
				st.Sent[wire.TypeMAP].Load(), st.Std[wire.TypeMAP].Load(), st.Sent[wire.TypeRSI].Load(), st.Std[wire.TypeRSI].Load(),
				st.Sent[wire.TypeObjectList].Load(), st.Std[wire.TypeObjectList].Load(), m[`v2x_frames_received_total{type="rsm"}`])
			for _, typ := range tc.std {
				if sent, std := st.Sent[typ].Load(), st.Std[typ].Load(); sent == 0 || std != sent {
					t.Errorf("%s: %d sent, %d of them as standard MessageFrames", typ, sent, std)
				}
				received := typ
				if typ == wire.TypeObjectList {
					received = wire.TypeRSM // camera lists go as RSMs
				}
				if got := m[`v2x_frames_received_total{type="`+received.String()+`"}`]; got == 0 {
					t.Errorf("the node received no %s frames", received)
				}
			}
			if r := st.Rejected.Load(); r != 0 {
				t.Errorf("%d frames rejected", r)
			}
			for k, v := range m {
				if (strings.HasPrefix(k, "v2x_frames_rejected_total{") || strings.HasPrefix(k, "v2x_values_rejected_total{")) && v != 0 {
					t.Errorf("%s %v", k, v)
				}
			}
		})
	}
}

// checkSignal compares a signal group in a state with the plan at the
// state's simulator time; "" if it agrees. Near a change of state the
// newest SPAT may still show the old one, so those instants pass.
func checkSignal(plan *sim.Plan, sg wire.SignalState, at time.Duration) string {
	state, _, end := plan.State(sg.Phase, at)
	if was, _, _ := plan.State(sg.Phase, at-300*time.Millisecond); was != state {
		return ""
	}
	if sg.State != state || sg.LikelyEndMS == v2x.TimeUnknown {
		return fmt.Sprintf("group %d %v ending in %d ms, plan %v", sg.Phase, sg.State, sg.LikelyEndMS, state)
	}
	if d := time.Duration(sg.LikelyEndMS)*time.Millisecond - (end - at); d > 300*time.Millisecond || d < -300*time.Millisecond {
		return fmt.Sprintf("group %d ends in %d ms, plan in %v", sg.Phase, sg.LikelyEndMS, end-at)
	}
	return ""
}

// scrape reads the node's /metrics into a map from series to value.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			m[k] = f
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAttackOwnConnection: an attack's forged messages go out through a
// producer on the attack connection, none is rejected, and a feed with an
// attack but no connection for it fails before sending.
func TestAttackOwnConnection(t *testing.T) {
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
	opts := client.DevOptions(cfg.DataDir, devca.SimIdentity)
	dial := func(ctx context.Context) *client.Conn {
		c, err := client.Dial(ctx, n.Addr().String(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	scfg := sim.Config{Seed: 3}
	scfg.SetDefaults()
	s, err := sim.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := sim.NewAttacker(s, sim.AttackConfig{Kind: sim.AttackGhost, Seed: 3, Start: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn := dial(ctx)
	var st Stats
	if err := Run(ctx, conn, s, Options{Attack: a}, &st); err == nil || !strings.Contains(err.Error(), "AttackConn") {
		t.Fatalf("attack without a connection: %v", err)
	}

	rctx, rcancel := context.WithTimeout(ctx, 2500*time.Millisecond)
	defer rcancel()
	var forged, first atomic.Int64
	var wrong atomic.Int64
	err = Run(rctx, conn, s, Options{Attack: a, AttackConn: dial(ctx), OnAttack: func(o *sim.Output, sent int64) {
		if o.Source != sim.AttackSourceID || o.Type != sim.MsgBSM {
			wrong.Add(1)
		}
		first.CompareAndSwap(0, sent)
		forged.Add(1)
	}}, &st)
	if err != nil {
		t.Fatal(err)
	}
	if f := forged.Load(); f < 15 || uint64(f) != st.AttackSent.Load() {
		t.Errorf("%d forged messages reported, %d counted; want about 22", f, st.AttackSent.Load())
	}
	if wrong.Load() != 0 || st.AttackRejected.Load() != 0 || st.Rejected.Load() != 0 {
		t.Errorf("%d forged messages not ghost BSMs of the attacker's source; %d forged and %d honest rejected", wrong.Load(), st.AttackRejected.Load(), st.Rejected.Load())
	}
	if st.Sent[wire.TypeBSM].Load() == 0 {
		t.Error("no honest BSM sent")
	}
}

package feed

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestStandardEncodings feeds a node from the simulator with BSMs (and,
// for CSAE 53, SPATs) as standard MessageFrames: the node rejects none
// and its state holds vehicles and signal groups.
func TestStandardEncodings(t *testing.T) {
	for _, enc := range []wire.Encoding{wire.EncodingCSAE53, wire.EncodingJ2735} {
		t.Run(map[wire.Encoding]string{wire.EncodingCSAE53: "csae53", wire.EncodingJ2735: "j2735"}[enc], func(t *testing.T) {
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
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			opts := client.Options{CAFile: filepath.Join(cfg.DataDir, devca.CAFile)}
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
			var st Stats
			done := make(chan error, 1)
			go func() { done <- Run(ctx, conn, s, Options{Encoding: enc}, &st) }()

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
			var objects, signals int
			for objects == 0 || signals == 0 {
				u, err := sub.Next()
				if err != nil {
					t.Fatalf("no state with objects and signals (last: %d objects, %d signals): %v", objects, signals, err)
				}
				objects, signals = len(u.State.Objects), len(u.State.Signals)
			}
			// Let BSMs flow, and any Error frame for them arrive.
			for st.Sent[wire.TypeBSM].Load() < 50 && ctx.Err() == nil {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if st.Sent[wire.TypeBSM].Load() == 0 || st.Rejected.Load() != 0 {
				t.Errorf("sent %d BSMs, %d frames rejected", st.Sent[wire.TypeBSM].Load(), st.Rejected.Load())
			}
		})
	}
}

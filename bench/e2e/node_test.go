package e2e

import (
	"context"
	"testing"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
)

// startNodeAndSim starts a node with the default configuration on a
// loopback port and builds the default simulated scenario for seed. dial
// connects a client to the node, closed at cleanup.
func startNodeAndSim(t *testing.T, seed int64) (s *sim.Sim, dial func() *client.Conn) {
	t.Helper()
	cfg := edge.DefaultConfig()
	cfg.Listen, cfg.HTTP, cfg.DataDir = "127.0.0.1:0", "", t.TempDir()
	n, err := edge.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	scfg := sim.Config{Seed: seed}
	scfg.SetDefaults()
	if s, err = sim.New(scfg); err != nil {
		t.Fatal(err)
	}
	opts := client.DevOptions(cfg.DataDir, devca.SimIdentity)
	return s, func() *client.Conn {
		c, err := client.Dial(context.Background(), n.Addr().String(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
}

package main

import (
	"fmt"
	"os"

	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
)

// localNode is a fresh in-process node with the default configuration on
// a loopback port, for a sweep without -edge: one per seed, so nothing of
// one seed's run reaches the next.
type localNode struct {
	node *edge.Node
	dir  string
}

func startLocalNode() (*localNode, error) {
	dir, err := os.MkdirTemp("", "v2x-sim-node-")
	if err != nil {
		return nil, fmt.Errorf("local node: %w", err)
	}
	cfg := edge.DefaultConfig()
	cfg.Listen, cfg.HTTP, cfg.DataDir = "127.0.0.1:0", "", dir
	n, err := edge.New(cfg, nil)
	if err == nil {
		err = n.Start()
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("local node: %w", err)
	}
	return &localNode{node: n, dir: dir}, nil
}

// dial returns the address and client options to reach the node as the
// simulator's lab identity.
func (l *localNode) dial() (string, client.Options) {
	return l.node.Addr().String(), client.DevOptions(l.dir, devca.SimIdentity)
}

func (l *localNode) close() {
	l.node.Close()
	os.RemoveAll(l.dir)
}

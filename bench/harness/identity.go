package harness

import (
	"errors"
	"path/filepath"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/devca"
)

// identity is a client certificate and its key.
type identity struct{ cert, key string }

// benchIdentities are the identities the benchmark's processes present
// to its node: the load process a producer of every kind, the subscriber
// process and the relays a subscriber. Given a client certificate
// (Config.ClientCert), every role presents that one; otherwise they are
// issued from the node's development CA in dataDir.
func benchIdentities(cfg Config, dataDir string) (load, subs identity, err error) {
	if cfg.ClientCert != "" || cfg.ClientKey != "" {
		if cfg.ClientCert == "" || cfg.ClientKey == "" {
			return load, subs, errors.New("harness: a client certificate needs its key")
		}
		id := identity{cfg.ClientCert, cfg.ClientKey}
		return id, id, nil
	}
	out := filepath.Join(dataDir, "bench-identities")
	until := time.Now().Add(24 * time.Hour)
	lc, lk, err := devca.IssueFiles(dataDir, auth.Identity{Name: "bench-load", Roles: auth.Roles(auth.RoleProducer), Kinds: auth.AllKinds}, until, out)
	if err != nil {
		return load, subs, err
	}
	sc, sk, err := devca.IssueFiles(dataDir, auth.Identity{Name: "bench-subs", Roles: auth.Roles(auth.RoleSubscriber)}, until, out)
	if err != nil {
		return load, subs, err
	}
	return identity{lc, lk}, identity{sc, sk}, nil
}

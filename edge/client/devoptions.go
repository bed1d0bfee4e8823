package client

import (
	"path/filepath"

	"github.com/v2x-edge/v2x-edge/edge/devca"
)

// DevOptions are the options of a client of a node that runs with the
// development CA in dataDir: it trusts dataDir/ca.pem and presents the
// lab identity name the node wrote under dataDir/identities
// (devca.SimIdentity, a producer of every kind that may subscribe, or
// devca.SubIdentity, a subscriber).
func DevOptions(dataDir, name string) Options {
	cf, kf := devca.IdentityFiles(filepath.Join(dataDir, devca.IdentitiesDir), name)
	return Options{CAFile: filepath.Join(dataDir, devca.CAFile), CertFile: cf, KeyFile: kf}
}

package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/devca"
)

// ClientIdentity picks the client certificate a command presents to the
// node: cert and key when given (-cert, -key), else the lab identity
// defaultName that a node with the development CA writes next to its
// ca.pem (DIR/identities/NAME.pem for -ca DIR/ca.pem), when it is there.
// It returns the files and the identity the certificate names; with no
// certificate at all, empty names and the zero Identity (the node will
// refuse the connection, and the caller says so).
func ClientIdentity(cert, key, caFile, defaultName string) (certFile, keyFile string, id auth.Identity, err error) {
	switch {
	case cert != "" || key != "":
		if cert == "" || key == "" {
			return "", "", id, errors.New("-cert and -key must be given together")
		}
		certFile, keyFile = cert, key
	default:
		cf, kf := devca.IdentityFiles(filepath.Join(filepath.Dir(caFile), devca.IdentitiesDir), defaultName)
		if _, err := os.Stat(cf); err != nil {
			return "", "", id, fmt.Errorf("no client certificate: give -cert FILE -key FILE (issue one with v2x-edge cert issue), or run next to a node with the development CA, which writes %s", cf)
		}
		certFile, keyFile = cf, kf
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return "", "", id, fmt.Errorf("client certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return "", "", id, fmt.Errorf("client certificate %s: %w", certFile, err)
	}
	if id, err = auth.FromCert(leaf); err != nil {
		return "", "", id, fmt.Errorf("client certificate %s: %w", certFile, err)
	}
	return certFile, keyFile, id, nil
}

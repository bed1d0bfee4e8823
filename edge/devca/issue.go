package devca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/auth"
)

// Client identities the node writes under DIR/identities on its first
// start with the development CA, for lab clients that are given no
// certificate (docs/protocol.md §1.1).
const (
	IdentitiesDir = "identities"
	// SimIdentity is a producer of every source kind that may also
	// subscribe and receive the node's misbehaviour events (operator):
	// what v2x-sim (and -evaluate, which judges the findings) uses by
	// default.
	SimIdentity = "sim"
	// SubIdentity is a subscriber: what v2x-sub uses by default.
	SubIdentity = "sub"
	// DefaultDays is the validity of an issued client certificate when
	// none is asked for.
	DefaultDays = 30
)

// IdentityFiles are the certificate and key files of identity name in
// dir: dir/NAME.pem and dir/NAME-key.pem.
func IdentityFiles(dir, name string) (certFile, keyFile string) {
	return filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
}

// Issue signs a client certificate for id with the development CA in dir
// (created when missing), valid from an hour ago until notAfter. It
// returns the certificate and its new private key, PEM-encoded.
func Issue(dir string, id auth.Identity, notAfter time.Time) (certPEM, keyPEM []byte, err error) {
	if !auth.ValidName(id.Name) {
		return nil, nil, fmt.Errorf("devca: identity name %q: want 1 to 64 letters, digits, '.', '_' or '-'", id.Name)
	}
	if id.Roles == 0 {
		return nil, nil, fmt.Errorf("devca: identity %s has no role", id.Name)
	}
	if id.Kinds != 0 && !id.Has(auth.RoleProducer) {
		return nil, nil, fmt.Errorf("devca: identity %s has source kinds but is not a producer", id.Name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("devca: create data directory: %w", err)
	}
	ca, caKey, err := ensureCA(dir)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("devca: generate client key: %w", err)
	}
	notBefore := time.Now().Add(-time.Hour)
	if !notAfter.After(notBefore) {
		notBefore = notAfter.Add(-time.Hour) // an already expired certificate, for tests
	}
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{Organization: []string{"v2x-edge"}, CommonName: id.Name},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		URIs:         []*url.URL{id.URI()},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("devca: create client certificate for %s: %w", id.Name, err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("devca: marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

// IssueFiles is Issue writing outDir/NAME.pem and outDir/NAME-key.pem
// (created or replaced; the key readable by its owner only).
func IssueFiles(dir string, id auth.Identity, notAfter time.Time, outDir string) (certFile, keyFile string, err error) {
	certPEM, keyPEM, err := Issue(dir, id, notAfter)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", "", fmt.Errorf("devca: create %s: %w", outDir, err)
	}
	certFile, keyFile = IdentityFiles(outDir, id.Name)
	if err := writeFile(keyFile, keyPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := writeFile(certFile, certPEM, 0o644); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// EnsureIdentities writes the default lab identities (SimIdentity and
// SubIdentity) under dir/identities unless both are there and valid for a
// week more. It uses the development CA in dir.
func EnsureIdentities(dir string) error {
	out := filepath.Join(dir, IdentitiesDir)
	for _, id := range []auth.Identity{
		{Name: SimIdentity, Roles: auth.Roles(auth.RoleProducer | auth.RoleSubscriber | auth.RoleOperator), Kinds: auth.AllKinds},
		{Name: SubIdentity, Roles: auth.Roles(auth.RoleSubscriber)},
	} {
		cf, kf := IdentityFiles(out, id.Name)
		if fresh(cf, kf, dir) {
			continue
		}
		if _, _, err := IssueFiles(dir, id, time.Now().Add(validity), out); err != nil {
			return err
		}
	}
	return nil
}

// fresh reports whether certFile and keyFile hold a pair signed by the CA
// in dir that is valid for a week more.
func fresh(certFile, keyFile, dir string) bool {
	pair, err := tlsPair(certFile, keyFile)
	if err != nil || time.Until(pair.NotAfter) < renewAhead {
		return false
	}
	cas, err := LoadCerts(filepath.Join(dir, CAFile))
	if err != nil {
		return false
	}
	for _, ca := range cas {
		if pair.CheckSignatureFrom(ca) == nil {
			return true
		}
	}
	return false
}

// LoadCerts reads every PEM certificate in file.
func LoadCerts(file string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("CA file %s: %w", file, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", file)
	}
	return out, nil
}

func writeFile(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return fmt.Errorf("devca: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("devca: write %s: %w", path, err)
	}
	return nil
}

// tlsPair loads a certificate and key that match and returns the
// certificate.
func tlsPair(certFile, keyFile string) (*x509.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(pair.Certificate[0])
}

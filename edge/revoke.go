package edge

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"

	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// revocations are the client certificates (by serial number) and
// identities (by name) the node refuses: the -revoked file.
type revocations struct {
	serials map[string]bool // big.Int.Text(16)
	names   map[string]bool
}

// revoked says why a client is revoked ("certificate <serial>" or
// "identity <name>"), or "" when it is not.
func (r *revocations) revoked(leaf *x509.Certificate, id auth.Identity) string {
	if r == nil {
		return ""
	}
	if leaf != nil && leaf.SerialNumber != nil && r.serials[leaf.SerialNumber.Text(16)] {
		return "certificate " + leaf.SerialNumber.Text(16)
	}
	if id.Name != "" && r.names[id.Name] {
		return "identity " + id.Name
	}
	return ""
}

func (r *revocations) len() int {
	if r == nil {
		return 0
	}
	return len(r.serials) + len(r.names)
}

// parseRevocations reads a revocation file: PEM CRLs ("X509 CRL" blocks,
// each signed by one of cas), or else a text list, one entry a line, '#'
// starting a comment:
//
//	serial:HEX   a certificate serial number (colons between bytes allowed)
//	name:NAME    an identity
//	TOKEN        both that it can be: a serial if it is hex, a name if it
//	             is a valid identity name
func parseRevocations(b []byte, cas []*x509.Certificate) (*revocations, error) {
	r := &revocations{serials: map[string]bool{}, names: map[string]bool{}}
	if bytes.Contains(b, []byte("-----BEGIN")) {
		n := 0
		for rest := b; ; {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				break
			}
			if blk.Type != "X509 CRL" {
				return nil, fmt.Errorf("PEM block %q is not an X509 CRL", blk.Type)
			}
			crl, err := x509.ParseRevocationList(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("CRL %d: %w", n+1, err)
			}
			if !signedByOneOf(crl, cas) {
				return nil, fmt.Errorf("CRL %d (issuer %q) is not signed by the client CA", n+1, crl.Issuer.String())
			}
			for _, e := range crl.RevokedCertificateEntries {
				r.serials[e.SerialNumber.Text(16)] = true
			}
			n++
		}
		if n == 0 {
			return nil, errors.New("no PEM block could be read")
		}
		return r, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		s, _, _ := strings.Cut(sc.Text(), "#")
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		switch {
		case strings.HasPrefix(s, "serial:"):
			n, ok := parseSerial(strings.TrimPrefix(s, "serial:"))
			if !ok {
				return nil, fmt.Errorf("line %d: %q is not a hex serial number", line, s)
			}
			r.serials[n] = true
		case strings.HasPrefix(s, "name:"):
			name := strings.TrimPrefix(s, "name:")
			if !auth.ValidName(name) {
				return nil, fmt.Errorf("line %d: %q is not an identity name", line, name)
			}
			r.names[name] = true
		default:
			n, isSerial := parseSerial(s)
			if isSerial {
				r.serials[n] = true
			}
			if auth.ValidName(s) {
				r.names[s] = true
			} else if !isSerial {
				return nil, fmt.Errorf("line %d: %q is neither a hex serial number nor an identity name", line, s)
			}
		}
	}
	return r, sc.Err()
}

func signedByOneOf(crl *x509.RevocationList, cas []*x509.Certificate) bool {
	for _, ca := range cas {
		if crl.CheckSignatureFrom(ca) == nil {
			return true
		}
	}
	return false
}

// parseSerial reads a hex serial number, colons between bytes allowed,
// as big.Int.Text(16) writes it.
func parseSerial(s string) (string, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if s == "" {
		return "", false
	}
	n, ok := new(big.Int).SetString(s, 16)
	if !ok || n.Sign() < 0 {
		return "", false
	}
	return n.Text(16), true
}

// ReloadRevocations reads the revocation file (Config.Revoked) again,
// replaces the list handshakes are checked against and closes every open
// connection whose certificate or identity is now on it with
// wire.ConnErrRevoked. SIGHUP does this. A file that cannot be read or
// parsed changes nothing; it is logged and counted
// (v2x_revocation_reloads_total). Without a revocation file it does
// nothing.
func (n *Node) ReloadRevocations() error {
	if n.cfg.Revoked == "" || n.auth == nil {
		return nil
	}
	r, err := n.loadRevocations()
	if err != nil {
		n.m.auth.revocationReloads[1].Inc()
		n.log.Error("revocation list not reloaded", "file", n.cfg.Revoked, "err", err)
		return err
	}
	n.m.auth.revocationReloads[0].Inc()
	n.auth.revoked.Store(r)
	closed := n.closeRevoked()
	n.log.Info("revocation list reloaded", "file", n.cfg.Revoked, "entries", r.len(), "connections_closed", closed)
	return nil
}

func (n *Node) loadRevocations() (*revocations, error) {
	b, err := os.ReadFile(n.cfg.Revoked)
	if err != nil {
		return nil, fmt.Errorf("edge: revocation list: %w", err)
	}
	r, err := parseRevocations(b, n.auth.cas)
	if err != nil {
		return nil, fmt.Errorf("edge: revocation list %s: %w", n.cfg.Revoked, err)
	}
	return r, nil
}

// closeRevoked closes the open connections of revoked clients and returns
// how many it closed.
func (n *Node) closeRevoked() int {
	r := n.auth.revoked.Load()
	var victims []*quic.Conn
	n.connsMu.Lock()
	for c, p := range n.conns {
		if why := r.revoked(p.leaf, p.id); why != "" {
			victims = append(victims, c)
			n.log.Info("closing revoked client's connection", "identity", p.id.Name, "remote", c.RemoteAddr().String(), "why", why)
		}
	}
	n.connsMu.Unlock()
	for _, c := range victims {
		c.CloseWithError(wire.ConnErrRevoked, "identity revoked")
		n.m.auth.revokedClosed.Inc()
	}
	return len(victims)
}

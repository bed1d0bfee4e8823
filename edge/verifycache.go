package edge

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"sync"
	"time"
)

// verifyCacheSize bounds the chains verifyCache remembers; when it is full
// it starts again empty (a flood of distinct certificates costs what it
// costs without the cache, never memory).
const verifyCacheSize = 4096

// verifyCache remembers client certificate chains that verified against
// the client CA, so that a client connecting again with the same chain
// (a fleet reconnecting, or one identity dialling hundreds of
// connections) skips x509 chain building and the CA's signature check:
// about a quarter of a TLS handshake's CPU on the node. What may change
// between two handshakes is still checked each time: the chain's validity
// period here, revocation and the identity by the caller. The TLS
// handshake itself still checks each connection's CertificateVerify, the
// client's proof that it holds the certificate's key.
type verifyCache struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]chainValidity
}

// chainValidity is when every certificate of a verified chain is valid.
type chainValidity struct{ notBefore, notAfter time.Time }

// chainKey names a chain by its certificates' bytes.
func chainKey(certs []*x509.Certificate) [sha256.Size]byte {
	h := sha256.New()
	var n [4]byte
	for _, c := range certs {
		binary.BigEndian.PutUint32(n[:], uint32(len(c.Raw)))
		h.Write(n[:])
		h.Write(c.Raw)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// verified reports whether the chain named k verified before and all its
// certificates are valid at now.
func (vc *verifyCache) verified(k [sha256.Size]byte, now time.Time) bool {
	vc.mu.Lock()
	v, ok := vc.m[k]
	vc.mu.Unlock()
	return ok && !now.Before(v.notBefore) && !now.After(v.notAfter)
}

// add remembers a verified chain named k, valid while every certificate
// of certs (the chain built, up to the root) is.
func (vc *verifyCache) add(k [sha256.Size]byte, certs []*x509.Certificate) {
	v := chainValidity{notBefore: certs[0].NotBefore, notAfter: certs[0].NotAfter}
	for _, c := range certs[1:] {
		if c.NotBefore.After(v.notBefore) {
			v.notBefore = c.NotBefore
		}
		if c.NotAfter.Before(v.notAfter) {
			v.notAfter = c.NotAfter
		}
	}
	vc.mu.Lock()
	if vc.m == nil || len(vc.m) >= verifyCacheSize {
		vc.m = make(map[[sha256.Size]byte]chainValidity)
	}
	vc.m[k] = v
	vc.mu.Unlock()
}

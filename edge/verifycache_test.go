package edge

import (
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/devca"
)

// TestVerifyCacheKeepsChecks: a chain that verified is remembered, but
// the remembered chain is still refused once out of date or revoked, and
// a chain from another CA is never taken for it.
func TestVerifyCacheKeepsChecks(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	for _, d := range []string{dir, other} {
		if _, err := devca.Ensure(d); err != nil {
			t.Fatal(err)
		}
	}
	var m authMetrics
	a, err := newClientAuth("", dir, &m, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	a.now = func() time.Time { return now }
	id := auth.Identity{Name: "cam-1", Roles: auth.Roles(auth.RoleProducer), Kinds: auth.AllKinds}
	leaf := func(caDir string) []*x509.Certificate {
		certPEM, _, err := devca.Issue(caDir, id, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode(certPEM)
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return []*x509.Certificate{c}
	}
	good := leaf(dir)
	for i := range 2 {
		if _, reason, err := a.verify(good); err != nil {
			t.Fatalf("verify %d: reason %d: %v", i, reason, err)
		}
	}
	if !a.chains.verified(chainKey(good), now) {
		t.Fatal("a verified chain is not remembered")
	}
	if _, reason, err := a.verify(leaf(other)); err == nil || reason != hsUnknownCA {
		t.Errorf("another CA's certificate: reason %d, err %v; want unknown_ca", reason, err)
	}
	a.revoked.Store(&revocations{names: map[string]bool{id.Name: true}})
	if _, reason, err := a.verify(good); err == nil || reason != hsRevoked {
		t.Errorf("remembered chain, identity revoked: reason %d, err %v; want revoked", reason, err)
	}
	a.revoked.Store(&revocations{})
	now = now.Add(2 * time.Hour)
	if _, reason, err := a.verify(good); err == nil || reason != hsExpired {
		t.Errorf("remembered chain, out of date: reason %d, err %v; want expired", reason, err)
	}
}

// BenchmarkVerifyChain is what a client certificate costs the handshake,
// built each time or remembered.
func BenchmarkVerifyChain(b *testing.B) {
	dir := b.TempDir()
	if _, err := devca.Ensure(dir); err != nil {
		b.Fatal(err)
	}
	var m authMetrics
	a, err := newClientAuth("", dir, &m, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	certPEM, _, err := devca.Issue(dir, auth.Identity{Name: "cam-1", Roles: auth.Roles(auth.RoleProducer), Kinds: auth.AllKinds}, time.Now().Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	p, _ := pem.Decode(certPEM)
	c, err := x509.ParseCertificate(p.Bytes)
	if err != nil {
		b.Fatal(err)
	}
	certs := []*x509.Certificate{c}
	b.Run("remembered", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := a.verify(certs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("built", func(b *testing.B) {
		for b.Loop() {
			a.chains = verifyCache{}
			if _, _, err := a.verify(certs); err != nil {
				b.Fatal(err)
			}
		}
	})
}

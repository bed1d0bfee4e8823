package devca

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/auth"
)

func TestIssueFilesVerifiesAsClient(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out := filepath.Join(t.TempDir(), "ids")
	id := auth.Identity{Name: "cam-1", Roles: auth.Roles(auth.RoleProducer), Kinds: auth.Kinds(auth.KindCamera)}
	cf, kf, err := IssueFiles(dir, id, time.Now().Add(48*time.Hour), out)
	if err != nil {
		t.Fatal(err)
	}
	if cf != filepath.Join(out, "cam-1.pem") || kf != filepath.Join(out, "cam-1-key.pem") {
		t.Errorf("files %s %s", cf, kf)
	}
	if st, err := os.Stat(kf); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", st, err)
	}
	leaf, err := tlsPair(cf, kf)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := LoadPool(filepath.Join(dir, CAFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate does not verify: %v", err)
	}
	got, err := auth.FromCert(leaf)
	if err != nil || got != id {
		t.Errorf("identity %+v %v, want %+v", got, err, id)
	}
	if d := time.Until(leaf.NotAfter); d < 47*time.Hour || d > 49*time.Hour {
		t.Errorf("valid for %v more, want 48h", d)
	}
}

func TestIssueExpired(t *testing.T) {
	dir := t.TempDir()
	c, _, err := Issue(dir, auth.Identity{Name: "old", Roles: auth.Roles(auth.RoleSubscriber)}, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(c) == 0 {
		t.Fatal("no certificate")
	}
}

func TestIssueRefusesBadIdentities(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []auth.Identity{
		{Name: "bad name", Roles: auth.Roles(auth.RoleProducer)},
		{Name: "", Roles: auth.Roles(auth.RoleProducer)},
		{Name: "noroles"},
		{Name: "sub-with-kinds", Roles: auth.Roles(auth.RoleSubscriber), Kinds: auth.Kinds(auth.KindMap)},
	} {
		if _, _, err := Issue(dir, id, time.Now().Add(time.Hour)); err == nil {
			t.Errorf("%+v issued", id)
		}
	}
}

func TestEnsureIdentitiesOnceThenReuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := Ensure(dir); err != nil {
		t.Fatal(err)
	}
	if err := EnsureIdentities(dir); err != nil {
		t.Fatal(err)
	}
	cf, kf := IdentityFiles(filepath.Join(dir, IdentitiesDir), SimIdentity)
	first, err := tlsPair(cf, kf)
	if err != nil {
		t.Fatal(err)
	}
	id, err := auth.FromCert(first)
	if err != nil || !id.Has(auth.RoleSubscriber) || !id.MaySend(auth.KindMap) || !id.MaySend(auth.KindVehicle) {
		t.Errorf("sim identity %+v %v", id, err)
	}
	if err := EnsureIdentities(dir); err != nil {
		t.Fatal(err)
	}
	again, err := tlsPair(cf, kf)
	if err != nil || !again.Equal(first) {
		t.Errorf("second EnsureIdentities replaced the sim identity (%v)", err)
	}
	sc, sk := IdentityFiles(filepath.Join(dir, IdentitiesDir), SubIdentity)
	sub, err := tlsPair(sc, sk)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := auth.FromCert(sub); err != nil || id.Has(auth.RoleProducer) || !id.Has(auth.RoleSubscriber) {
		t.Errorf("sub identity %+v %v", id, err)
	}
}

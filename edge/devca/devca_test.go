package devca

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
)

func TestEnsureCreatesThenReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cert, err := Ensure(dir, "edge.example", "10.1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := LoadPool(filepath.Join(dir, CAFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1", "edge.example", "10.1.2.3"} {
		if _, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: name}); err != nil {
			t.Errorf("server certificate does not verify for %s: %v", name, err)
		}
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("server key mode %v, want 0600", st.Mode().Perm())
	}
	again, err := Ensure(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Leaf.Equal(cert.Leaf) {
		t.Error("second Ensure issued a new certificate instead of reusing the existing one")
	}
}

func TestLoadPoolErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadPool(filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("missing file: no error")
	}
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate"), 0o644)
	if _, err := LoadPool(junk); err == nil {
		t.Error("junk file: no error")
	}
}

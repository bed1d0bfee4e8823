package edge

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoadKeysPersists: the keys a node makes in its data directory are
// the ones it loads after a restart, and a damaged file is an error.
func TestLoadKeysPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := loadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := loadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if *k1 != *k2 || k1.Reset == [32]byte{} {
		t.Fatal("keys differ after a restart, or are zero")
	}
	fi, err := os.Stat(filepath.Join(dir, KeysFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file: %v, mode %v, want 0600", err, fi.Mode())
	}
	os.WriteFile(filepath.Join(dir, KeysFile), []byte("short"), 0o600)
	if _, err := loadKeys(dir); err == nil {
		t.Error("a damaged keys file was accepted")
	}
}

package bpf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedUpToDate regenerates the bpf2go output in a copy of the
// module and checks that it matches the committed files byte for byte.
func TestGeneratedUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs clang; skipped with -short")
	}
	for _, tool := range []string{"clang", "llvm-strip", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (Debian packages clang, llvm, libbpf-dev) to regenerate: %v", tool, err)
		}
	}
	if _, err := os.Stat("/usr/include/bpf/bpf_helpers.h"); err != nil {
		t.Skip("needs libbpf-dev for bpf/bpf_helpers.h")
	}
	root := t.TempDir()
	copyFile(t, "../go.mod", filepath.Join(root, "go.mod"))
	copyFile(t, "../go.sum", filepath.Join(root, "go.sum"))
	dir := filepath.Join(root, "bpf")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, pat := range []string{"*.c", "*.h", "gen.go", "doc.go"} {
		files, _ := filepath.Glob(pat)
		for _, f := range files {
			copyFile(t, f, filepath.Join(dir, f))
		}
	}
	cmd := exec.Command("go", "generate", "./bpf")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go generate: %v\n%s", err, out)
	}
	generated, _ := filepath.Glob(filepath.Join(dir, "*_bpfel.*"))
	if len(generated) != 4 {
		t.Fatalf("generate wrote %d files, want 4: %v", len(generated), generated)
	}
	for _, g := range generated {
		want, err := os.ReadFile(filepath.Base(g))
		if err != nil {
			t.Errorf("%s is generated but not committed: %v", filepath.Base(g), err)
			continue
		}
		got, _ := os.ReadFile(g)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its regeneration: run `make generate` (go generate ./bpf) and commit", filepath.Base(g))
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

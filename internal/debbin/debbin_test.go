package debbin

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestFind(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "v2x-debbin-probe")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if got := Find("v2x-debbin-probe"); got != bin {
		t.Errorf("Find on PATH = %q, want %q", got, bin)
	}
	if got := Find("v2x-debbin-absent"); got != "" {
		t.Errorf("Find of an absent binary = %q", got)
	}
	if p, err := Ensure(context.Background(), "v2x-no-such-package", "v2x-debbin-probe"); err != nil || p != bin {
		t.Errorf("Ensure of a present binary = %q, %v", p, err)
	}
}

package csae53

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/internal/xercmp"
)

// vectors lists the .uper files with a .xer beside them in dir.
func vectors(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.uper"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func checkVector(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.ReadFile(strings.TrimSuffix(file, ".uper") + ".xer")
	if err != nil {
		t.Fatal(err)
	}
	var f MessageFrame
	n, err := DecodeFrame(raw, &f)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if n != len(raw) {
		t.Errorf("decode used %d of %d bytes", n, len(raw))
	}
	if d := xercmp.Diff(ref, AppendXER(nil, &f)); d != "" {
		t.Errorf("XER differs from the reference: %s", d)
	}
	again, err := AppendFrame(nil, &f)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	if !bytes.Equal(again, raw) {
		t.Errorf("re-encoding differs:\n got %x\nwant %x", again, raw)
	}
}

func TestSamples(t *testing.T) {
	files := vectors(t, "testdata/samples")
	if len(files) != 9 {
		t.Fatalf("%d samples, want the 9 of ../shared/data/csae53-2017", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { checkVector(t, file) })
	}
}

// TestASN1CVectors checks the vectors asn1c encoded from values at the
// schema's extremes (testdata/asn1c/README.md): each decodes to asn1c's
// own XER decode and re-encodes byte for byte.
func TestASN1CVectors(t *testing.T) {
	files := vectors(t, "testdata/asn1c")
	if len(files) < 30 {
		t.Fatalf("%d asn1c vectors, want the committed set", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { checkVector(t, file) })
	}
}

package csae53

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeFrame checks that any input either fails with an error or
// decodes to a frame that re-encodes and decodes to the same JSON.
func FuzzDecodeFrame(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.uper")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m MessageFrame
		if _, err := DecodeFrame(b, &m); err != nil {
			return
		}
		enc, err := AppendFrame(nil, &m)
		if err != nil {
			t.Fatalf("decoded frame does not encode: %v", err)
		}
		var again MessageFrame
		if _, err := DecodeFrame(enc, &again); err != nil {
			t.Fatalf("re-encoded frame does not decode: %v", err)
		}
		if j1, j2 := AppendJSON(nil, &m), AppendJSON(nil, &again); !bytes.Equal(j1, j2) {
			t.Fatalf("round trip changed the frame:\n%s\n%s", j1, j2)
		}
	})
}

package csae53

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// xerTokens canonicalises XER: element starts and ends and trimmed
// character data, so that indentation does not matter.
func xerTokens(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("xer: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			out = append(out, "<"+tok.Name.Local+">")
		case xml.EndElement:
			out = append(out, "</"+tok.Name.Local+">")
		case xml.CharData:
			// asn1c breaks long hex and bit strings over lines: whitespace
			// runs compare as one space.
			if s := strings.Join(strings.Fields(string(tok)), " "); s != "" {
				out = append(out, s)
			}
		}
	}
}

// firstDiff describes where two token lists part.
func firstDiff(want, got []string) string {
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			lo := max(0, i-6)
			return "at token " + strings.Join(want[lo:i], "") + " want " + want[i] + ", got " + got[i]
		}
	}
	if len(want) != len(got) {
		return "lengths differ"
	}
	return ""
}

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
	if d := firstDiff(xerTokens(t, ref), xerTokens(t, AppendXER(nil, &f))); d != "" {
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

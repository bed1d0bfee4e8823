package csae53

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/v2x-edge/v2x-edge/internal/asn1gen"
	"github.com/v2x-edge/v2x-edge/internal/asn1spec"
)

// TestGeneratedUpToDate regenerates messages_gen.go in memory, as go
// generate does, and fails if the committed file differs.
func TestGeneratedUpToDate(t *testing.T) {
	files, err := filepath.Glob("asn/*.asn")
	if err != nil || len(files) != 23 {
		t.Fatalf("asn/*.asn: %d files, %v", len(files), err)
	}
	var mods []*asn1spec.Module
	for _, f := range files {
		m, err := asn1spec.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		mods = append(mods, m...)
	}
	spec, err := asn1spec.NewSpec(mods)
	if err != nil {
		t.Fatal(err)
	}
	got, err := asn1gen.Generate(spec, asn1gen.Options{
		Package: "csae53", Roots: []string{"MessageFrame"},
		Source:  "CSAE 53-2017 ASN.1 modules in asn/",
		Command: "v2x-asn1gen -pkg csae53 -root MessageFrame",
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("messages_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("messages_gen.go is stale: run go generate ./v2x/csae53")
	}
}

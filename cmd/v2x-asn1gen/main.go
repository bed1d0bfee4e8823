// Command v2x-asn1gen generates Go types with UPER codecs and text output
// from ASN.1 modules (see internal/asn1gen for the mapping).
//
//	v2x-asn1gen -pkg csae53 -root MessageFrame -o messages_gen.go asn/*.asn
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/v2x-edge/v2x-edge/internal/asn1gen"
	"github.com/v2x-edge/v2x-edge/internal/asn1spec"
)

func main() {
	pkg := flag.String("pkg", "", "Go package name of the output (required)")
	roots := flag.String("root", "", "comma-separated ASN.1 types to generate, with all they reach (required)")
	out := flag.String("o", "", "output file (default: standard output)")
	source := flag.String("source", "", "a line naming the specification, for the header (default: the input files)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: v2x-asn1gen -pkg NAME -root TYPE[,TYPE] [-o FILE] [-source TEXT] FILE.asn...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *pkg == "" || *roots == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*pkg, strings.Split(*roots, ","), *out, *source, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "v2x-asn1gen:", err)
		os.Exit(1)
	}
}

func run(pkg string, roots []string, out, source string, files []string) error {
	var mods []*asn1spec.Module
	var names []string
	for _, f := range files {
		m, err := asn1spec.ParseFile(f)
		if err != nil {
			return err
		}
		mods = append(mods, m...)
		names = append(names, filepath.Base(f))
	}
	spec, err := asn1spec.NewSpec(mods)
	if err != nil {
		return err
	}
	if source == "" {
		source = strings.Join(names, " ")
	}
	src, err := asn1gen.Generate(spec, asn1gen.Options{
		Package: pkg, Roots: roots, Source: source,
		Command: "v2x-asn1gen -pkg " + pkg + " -root " + strings.Join(roots, ","),
	})
	if err != nil {
		return err
	}
	if out == "" {
		_, err = os.Stdout.Write(src)
		return err
	}
	return os.WriteFile(out, src, 0o644)
}

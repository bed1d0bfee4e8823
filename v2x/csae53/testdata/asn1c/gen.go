//go:build ignore

// gen writes XER values of CSAE 53-2017 MessageFrames that cover the
// extremes of the schema, for asn1c to encode (see make-vectors.sh):
//
//	go run gen.go -schema ../../asn -out DIR
//
// Variants per message: min (lower bounds, first enumerations and
// alternatives, minimum sizes, OPTIONALs absent), max (upper bounds, last
// enumerations, maximum sizes where the total stays small, OPTIONALs
// present), mid (mid-range values, OPTIONALs present) and alt-K (every
// CHOICE takes its K-th alternative where it has one).
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/v2x-edge/v2x-edge/internal/asn1spec"
	"github.com/v2x-edge/v2x-edge/internal/asn1vectors"
	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
)

func main() {
	schema := flag.String("schema", "../../asn", "directory of the CSAE 53-2017 modules")
	out := flag.String("out", ".", "output directory")
	flag.Parse()
	files, _ := filepath.Glob(filepath.Join(*schema, "*.asn"))
	var mods []*asn1spec.Module
	for _, f := range files {
		m, err := asn1spec.ParseFile(f)
		if err != nil {
			log.Fatal(err)
		}
		mods = append(mods, m...)
	}
	spec, err := asn1spec.NewSpec(mods)
	if err != nil {
		log.Fatal(err)
	}
	frame := spec.Types["MessageFrame"].Type
	variants := asn1vectors.Variants(7)
	for _, c := range frame.Components {
		msg := strings.TrimSuffix(c.Name, "Frame")
		for _, v := range variants {
			v.Budget = 120
			var x asn1text.XER
			x.Reset(nil)
			x.Begin("MessageFrame", asn1text.Choice)
			asn1vectors.Write(spec, c.Type, c.Name, &v, &x)
			x.End()
			name := filepath.Join(*out, msg+"-"+v.Name+".in.xer")
			if err := os.WriteFile(name, append(x.Bytes(), '\n'), 0o644); err != nil {
				log.Fatal(err)
			}
		}
	}
}

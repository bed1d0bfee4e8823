//go:build ignore

// gen writes XER values of the SensorDataSharingMessage that cover the
// extremes of our transcription (../../../asn/sdsm.asn and the types it
// reaches), for asn1c to encode (see make-vectors.sh):
//
//	go run gen.go -schema ../../../asn -out DIR
//
// Variants (package internal/asn1vectors): min, max, mid, alt1, alt2,
// and vru-human, vru-animal, vru-motor (a detected VRU with each kind of
// propulsion).
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/v2x-edge/v2x-edge/internal/asn1spec"
	"github.com/v2x-edge/v2x-edge/internal/asn1vectors"
	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
)

func main() {
	schema := flag.String("schema", "../../../asn", "directory of the J2735 modules")
	out := flag.String("out", ".", "output directory")
	flag.Parse()
	var mods []*asn1spec.Module
	for _, f := range []string{"spat-map.asn", "bsm-partii.asn", "sdsm.asn"} {
		m, err := asn1spec.ParseFile(filepath.Join(*schema, f))
		if err != nil {
			log.Fatal(err)
		}
		mods = append(mods, m...)
	}
	spec, err := asn1spec.NewSpec(mods)
	if err != nil {
		log.Fatal(err)
	}
	const root = "SensorDataSharingMessage"
	variants := asn1vectors.Variants(2)
	for k, p := range []string{"human", "animal", "motor"} {
		variants = append(variants, asn1vectors.Variant{Name: "vru-" + p, Mode: "mid", Alt: -1, Present: true,
			Pick: map[string]int{"detObjOptData": 1, "propulsion": k}})
	}
	for _, v := range variants {
		v.Budget = 120
		v.Omit = map[string]bool{"regional": true} // Position3D's regional extensions are open types
		var x asn1text.XER
		x.Reset(nil)
		asn1vectors.Write(spec, spec.Types[root].Type, root, &v, &x)
		name := filepath.Join(*out, "sdsm-"+v.Name+".in.xer")
		if err := os.WriteFile(name, append(x.Bytes(), '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

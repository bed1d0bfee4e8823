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
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/v2x-edge/v2x-edge/internal/asn1spec"
	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
)

type variant struct {
	name    string
	mode    string // min, max, mid
	alt     int    // CHOICE alternative, -1: by mode
	budget  int    // list items left for maximum-size lists
	present bool
}

type walker struct {
	spec *asn1spec.Spec
	v    *variant
	w    asn1text.Writer
}

func (g *walker) value(t *asn1spec.Type, name string, depth int) {
	rt := g.spec.Resolve(t)
	switch rt.Kind {
	case asn1spec.KindInteger:
		lb, ub := rt.Value.Lb, rt.Value.Ub
		if !rt.Value.HasUb {
			ub = lb + 1000
		}
		g.w.Int(name, g.pick(lb, ub))
	case asn1spec.KindEnumerated:
		items := rt.Items
		i := int(g.pick(0, int64(len(items)-1)))
		g.w.Enum(name, items[i].Name)
	case asn1spec.KindBoolean:
		g.w.Bool(name, g.v.mode != "min")
	case asn1spec.KindNull:
		g.w.Null(name)
	case asn1spec.KindBitString:
		n := int(g.pick(rt.Size.Lb, rt.Size.Ub))
		var bits uint64
		switch g.v.mode {
		case "max":
			bits = 1<<n - 1
		case "mid":
			bits = 0xa5a5a5a5a5a5a5a5 & (1<<n - 1)
		}
		g.w.Bits(name, bits, n)
	case asn1spec.KindOctetString:
		n := int(g.pick(rt.Size.Lb, rt.Size.Ub))
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(g.pick(0, 255)) ^ byte(i)
		}
		g.w.Octets(name, p)
	case asn1spec.KindIA5String:
		n := int(g.pick(rt.Size.Lb, rt.Size.Ub))
		g.w.Chars(name, []byte(strings.Repeat("abcdefghij", n/10+1)[:n]))
	case asn1spec.KindSequence:
		g.w.Begin(name, asn1text.Sequence)
		for _, c := range rt.Components {
			if c.Optional && !g.v.present {
				continue
			}
			g.value(c.Type, c.Name, depth+1)
		}
		g.w.End()
	case asn1spec.KindSequenceOf:
		n := int(rt.Size.Lb)
		switch g.v.mode {
		case "max":
			if want := int(rt.Size.Ub) - n; want <= g.v.budget {
				g.v.budget -= want
				n = int(rt.Size.Ub)
			} else if g.v.budget > 0 {
				n++
				g.v.budget--
			}
		case "mid":
			if n < 2 && rt.Size.Ub >= 2 {
				n = 2
			}
		}
		item := rt.Elem.Ref
		if item == "" {
			log.Fatalf("%s: SEQUENCE OF a built-in type", name)
		}
		g.w.Begin(name, asn1text.List)
		for range n {
			g.value(rt.Elem, item, depth+1)
		}
		g.w.End()
	case asn1spec.KindChoice:
		k := 0
		switch {
		case g.v.alt >= 0:
			k = min(g.v.alt, len(rt.Components)-1)
		case g.v.mode == "max":
			k = len(rt.Components) - 1
		}
		c := rt.Components[k]
		g.w.Begin(name, asn1text.Choice)
		g.value(c.Type, c.Name, depth+1)
		g.w.End()
	default:
		log.Fatalf("%s: %v not supported", name, rt.Kind)
	}
}

func (g *walker) pick(lb, ub int64) int64 {
	switch g.v.mode {
	case "max":
		return ub
	case "mid":
		return lb + (ub-lb)/2
	}
	return lb
}

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
	var variants []variant
	for _, m := range []string{"min", "max", "mid"} {
		variants = append(variants, variant{name: m, mode: m, alt: -1, present: m != "min"})
	}
	for k := 1; k < 8; k++ {
		variants = append(variants, variant{name: fmt.Sprintf("alt%d", k), mode: "mid", alt: k, present: true})
	}
	for _, c := range frame.Components {
		msg := strings.TrimSuffix(c.Name, "Frame")
		for _, v := range variants {
			v.budget = 120
			var x asn1text.XER
			x.Reset(nil)
			x.Begin("MessageFrame", asn1text.Choice)
			g := &walker{spec: spec, v: &v, w: &x}
			g.value(c.Type, c.Name, 0)
			x.End()
			name := filepath.Join(*out, msg+"-"+v.name+".in.xer")
			if err := os.WriteFile(name, append(x.Bytes(), '\n'), 0o644); err != nil {
				log.Fatal(err)
			}
		}
	}
}

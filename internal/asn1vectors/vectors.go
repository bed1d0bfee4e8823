// Package asn1vectors writes ASN.1 values that cover the extremes of a
// schema (package asn1spec), as XER or JSON through an asn1text.Writer,
// for an independent encoder such as asn1c to turn into test vectors.
//
// Variants: min (lower bounds, first enumerations and alternatives,
// minimum sizes, OPTIONALs absent), max (upper bounds, last enumerations
// and alternatives, maximum sizes while the budget of list items lasts,
// OPTIONALs present), mid (mid-range values, lists of two, OPTIONALs
// present) and altK (every CHOICE takes its K-th alternative, or its
// last, with mid-range values).
package asn1vectors

import (
	"fmt"
	"strings"

	"github.com/v2x-edge/v2x-edge/internal/asn1spec"
	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
)

// Variant says which values a walk picks.
type Variant struct {
	Name    string
	Mode    string // min, max, mid
	Alt     int    // CHOICE alternative, -1: by mode
	Budget  int    // list items left for maximum-size lists
	Present bool   // OPTIONAL components present
	// Omit names OPTIONAL components always left out, whatever Present
	// says (open types, which the walk cannot fill).
	Omit map[string]bool
	// Pick sets the alternative (by index) of CHOICE components by their
	// name, over Alt and Mode.
	Pick map[string]int
}

// Write writes a value of type t under name, as v picks it.
func Write(spec *asn1spec.Spec, t *asn1spec.Type, name string, v *Variant, w asn1text.Writer) {
	g := &walker{spec: spec, v: v, w: w}
	g.value(t, name, 0)
}

// Variants are the standard set: min, max, mid and alt1 to altN.
func Variants(alts int) []Variant {
	var vs []Variant
	for _, m := range []string{"min", "max", "mid"} {
		vs = append(vs, Variant{Name: m, Mode: m, Alt: -1, Present: m != "min"})
	}
	for k := 1; k <= alts; k++ {
		vs = append(vs, Variant{Name: fmt.Sprintf("alt%d", k), Mode: "mid", Alt: k, Present: true})
	}
	return vs
}

type walker struct {
	spec *asn1spec.Spec
	v    *Variant
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
		g.w.Bool(name, g.v.Mode != "min")
	case asn1spec.KindNull:
		g.w.Null(name)
	case asn1spec.KindBitString:
		n := int(g.pick(rt.Size.Lb, rt.Size.Ub))
		var bits uint64
		switch g.v.Mode {
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
			if c.Optional && (!g.v.Present || g.v.Omit[c.Name]) {
				continue
			}
			g.value(c.Type, c.Name, depth+1)
		}
		g.w.End()
	case asn1spec.KindSequenceOf:
		n := int(rt.Size.Lb)
		switch g.v.Mode {
		case "max":
			if want := int(rt.Size.Ub) - n; want <= g.v.Budget {
				g.v.Budget -= want
				n = int(rt.Size.Ub)
			} else if g.v.Budget > 0 {
				n++
				g.v.Budget--
			}
		case "mid":
			if n < 2 && rt.Size.Ub >= 2 {
				n = 2
			}
		}
		item := rt.Elem.Ref
		if item == "" {
			panic(fmt.Sprintf("%s: SEQUENCE OF a built-in type", name))
		}
		g.w.Begin(name, asn1text.List)
		for range n {
			g.value(rt.Elem, item, depth+1)
		}
		g.w.End()
	case asn1spec.KindChoice:
		k := 0
		switch {
		case g.v.Alt >= 0:
			k = min(g.v.Alt, len(rt.Components)-1)
		case g.v.Mode == "max":
			k = len(rt.Components) - 1
		}
		if i, ok := g.v.Pick[name]; ok {
			k = min(i, len(rt.Components)-1)
		}
		c := rt.Components[k]
		g.w.Begin(name, asn1text.Choice)
		g.value(c.Type, c.Name, depth+1)
		g.w.End()
	default:
		panic(fmt.Sprintf("%s: %v not supported", name, rt.Kind))
	}
}

func (g *walker) pick(lb, ub int64) int64 {
	switch g.v.Mode {
	case "max":
		return ub
	case "mid":
		return lb + (ub-lb)/2
	}
	return lb
}

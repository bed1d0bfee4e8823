package asn1spec

import (
	"fmt"
	"os"
	"strconv"
)

// ParseFile parses the ASN.1 modules in a file.
func ParseFile(name string) ([]*Module, error) {
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("asn1spec: %w", err)
	}
	return Parse(name, string(src))
}

// Parse parses the ASN.1 modules in src; file names the source in errors.
func Parse(file, src string) ([]*Module, error) {
	toks, err := lex(file, src)
	if err != nil {
		return nil, fmt.Errorf("asn1spec: %w", err)
	}
	p := &parser{file: file, toks: toks}
	var mods []*Module
	for p.peek().kind != tokEOF {
		m, err := p.module()
		if err != nil {
			return nil, fmt.Errorf("asn1spec: %w", err)
		}
		mods = append(mods, m)
	}
	return mods, nil
}

type parser struct {
	file string
	toks []token
	i    int
}

type syntaxError struct{ msg string }

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) fail(format string, args ...any) {
	panic(syntaxError{fmt.Sprintf("%s:%d: %s", p.file, p.peek().line, fmt.Sprintf(format, args...))})
}

func (p *parser) is(text string) bool {
	t := p.peek()
	return (t.kind == tokIdent || t.kind == tokPunct) && t.text == text
}

func (p *parser) accept(text string) bool {
	if p.is(text) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expect(text string) {
	if !p.accept(text) {
		p.fail("want %q, found %s", text, p.peek())
	}
}

func (p *parser) ident() string {
	t := p.next()
	if t.kind != tokIdent {
		p.i--
		p.fail("want an identifier, found %s", t)
	}
	return t.text
}

func (p *parser) number() int64 {
	t := p.next()
	if t.kind != tokNumber {
		p.i--
		p.fail("want a number, found %s", t)
	}
	v, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil {
		p.i--
		p.fail("number %s: %v", t.text, err)
	}
	return v
}

func (p *parser) module() (m *Module, err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(syntaxError)
			if !ok {
				panic(r)
			}
			m, err = nil, fmt.Errorf("%s", se.msg)
		}
	}()
	m = &Module{Name: p.ident(), File: p.file}
	if p.is("{") { // an object identifier
		for !p.accept("}") {
			if p.peek().kind == tokEOF {
				p.fail("unterminated module identifier")
			}
			p.next()
		}
	}
	p.expect("DEFINITIONS")
	for !p.is("::=") {
		switch t := p.next(); t.text {
		case "AUTOMATIC", "TAGS", "EXTENSIBILITY", "IMPLIED":
		default:
			p.i--
			p.fail("module %s: unsupported tagging %s (only AUTOMATIC TAGS)", m.Name, t)
		}
	}
	p.expect("::=")
	p.expect("BEGIN")
	for p.is("EXPORTS") || p.is("IMPORTS") {
		for !p.accept(";") {
			if p.peek().kind == tokEOF {
				p.fail("EXPORTS or IMPORTS without ';'")
			}
			p.next()
		}
	}
	for !p.accept("END") {
		t := p.peek()
		name := p.ident()
		if name[0] >= 'a' && name[0] <= 'z' {
			// A value assignment: "name Type ::= number".
			typ := p.ident()
			p.expect("::=")
			m.Values = append(m.Values, &Value{Name: name, Type: typ, Value: p.number(), Line: t.line})
			continue
		}
		if !p.accept("::=") {
			p.fail("after %s want '::='", name)
		}
		m.Types = append(m.Types, &Assignment{Name: name, Type: p.typ(), Module: m.Name, File: p.file, Line: t.line})
	}
	return m, nil
}

func (p *parser) typ() *Type {
	t := &Type{Line: p.peek().line}
	switch word := p.ident(); word {
	case "INTEGER":
		t.Kind = KindInteger
		if p.is("{") {
			p.namedList() // named numbers do not change the encoding
		}
		if p.is("(") {
			t.Value = p.valueConstraint()
		}
	case "ENUMERATED":
		t.Kind = KindEnumerated
		p.enumerated(t)
	case "BOOLEAN":
		t.Kind = KindBoolean
	case "NULL":
		t.Kind = KindNull
	case "ANY":
		t.Kind = KindAny
	case "BIT":
		p.expect("STRING")
		t.Kind = KindBitString
		if p.is("{") {
			t.NamedBits = p.namedList()
		}
		if p.is("(") {
			t.Size = p.sizeConstraint()
		}
	case "OCTET":
		p.expect("STRING")
		t.Kind = KindOctetString
		if p.is("(") {
			t.Size = p.sizeConstraint()
		}
	case "IA5String":
		t.Kind = KindIA5String
		if p.is("(") {
			t.Size = p.sizeConstraint()
		}
	case "SEQUENCE":
		switch {
		case p.is("{"):
			t.Kind = KindSequence
			p.components(t, true)
		default:
			t.Kind = KindSequenceOf
			switch {
			case p.is("("):
				t.Size = p.sizeConstraint()
			case p.is("SIZE"):
				p.next()
				t.Size = p.rangeIn()
			}
			p.expect("OF")
			if p.peek().kind == tokIdent && p.peekN(1).kind == tokIdent &&
				p.peek().text[0] >= 'a' && p.peek().text[0] <= 'z' {
				p.next() // a named element: "SEQUENCE OF item Type"
			}
			t.Elem = p.typ()
		}
	case "CHOICE":
		t.Kind = KindChoice
		p.components(t, false)
	default:
		if word[0] < 'A' || word[0] > 'Z' || isReserved(word) {
			p.i--
			p.fail("unsupported type %q", word)
		}
		t.Kind = KindRef
		t.Ref = word
		if p.is("{") {
			p.fail("%s: parameterized types are not supported", word)
		}
		if p.is("(") {
			p.fail("%s: constraints on a referenced type are not supported", word)
		}
	}
	return t
}

func isReserved(w string) bool {
	switch w {
	case "REAL", "OBJECT", "SET", "UTF8String", "VisibleString", "NumericString",
		"PrintableString", "BMPString", "GeneralizedTime", "UTCTime", "EXTERNAL", "EMBEDDED", "CLASS":
		return true
	}
	return false
}

// namedList reads "{ a(1), b(2) }" (values may be omitted for ENUMERATED
// only; the caller checks).
func (p *parser) namedList() []Named {
	p.expect("{")
	var out []Named
	for {
		n := Named{Name: p.ident(), Value: -1}
		if p.accept("(") {
			n.Value = p.number()
			p.expect(")")
		}
		out = append(out, n)
		if !p.accept(",") {
			break
		}
	}
	p.expect("}")
	for _, n := range out {
		if n.Value < 0 {
			p.fail("named number %s without a value", n.Name)
		}
	}
	return out
}

func (p *parser) enumerated(t *Type) {
	p.expect("{")
	next := int64(0)
	add := func(ext bool) {
		n := Named{Name: p.ident(), Value: -1}
		if p.accept("(") {
			n.Value = p.number()
			p.expect(")")
		}
		if ext {
			t.Additions = append(t.Additions, n)
		} else {
			t.Items = append(t.Items, n)
		}
	}
	for {
		if p.accept("...") {
			if t.Extensible {
				p.fail("two extension markers")
			}
			t.Extensible = true
		} else {
			add(t.Extensible)
		}
		if !p.accept(",") {
			break
		}
	}
	p.expect("}")
	// Items without a number take the smallest unused value (X.680 20.3).
	used := map[int64]bool{}
	for _, list := range [][]Named{t.Items, t.Additions} {
		for _, n := range list {
			if n.Value >= 0 {
				if used[n.Value] {
					p.fail("enumeration value %d used twice", n.Value)
				}
				used[n.Value] = true
			}
		}
	}
	for _, list := range [][]Named{t.Items, t.Additions} {
		for i := range list {
			if list[i].Value < 0 {
				for used[next] {
					next++
				}
				list[i].Value = next
				used[next] = true
			}
		}
	}
	if len(t.Items) == 0 {
		p.fail("ENUMERATED without root items")
	}
}

func (p *parser) components(t *Type, sequence bool) {
	p.expect("{")
	if p.accept("}") {
		return
	}
	for {
		switch {
		case p.accept("..."):
			if t.Extensible {
				p.fail("a second extension marker is not supported")
			}
			t.Extensible = true
		case p.is("[["):
			p.fail("extension addition groups [[ ]] are not supported")
		default:
			c := &Component{Name: p.ident()}
			if c.Name[0] < 'a' || c.Name[0] > 'z' {
				p.fail("component %s: identifiers start with a lower-case letter", c.Name)
			}
			c.Type = p.typ()
			if sequence {
				switch {
				case p.accept("OPTIONAL"):
					c.Optional = true
				case p.accept("DEFAULT"):
					t := p.next()
					if t.kind != tokNumber && t.kind != tokIdent {
						p.i--
						p.fail("DEFAULT %s: only numbers and identifiers are supported", t)
					}
					c.Default = t.text
				}
			}
			if t.Extensible {
				t.ExtComponents = append(t.ExtComponents, c)
			} else {
				t.Components = append(t.Components, c)
			}
		}
		if !p.accept(",") {
			break
		}
	}
	p.expect("}")
}

// valueConstraint reads "(lb..ub)", "(lb..ub, ...)", "(v)" or "(lb..MAX)".
func (p *parser) valueConstraint() Range {
	p.expect("(")
	r := p.rangeBody()
	p.expect(")")
	return r
}

// sizeConstraint reads "(SIZE(...))".
func (p *parser) sizeConstraint() Range {
	p.expect("(")
	p.expect("SIZE")
	r := p.rangeIn()
	p.expect(")")
	return r
}

// rangeIn reads "(range)".
func (p *parser) rangeIn() Range {
	p.expect("(")
	r := p.rangeBody()
	p.expect(")")
	return r
}

func (p *parser) rangeBody() Range {
	r := Range{Set: true}
	bound := func() (int64, bool) {
		if p.accept("MIN") || p.accept("MAX") {
			return 0, false
		}
		return p.number(), true
	}
	r.Lb, r.HasLb = bound()
	if p.accept("..") {
		r.Ub, r.HasUb = bound()
	} else {
		r.Ub, r.HasUb = r.Lb, r.HasLb
	}
	if p.accept(",") {
		p.expect("...")
		r.Ext = true
	}
	if p.is("|") || p.is("^") {
		p.fail("unions and intersections of constraints are not supported")
	}
	if r.HasLb && r.HasUb && r.Lb > r.Ub {
		p.fail("empty range %d..%d", r.Lb, r.Ub)
	}
	return r
}

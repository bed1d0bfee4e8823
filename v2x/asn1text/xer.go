package asn1text

import "strconv"

// XER writes X.693 basic XER, indented like asn1c's output: each value is
// an element named after its component (or, in a SEQUENCE OF, after the
// item type); an ENUMERATED value or BOOLEAN is an empty element inside
// it, and a SEQUENCE OF of them lists the empty elements alone; an OCTET
// STRING is upper-case hex pairs separated by spaces.
type XER struct {
	b     []byte
	stack []Container
	names []string
}

// Reset starts a new document, appending to b.
func (x *XER) Reset(b []byte) { x.b, x.stack, x.names = b, x.stack[:0], x.names[:0] }

// Bytes returns the output.
func (x *XER) Bytes() []byte { return x.b }

func (x *XER) indent() {
	if len(x.b) > 0 {
		x.b = append(x.b, '\n')
	}
	for range x.stack {
		x.b = append(x.b, "    "...)
	}
}

func (x *XER) open(name string) {
	x.indent()
	x.b = append(x.b, '<')
	x.b = append(x.b, name...)
	x.b = append(x.b, '>')
}

func (x *XER) close(name string) {
	x.b = append(x.b, "</"...)
	x.b = append(x.b, name...)
	x.b = append(x.b, '>')
}

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

func (x *XER) inList() bool { return len(x.stack) > 0 && x.stack[len(x.stack)-1] == List }

// Begin implements Writer.
func (x *XER) Begin(name string, c Container) {
	x.open(name)
	x.stack = append(x.stack, c)
	x.names = append(x.names, name)
}

// End implements Writer.
func (x *XER) End() {
	x.stack = x.stack[:len(x.stack)-1]
	name := x.names[len(x.names)-1]
	x.names = x.names[:len(x.names)-1]
	x.indent()
	x.close(name)
}

func (x *XER) empty(name, ident string) {
	if x.inList() {
		x.indent()
		x.b = append(x.b, '<')
		x.b = append(x.b, ident...)
		x.b = append(x.b, "/>"...)
		return
	}
	x.open(name)
	x.b = append(x.b, '<')
	x.b = append(x.b, ident...)
	x.b = append(x.b, "/>"...)
	x.close(name)
}

// Int implements Writer.
func (x *XER) Int(name string, v int64) {
	x.open(name)
	x.b = appendInt(x.b, v)
	x.close(name)
}

// Enum implements Writer.
func (x *XER) Enum(name, ident string) { x.empty(name, ident) }

// Bool implements Writer.
func (x *XER) Bool(name string, v bool) {
	if v {
		x.empty(name, "true")
	} else {
		x.empty(name, "false")
	}
}

// Null implements Writer.
func (x *XER) Null(name string) {
	x.indent()
	x.b = append(x.b, '<')
	x.b = append(x.b, name...)
	x.b = append(x.b, "/>"...)
}

// Bits implements Writer.
func (x *XER) Bits(name string, bits uint64, n int) {
	x.open(name)
	for i := n - 1; i >= 0; i-- {
		x.b = append(x.b, '0'+byte(bits>>i&1))
	}
	x.close(name)
}

// Octets implements Writer.
func (x *XER) Octets(name string, p []byte) {
	const hex = "0123456789ABCDEF"
	x.open(name)
	for i, c := range p {
		if i > 0 {
			x.b = append(x.b, ' ')
		}
		x.b = append(x.b, hex[c>>4], hex[c&15])
	}
	x.close(name)
}

// Chars implements Writer.
func (x *XER) Chars(name string, p []byte) {
	x.open(name)
	for _, c := range p {
		switch c {
		case '<':
			x.b = append(x.b, "&lt;"...)
		case '>':
			x.b = append(x.b, "&gt;"...)
		case '&':
			x.b = append(x.b, "&amp;"...)
		default:
			x.b = append(x.b, c)
		}
	}
	x.close(name)
}

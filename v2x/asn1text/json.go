package asn1text

import "strconv"

// JSON writes one compact JSON value: a SEQUENCE is an object keyed by
// component names, a SEQUENCE OF an array, a CHOICE an object with one
// key, an ENUMERATED value its identifier, a BIT STRING a string of 0 and
// 1, an OCTET STRING (or open type) lower-case hex, NULL null.
type JSON struct {
	b     []byte
	stack []Container
	first bool
}

// Reset starts a new value, appending to b.
func (j *JSON) Reset(b []byte) { j.b, j.stack, j.first = b, j.stack[:0], true }

// Bytes returns the output.
func (j *JSON) Bytes() []byte { return j.b }

func (j *JSON) key(name string) {
	if len(j.stack) == 0 {
		return
	}
	if !j.first {
		j.b = append(j.b, ',')
	}
	j.first = false
	if j.stack[len(j.stack)-1] != List {
		j.b = strconv.AppendQuote(j.b, name)
		j.b = append(j.b, ':')
	}
}

// Begin implements Writer.
func (j *JSON) Begin(name string, c Container) {
	j.key(name)
	if c == List {
		j.b = append(j.b, '[')
	} else {
		j.b = append(j.b, '{')
	}
	j.stack = append(j.stack, c)
	j.first = true
}

// End implements Writer.
func (j *JSON) End() {
	c := j.stack[len(j.stack)-1]
	j.stack = j.stack[:len(j.stack)-1]
	if c == List {
		j.b = append(j.b, ']')
	} else {
		j.b = append(j.b, '}')
	}
	j.first = false
}

// Int implements Writer.
func (j *JSON) Int(name string, v int64) { j.key(name); j.b = strconv.AppendInt(j.b, v, 10) }

// Enum implements Writer.
func (j *JSON) Enum(name, ident string) { j.key(name); j.b = strconv.AppendQuote(j.b, ident) }

// Bool implements Writer.
func (j *JSON) Bool(name string, v bool) { j.key(name); j.b = strconv.AppendBool(j.b, v) }

// Null implements Writer.
func (j *JSON) Null(name string) { j.key(name); j.b = append(j.b, "null"...) }

// Bits implements Writer.
func (j *JSON) Bits(name string, bits uint64, n int) {
	j.key(name)
	j.b = append(j.b, '"')
	for i := n - 1; i >= 0; i-- {
		j.b = append(j.b, '0'+byte(bits>>i&1))
	}
	j.b = append(j.b, '"')
}

// Octets implements Writer.
func (j *JSON) Octets(name string, p []byte) {
	const hex = "0123456789abcdef"
	j.key(name)
	j.b = append(j.b, '"')
	for _, c := range p {
		j.b = append(j.b, hex[c>>4], hex[c&15])
	}
	j.b = append(j.b, '"')
}

// Chars implements Writer.
func (j *JSON) Chars(name string, p []byte) {
	j.key(name)
	j.b = append(j.b, '"')
	for _, c := range p {
		switch {
		case c == '"' || c == '\\':
			j.b = append(j.b, '\\', c)
		case c < 0x20 || c >= 0x7f:
			j.b = append(j.b, `\u00`...)
			j.b = append(j.b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			j.b = append(j.b, c)
		}
	}
	j.b = append(j.b, '"')
}

package uper

import "errors"

// ErrOverrun is the cause when a value decoded inside an open type reads
// past the open type's length.
var ErrOverrun = errors.New("value runs past the end of its open type")

// BeginOpen reads an open type's length determinant for a caller that
// decodes the content in place; it returns the bit position where the
// content ends, to pass to EndOpen.
func (d *Decoder) BeginOpen(field string) (end int) {
	n := d.openLength(field)
	if d.err != nil {
		return d.pos
	}
	if d.pos+8*n > len(d.b)*8 {
		d.fail(field, ErrTruncated)
		return d.pos
	}
	return d.pos + 8*n
}

// EndOpen moves past an open type whose content the caller decoded after
// BeginOpen (skipping the padding and anything not decoded), and fails if
// the content ran past its end.
func (d *Decoder) EndOpen(field string, end int) {
	if d.err != nil {
		return
	}
	if d.pos > end {
		d.fail(field, ErrOverrun)
		return
	}
	d.pos = end
}

// PutOpen appends the encoding held by sub as an open type: its length in
// octets, then the octets (an empty encoding becomes one zero octet, X.691
// 11.2). An error in sub becomes e's error.
func (e *Encoder) PutOpen(field string, sub *Encoder) {
	b, err := sub.Bytes()
	if err != nil {
		if e.err == nil {
			e.err = err
		}
		return
	}
	if len(b) == 0 {
		b = []byte{0}
	}
	e.OpenType(field, b)
}

package uper

import "strconv"

// Failed reports whether decoding has failed.
func (d *Decoder) Failed() bool { return d.err != nil }

// In records, after a failure, that it happened inside the component
// name: generated decoders call it on the way out so that the error's
// Path reads from the outermost component in.
func (d *Decoder) In(name string) {
	if d.err != nil {
		switch {
		case d.err.Path == "":
			d.err.Path = name
		case d.err.Path[0] == '[':
			d.err.Path = name + d.err.Path
		default:
			d.err.Path = name + "." + d.err.Path
		}
	}
}

// InItem records, after a failure, that it happened in item i of a list.
func (d *Decoder) InItem(i int) {
	if d.err != nil {
		if d.err.Path == "" {
			d.err.Path = "[" + strconv.Itoa(i) + "]"
		} else {
			d.err.Path = "[" + strconv.Itoa(i) + "]." + d.err.Path
		}
	}
}

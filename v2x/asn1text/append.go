package asn1text

// Value is a decoded value that writes itself to a Writer under name.
type Value interface {
	WriteText(w Writer, name string)
}

// AppendJSON appends v as one JSON object {name: …} keyed by ASN.1 names.
func AppendJSON(b []byte, name string, v Value) []byte {
	var j JSON
	j.Reset(b)
	v.WriteText(&j, name)
	return j.Bytes()
}

// AppendXER appends v as XER, as asn1c prints it, and a line end.
func AppendXER(b []byte, name string, v Value) []byte {
	var x XER
	x.Reset(b)
	v.WriteText(&x, name)
	return append(x.Bytes(), '\n')
}

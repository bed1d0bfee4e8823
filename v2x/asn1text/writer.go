// Package asn1text writes decoded ASN.1 values as text: JSON whose keys
// are the ASN.1 component names, and XER (X.693 basic XML) as asn1c
// prints it. Generated codecs call a Writer with one event per value, so
// one walk serves every text form.
package asn1text

// Container is the kind of a constructed value.
type Container uint8

// Constructed values.
const (
	Sequence Container = iota // components by name
	List                      // SEQUENCE OF: items named by their type
	Choice                    // exactly one alternative
)

// Writer receives a value as a sequence of events. name is the component
// or alternative name; for an item of a List it is the item type's name
// (the XER element of each item).
type Writer interface {
	Begin(name string, c Container)
	End()
	Int(name string, v int64)
	Enum(name, ident string)
	Bool(name string, v bool)
	Null(name string)
	Bits(name string, bits uint64, n int)
	Octets(name string, p []byte)
	Chars(name string, p []byte)
}

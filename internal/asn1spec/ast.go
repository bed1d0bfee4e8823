package asn1spec

// Kind is the built-in type a Type is, or KindRef for a reference to an
// assigned type.
type Kind int

// Kinds of types.
const (
	KindRef Kind = iota
	KindInteger
	KindEnumerated
	KindBoolean
	KindNull
	KindBitString
	KindOctetString
	KindIA5String
	KindSequence
	KindSequenceOf
	KindChoice
	KindAny // an open type: octets whose content is not decoded
)

var kindNames = [...]string{"reference", "INTEGER", "ENUMERATED", "BOOLEAN", "NULL",
	"BIT STRING", "OCTET STRING", "IA5String", "SEQUENCE", "SEQUENCE OF", "CHOICE", "ANY"}

func (k Kind) String() string { return kindNames[k] }

// Range is a constraint lb..ub on a value or a size. A missing bound is
// open (MIN or MAX); Ext marks an extensible constraint ("..., ...").
type Range struct {
	Set    bool
	Lb, Ub int64
	HasLb  bool
	HasUb  bool
	Ext    bool
}

// Named is a named number: an ENUMERATED item or a named bit.
type Named struct {
	Name  string
	Value int64
}

// Type is one ASN.1 type.
type Type struct {
	Kind Kind
	Ref  string // KindRef: the referenced type's name
	Line int

	Value Range // INTEGER value constraint
	Size  Range // size constraint of strings and SEQUENCE OF

	// ENUMERATED: root items, whether extensible, extension additions.
	Items      []Named
	Extensible bool
	Additions  []Named

	NamedBits []Named // BIT STRING

	// SEQUENCE and CHOICE: root components, whether extensible (also in
	// Extensible), and extension additions.
	Components    []*Component
	ExtComponents []*Component

	Elem *Type // SEQUENCE OF
}

// Component is a SEQUENCE component or a CHOICE alternative.
type Component struct {
	Name     string
	Type     *Type
	Optional bool
	Default  string // DEFAULT value as written (a number or an identifier), or ""
}

// Assignment is "Name ::= Type".
type Assignment struct {
	Name   string
	Type   *Type
	Module string
	File   string
	Line   int
}

// Module is one parsed ASN.1 module.
type Module struct {
	Name   string
	File   string
	Types  []*Assignment
	Values []*Value
}

// Value is an integer value assignment, "name Type ::= number".
type Value struct {
	Name  string
	Type  string
	Value int64
	Line  int
}

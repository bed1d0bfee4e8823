package wire

// Reading docs/protocol.md for the spec tests (spec_test.go): its sections,
// tables and cells, and the checks of a layout table against an encoding.

import (
	"encoding/binary"
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const specPath = "../../docs/protocol.md"

// specDoc is docs/protocol.md cut into sections at its headings.
type specDoc struct {
	sections []specSection
}

type specSection struct {
	heading string // without the leading #s, e.g. "5.1 BSM (0x01), 76 bytes"
	text    string // everything up to the next heading, tables' heads and rows included
	tables  []*specTable
}

// specTable is a Markdown table: its head and its rows, cells trimmed.
type specTable struct {
	section string
	line    int // line of the head in the document, for messages
	head    []string
	rows    [][]string
	lines   []int
}

func readSpec(t *testing.T) *specDoc {
	t.Helper()
	b, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	return parseSpec(string(b))
}

var tableRule = regexp.MustCompile(`^\|[\s:|-]+\|\s*$`)

func parseSpec(src string) *specDoc {
	d := &specDoc{sections: []specSection{{heading: ""}}}
	lines := strings.Split(src, "\n")
	inCode := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		cur := &d.sections[len(d.sections)-1]
		if strings.HasPrefix(l, "```") {
			inCode = !inCode
		}
		switch {
		case inCode:
		case strings.HasPrefix(l, "#"):
			d.sections = append(d.sections, specSection{heading: strings.TrimSpace(strings.TrimLeft(l, "#"))})
			continue
		case strings.HasPrefix(l, "|") && i+1 < len(lines) && tableRule.MatchString(lines[i+1]):
			tb := &specTable{section: cur.heading, line: i + 1, head: cells(l)}
			cur.text += l + "\n"
			for i += 2; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
				cur.text += lines[i] + "\n"
				tb.rows = append(tb.rows, cells(lines[i]))
				tb.lines = append(tb.lines, i+1)
			}
			cur.tables = append(cur.tables, tb)
			i--
			continue
		}
		cur.text += l + "\n"
	}
	return d
}

// cells splits a table row at its unescaped bars.
func cells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(strings.TrimSuffix(row, "|"), "|")
	var out []string
	var cur strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			cur.WriteByte('|')
			i++
		case row[i] == '|':
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(row[i])
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}

// section returns the section whose heading starts with prefix.
func (d *specDoc) section(t *testing.T, prefix string) *specSection {
	t.Helper()
	for i := range d.sections {
		if strings.HasPrefix(d.sections[i].heading, prefix) {
			return &d.sections[i]
		}
	}
	t.Fatalf("%s has no section %q", specPath, prefix)
	return nil
}

// table returns the table of section prefix whose head starts with the
// given column names.
func (d *specDoc) table(t *testing.T, prefix string, head ...string) *specTable {
	t.Helper()
	s := d.section(t, prefix)
	for _, tb := range s.tables {
		if len(tb.head) >= len(head) && reflect.DeepEqual(tb.head[:len(head)], head) {
			return tb
		}
	}
	t.Fatalf("%s §%s has no table with columns %q", specPath, prefix, head)
	return nil
}

// tables returns every table of section prefix whose head starts with
// the given column names, in document order.
func (d *specDoc) tables(t *testing.T, prefix string, head ...string) []*specTable {
	t.Helper()
	var out []*specTable
	for _, tb := range d.section(t, prefix).tables {
		if len(tb.head) >= len(head) && reflect.DeepEqual(tb.head[:len(head)], head) {
			out = append(out, tb)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s §%s has no table with columns %q", specPath, prefix, head)
	}
	return out
}

func (tb *specTable) col(t *testing.T, name string) int {
	t.Helper()
	for i, h := range tb.head {
		if h == name {
			return i
		}
	}
	t.Fatalf("%s:%d: table has no column %q", specPath, tb.line, name)
	return -1
}

// where names a row in messages.
func (tb *specTable) where(i int) string {
	return specPath + ":" + strconv.Itoa(tb.lines[i]) + " (§" + tb.section + ")"
}

// unquote strips Markdown code and emphasis marks from a cell.
func unquote(c string) string { return strings.Trim(c, "`* ") }

// specInt parses a number cell: decimal, 0x hex, with spaces or backticks.
func specInt(c string) (int64, bool) {
	c = strings.ReplaceAll(unquote(c), " ", "")
	v, err := strconv.ParseInt(c, 0, 64)
	return v, err == nil
}

// specFloat parses a number cell such as 1e-7.
func specFloat(c string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.ReplaceAll(unquote(c), " ", ""), 64)
	return v, err == nil
}

// scalarSizes are the sizes of the scalar types the layout tables use.
var scalarSizes = map[string]int{"u8": 1, "u16": 2, "u32": 4, "u64": 8, "i32": 4, "i64": 8, "f32": 4, "f64": 8}

// readScalar reads a value of the given type at b[off:], as uint64 (u*),
// int64 (i*) or float64 (f*).
func readScalar(b []byte, typ string, off int) any {
	be := binary.BigEndian
	switch typ {
	case "u8":
		return uint64(b[off])
	case "u16":
		return uint64(be.Uint16(b[off:]))
	case "u32":
		return uint64(be.Uint32(b[off:]))
	case "u64":
		return be.Uint64(b[off:])
	case "i32":
		return int64(int32(be.Uint32(b[off:])))
	case "i64":
		return int64(be.Uint64(b[off:]))
	case "f32":
		return float64(math.Float32frombits(be.Uint32(b[off:])))
	case "f64":
		return math.Float64frombits(be.Uint64(b[off:]))
	}
	return nil
}

// checkLayout checks a layout table (offset, size, type, field) against
// b, the encoding of a value whose fields want gives by the names the
// table uses: each scalar row is read at its offset as its type, and must
// equal want[field]; reserved rows must be zero; offsets must follow each
// other without gaps up to the first row of variable size. Every name of
// want must be in the table, so that neither side can lose a field. It
// returns the offset after the fixed rows.
func checkLayout(t *testing.T, tb *specTable, b []byte, want map[string]any) int {
	t.Helper()
	co, cs, ct, cf := tb.col(t, "offset"), tb.col(t, "size"), tb.col(t, "type"), tb.col(t, "field")
	seen := map[string]bool{}
	next := -1
	for i, r := range tb.rows {
		off, ok := specInt(r[co])
		if !ok {
			break // "…": variable part
		}
		if next >= 0 && int(off) != next {
			t.Errorf("%s: offset %d, but the row before ends at %d", tb.where(i), off, next)
		}
		size, ok := specInt(r[cs])
		if !ok {
			return int(off) // a variable-size part (records, text)
		}
		next = int(off + size)
		field, typ := unquote(r[cf]), unquote(r[ct])
		if int(off+size) > len(b) {
			t.Errorf("%s: %s at %d+%d beyond the %d-byte encoding", tb.where(i), field, off, size, len(b))
			continue
		}
		if field == "rsv" {
			for _, x := range b[off : off+size] {
				if x != 0 {
					t.Errorf("%s: reserved bytes at %d are % x, not zero", tb.where(i), off, b[off:off+size])
					break
				}
			}
			continue
		}
		n, scalar := scalarSizes[typ]
		if !scalar {
			continue // a record set such as 4 × u64, checked by its own test
		}
		if n != int(size) {
			t.Errorf("%s: %s is %s but %d bytes", tb.where(i), field, typ, size)
			continue
		}
		w, ok := want[field]
		if !ok {
			t.Errorf("%s: field %s is not known to the spec test (a field the code does not have?)", tb.where(i), field)
			continue
		}
		seen[field] = true
		if got := readScalar(b, typ, int(off)); got != w {
			t.Errorf("%s: %s at offset %d as %s reads %v (%T), the encoder wrote %v (%T)", tb.where(i), field, off, typ, got, got, w, w)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("%s:%d (§%s): the code's field %s is not in the table", specPath, tb.line, tb.section, name)
		}
	}
	return next
}

// fieldValues fills the scalar fields of the struct *p with distinct
// values and returns them by field name, as readScalar returns them.
func fieldValues(p any) map[string]any {
	v := reflect.ValueOf(p).Elem()
	out := map[string]any{}
	for i := 0; i < v.NumField(); i++ {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch f.Kind() {
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(uint64(i + 1))
			out[name] = f.Uint()
		case reflect.Int32, reflect.Int64:
			f.SetInt(-int64(i+1) * 1000)
			out[name] = f.Int()
		case reflect.Float32:
			f.SetFloat(float64(i) + 0.25)
			out[name] = f.Float()
		case reflect.Float64:
			f.SetFloat(float64(i) + 0.125)
			out[name] = f.Float()
		}
	}
	return out
}

var pythonFormat = regexp.MustCompile("`(>[0-9A-Za-z]+)`")

// pythonFormats returns the struct formats (">IHxx") of a section's text,
// in order.
func pythonFormats(s *specSection) []string {
	var out []string
	for _, m := range pythonFormat.FindAllStringSubmatch(s.text, -1) {
		out = append(out, m[1])
	}
	return out
}

// calcsize is Python's struct.calcsize for big-endian formats.
func calcsize(t *testing.T, format string) int {
	t.Helper()
	sizes := map[byte]int{'x': 1, 'b': 1, 'B': 1, 'h': 2, 'H': 2, 'i': 4, 'I': 4, 'q': 8, 'Q': 8, 'f': 4, 'd': 8}
	n, count := 0, 0
	for i := 1; i < len(format); i++ {
		c := format[i]
		if c >= '0' && c <= '9' {
			count = count*10 + int(c-'0')
			continue
		}
		s, ok := sizes[c]
		if !ok {
			t.Fatalf("struct format %q: unknown code %q", format, c)
		}
		n += s * max(count, 1)
		count = 0
	}
	return n
}

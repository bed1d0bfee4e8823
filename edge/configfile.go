package edge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/xdpguard"
)

// LoadConfigFile reads a JSON configuration file over c: fields present in
// the file replace c's (in nested objects such as "track", field by
// field). Durations are Go duration strings ("250ms"). Every problem is
// reported, each as FILE:LINE:COLUMN: the field, the value as written and
// what is wanted, for example
//
//	node.json:3:17: "stale_after": 5 is not a duration (want a string such as "250ms")
//
// Unknown fields are errors.
func LoadConfigFile(path string, c *Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return loadConfig(path, b, c)
}

// loadConfig is LoadConfigFile on the file's contents; name is the file
// name for messages.
func loadConfig(name string, b []byte, c *Config) error {
	d := configDecoder{name: name, src: b}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		var se *json.SyntaxError
		off := len(b)
		if errors.As(err, &se) {
			off = int(se.Offset)
			if se.Offset > 0 && off <= len(b) && !strings.Contains(se.Error(), "end of JSON input") {
				off-- // the offset is just past the offending byte
			}
		}
		return d.errAt(off, fmt.Errorf("not valid JSON: %w", err))
	}
	if _, ok := v.(map[string]any); !ok {
		return d.errAt(skipSpace(b, 0), errors.New("the configuration must be a JSON object ({...})"))
	}
	seen := d.object(b, 0, reflect.ValueOf(c).Elem(), "")
	lat, hasLat := seen["ref_lat"]
	lon, hasLon := seen["ref_lon"]
	switch {
	case hasLat && !hasLon:
		d.add(lat, errors.New(`"ref_lat" is given without "ref_lon" (give both, or neither)`))
	case hasLon && !hasLat:
		d.add(lon, errors.New(`"ref_lon" is given without "ref_lat" (give both, or neither)`))
	}
	slices.SortStableFunc(d.errs, func(a, b posError) int { return a.off - b.off })
	errs := make([]error, len(d.errs))
	for i, e := range d.errs {
		errs[i] = d.errAt(e.off, e.err)
	}
	return errors.Join(errs...)
}

// configDecoder decodes a configuration field by field, so that each
// error can name its field and position.
type configDecoder struct {
	name string
	src  []byte
	errs []posError
}

type posError struct {
	off int
	err error
}

func (d *configDecoder) add(off int, err error) { d.errs = append(d.errs, posError{off, err}) }

// errAt formats err with the line and column of byte offset off.
func (d *configDecoder) errAt(off int, err error) error {
	off = min(max(off, 0), len(d.src))
	line := 1 + bytes.Count(d.src[:off], []byte("\n"))
	col := 1 + off - (bytes.LastIndexByte(d.src[:off], '\n') + 1)
	return fmt.Errorf("%s:%d:%d: %w", d.name, line, col, err)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && strings.IndexByte(" \t\r\n", b[i]) >= 0 {
		i++
	}
	return i
}

var (
	durationType   = reflect.TypeFor[time.Duration]()
	prefixListType = reflect.TypeFor[[]netip.Prefix]()
)

// object decodes the JSON object raw, which starts at byte base of the
// file, into the struct v, field by field; parent names v in messages
// ("" at the top). It returns the offsets of the values by key.
func (d *configDecoder) object(raw []byte, base int, v reflect.Value, parent string) map[string]int {
	seen := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{', checked by the caller
		return seen
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return seen
		}
		key := tok.(string)
		keyOff := base + int(dec.InputOffset())
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return seen
		}
		off := base + int(dec.InputOffset()) - len(val)
		f, ok := fieldByJSONName(v, key)
		if !ok {
			d.add(keyOff-len(key)-2, fmt.Errorf("%sunknown field %q (%s)", parent, key, suggest(key, jsonNames(v.Type()))))
			continue
		}
		seen[key] = off
		d.value(val, off, f, parent, key)
	}
	return seen
}

// value decodes one field's value raw (at byte off of the file) into f.
func (d *configDecoder) value(raw []byte, off int, f reflect.Value, parent, key string) {
	field := fmt.Sprintf("%s%q: %s", parent, key, shorten(raw))
	fail := func(format string, args ...any) {
		d.add(off, fmt.Errorf("%s %w", field, fmt.Errorf(format, args...)))
	}
	isNull := string(raw) == "null"
	switch {
	case f.Type() == durationType:
		if isNull {
			return
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			fail(`is not a duration (want a string such as "250ms")`)
			return
		}
		dur, err := time.ParseDuration(s)
		if err != nil {
			fail(`is not a duration (want a string such as "250ms"): %w`, err)
			return
		}
		f.SetInt(int64(dur))
	case f.Type() == prefixListType:
		d.prefixes(raw, off, f, key)
	case f.Kind() == reflect.Struct:
		if isNull {
			return
		}
		if raw[0] != '{' {
			fail("is not an object (want {...} with the fields of %s)", key)
			return
		}
		d.object(raw, off, f, fmt.Sprintf("%s%s: ", parent, key))
	default:
		p := reflect.New(f.Type())
		p.Elem().Set(f)
		if err := json.Unmarshal(raw, p.Interface()); err != nil {
			fail("%s", wantOf(f.Type(), err))
			return
		}
		f.Set(p.Elem())
	}
}

// prefixes decodes a list of CIDR prefixes or bare addresses.
func (d *configDecoder) prefixes(raw []byte, off int, f reflect.Value, key string) {
	if string(raw) == "null" {
		f.Set(reflect.Zero(f.Type()))
		return
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		d.add(off, fmt.Errorf("%q: %s %w", key, shorten(raw), errors.New(`is not a list (want ["192.0.2.0/24", "2001:db8::1"])`)))
		return
	}
	ps := make([]netip.Prefix, 0, len(items))
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.Token() // '['
	for i := 0; dec.More(); i++ {
		var item json.RawMessage
		if dec.Decode(&item) != nil {
			return
		}
		at := off + int(dec.InputOffset()) - len(item)
		var s string
		if json.Unmarshal(item, &s) != nil {
			d.add(at, fmt.Errorf("%s[%d] %s: %w", key, i, shorten(item), errors.New(`not a string (want a prefix or address such as "192.0.2.0/24")`)))
			continue
		}
		p, err := xdpguard.ParsePrefix(s)
		if err != nil {
			d.add(at, fmt.Errorf("%s[%d] %q: %w", key, i, s, err))
			continue
		}
		ps = append(ps, p)
	}
	f.Set(reflect.ValueOf(ps))
}

// wantOf says what a field of type t wants, for a value that failed to
// decode with err.
func wantOf(t reflect.Type, err error) string {
	var te *json.UnmarshalTypeError
	number := errors.As(err, &te) && strings.HasPrefix(te.Value, "number")
	switch t.Kind() {
	case reflect.String:
		return "is not a string (want a JSON string in quotes)"
	case reflect.Bool:
		return "is not a boolean (want true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if number {
			return fmt.Sprintf("is not a whole number that fits in %d bits (want one such as 100)", t.Bits())
		}
		return "is not a number (want a whole number such as 100)"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if number {
			return fmt.Sprintf("is not a whole number from 0 that fits in %d bits (want one such as 100)", t.Bits())
		}
		return "is not a number (want a whole number such as 100)"
	case reflect.Float32, reflect.Float64:
		return "is not a number (want a number such as 22.5431)"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return `is not a list of strings (want ["a", "b"])`
		}
	}
	return "has the wrong type: " + err.Error()
}

// shorten returns a JSON value as written, cut when long.
func shorten(raw []byte) string {
	s := string(raw)
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

// jsonName is the name encoding/json uses for a struct field, or "".
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return f.Name
	}
	return name
}

// fieldByJSONName finds the field of struct v that key names, as
// encoding/json does: exactly, else ignoring case.
func fieldByJSONName(v reflect.Value, key string) (reflect.Value, bool) {
	t := v.Type()
	fold := -1
	for i := 0; i < t.NumField(); i++ {
		switch n := jsonName(t.Field(i)); {
		case n == key:
			return v.Field(i), true
		case fold < 0 && strings.EqualFold(n, key):
			fold = i
		}
	}
	if fold >= 0 {
		return v.Field(fold), true
	}
	return reflect.Value{}, false
}

// jsonNames lists the JSON names of a struct's fields.
func jsonNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if n := jsonName(t.Field(i)); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// suggest names the known field closest to an unknown key, or lists them.
func suggest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "known: " + strings.Join(known, ", ")
}

// editDistance is the Levenshtein distance of two strings' bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

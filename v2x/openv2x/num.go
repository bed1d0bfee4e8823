package openv2x

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// num is a JSON number, also when written as a string ("319348466"), as
// OpenV2X's MAP JSON has them. Set reports whether the field was present
// and not null.
type num struct {
	V   float64
	Set bool
}

func (n *num) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = num{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Errorf("%q is not a number", b)
	}
	*n = num{V: v, Set: true}
	return nil
}

// checker collects the first error of a decode, naming the field.
type checker struct{ err error }

func (c *checker) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

// int returns n as an integer in [lo, hi], failing (and returning lo)
// when it is absent, fractional or out of range.
func (c *checker) int(n num, lo, hi int64, what string) int64 {
	switch {
	case !n.Set:
		c.fail("%s is missing", what)
	case n.V != math.Trunc(n.V) || n.V < float64(lo) || n.V > float64(hi):
		c.fail("%s %v is not an integer in %d..%d", what, n.V, lo, hi)
	default:
		return int64(n.V)
	}
	return lo
}

// float returns n, failing when it is absent or outside [lo, hi].
func (c *checker) float(n num, lo, hi float64, what string) float64 {
	switch {
	case !n.Set:
		c.fail("%s is missing", what)
	case n.V < lo || n.V > hi:
		c.fail("%s %v is outside %v..%v", what, n.V, lo, hi)
	default:
		return n.V
	}
	return lo
}

// list is a JSON list, written either as an array or, as OpenV2X's MAP
// JSON (after XER) writes them, as an object with one key naming the
// element type whose value is the array (or a single element).
type list[T any] []T

func (l *list[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '[':
		return json.Unmarshal(b, (*[]T)(l))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if len(m) != 1 {
		return fmt.Errorf("a list object must have exactly one key (the element type), not %d", len(m))
	}
	for _, v := range m {
		v = bytes.TrimSpace(v)
		if len(v) > 0 && v[0] == '[' {
			return json.Unmarshal(v, (*[]T)(l))
		}
		var one T
		if err := json.Unmarshal(v, &one); err != nil {
			return err
		}
		*l = list[T]{one}
	}
	return nil
}

// choice is an XER-style CHOICE or ENUMERATED in JSON: an object with one
// key, the alternative's name ({"vehicleMaxSpeed": null}), or the name as
// a string. Name is "" when absent.
type choice struct {
	Name  string
	Value json.RawMessage
}

func (c *choice) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = choice{}
		return nil
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &c.Name)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if len(m) != 1 {
		return fmt.Errorf("a choice must have exactly one key, not %d", len(m))
	}
	for k, v := range m {
		c.Name, c.Value = k, v
	}
	return nil
}

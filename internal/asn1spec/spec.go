package asn1spec

import (
	"errors"
	"fmt"
	"sort"
)

// Spec is a set of modules whose type names share one name space, as in
// a message set whose modules import each other.
type Spec struct {
	Types  map[string]*Assignment
	Order  []*Assignment // in file order
	Values []*Value
}

// NewSpec joins modules and checks that every reference resolves, that no
// name is assigned twice and that no type contains itself by value.
func NewSpec(mods []*Module) (*Spec, error) {
	s := &Spec{Types: map[string]*Assignment{}}
	var errs []error
	for _, m := range mods {
		for _, a := range m.Types {
			if prev, ok := s.Types[a.Name]; ok {
				errs = append(errs, fmt.Errorf("%s:%d: %s already assigned at %s:%d", a.File, a.Line, a.Name, prev.File, prev.Line))
				continue
			}
			s.Types[a.Name] = a
			s.Order = append(s.Order, a)
		}
		s.Values = append(s.Values, m.Values...)
	}
	for _, v := range s.Values {
		if s.Types[v.Type] == nil {
			errs = append(errs, fmt.Errorf("value %s: undefined type %s", v.Name, v.Type))
		}
	}
	for _, a := range s.Order {
		walk(a.Type, func(t *Type) {
			if t.Kind == KindRef && s.Types[t.Ref] == nil {
				errs = append(errs, fmt.Errorf("%s:%d: %s: undefined type %s", a.File, t.Line, a.Name, t.Ref))
			}
		})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, a := range s.Order {
		if err := s.checkCycle(a.Name, a.Type, map[string]bool{a.Name: true}); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", a.File, a.Line, err)
		}
	}
	return s, nil
}

// checkCycle rejects a type that contains itself other than through a
// SEQUENCE OF (which the generated code holds as a slice).
func (s *Spec) checkCycle(root string, t *Type, seen map[string]bool) error {
	switch t.Kind {
	case KindRef:
		if t.Ref == root {
			return fmt.Errorf("%s contains itself; recursive types are not supported", root)
		}
		if seen[t.Ref] {
			return nil
		}
		seen[t.Ref] = true
		return s.checkCycle(root, s.Types[t.Ref].Type, seen)
	case KindSequence, KindChoice:
		for _, c := range append(t.Components[:len(t.Components):len(t.Components)], t.ExtComponents...) {
			if err := s.checkCycle(root, c.Type, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// Resolve follows references to the built-in type underneath.
func (s *Spec) Resolve(t *Type) *Type {
	for t.Kind == KindRef {
		t = s.Types[t.Ref].Type
	}
	return t
}

// Reachable returns the names of the assigned types reachable from roots,
// sorted.
func (s *Spec) Reachable(roots ...string) ([]string, error) {
	seen := map[string]bool{}
	var visit func(name string) error
	visit = func(name string) error {
		a := s.Types[name]
		if a == nil {
			return fmt.Errorf("asn1spec: no type %s", name)
		}
		if seen[name] {
			return nil
		}
		seen[name] = true
		var err error
		walk(a.Type, func(t *Type) {
			if t.Kind == KindRef && err == nil {
				err = visit(t.Ref)
			}
		})
		return err
	}
	for _, r := range roots {
		if err := visit(r); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func walk(t *Type, f func(*Type)) {
	f(t)
	for _, c := range t.Components {
		walk(c.Type, f)
	}
	for _, c := range t.ExtComponents {
		walk(c.Type, f)
	}
	if t.Elem != nil {
		walk(t.Elem, f)
	}
}

package auth

import (
	"fmt"
	"strings"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Role is what an identity may do on a node.
type Role uint8

// Roles.
const (
	RoleProducer   Role = 1 << iota // opens producer streams
	RoleSubscriber                  // subscribes to the fused state
	RoleOperator                    // uses the control endpoints (/xdp/*)
)

var roleNames = []struct {
	r    Role
	name string
}{{RoleProducer, "producer"}, {RoleSubscriber, "subscriber"}, {RoleOperator, "operator"}}

// Roles is a set of roles.
type Roles uint8

// Has reports whether r is in the set.
func (s Roles) Has(r Role) bool { return s&Roles(r) != 0 }

// String lists the roles, comma-separated, in a fixed order.
func (s Roles) String() string {
	var b []string
	for _, n := range roleNames {
		if s.Has(n.r) {
			b = append(b, n.name)
		}
	}
	return strings.Join(b, ",")
}

func (r Role) String() string { return Roles(r).String() }

// ParseRoles reads a comma-separated list of role names; "" is no role.
func ParseRoles(s string) (Roles, error) {
	var set Roles
	for _, f := range splitList(s) {
		ok := false
		for _, n := range roleNames {
			if f == n.name {
				set |= Roles(n.r)
				ok = true
			}
		}
		if !ok {
			return 0, fmt.Errorf("unknown role %q (want producer, subscriber or operator)", f)
		}
	}
	return set, nil
}

// Kind is a kind of source whose messages a producer may send.
type Kind uint8

// Source kinds.
const (
	KindVehicle Kind = 1 << iota // BSM
	KindRSU                      // RSI, RSM
	KindCamera                   // ObjectList
	KindSignal                   // SPAT
	KindMap                      // MAP
)

var kindNames = []struct {
	k    Kind
	name string
}{{KindVehicle, "vehicle"}, {KindRSU, "rsu"}, {KindCamera, "camera"}, {KindSignal, "signal"}, {KindMap, "map"}}

// Kinds is a set of source kinds.
type Kinds uint8

// AllKinds holds every source kind.
const AllKinds = Kinds(KindVehicle | KindRSU | KindCamera | KindSignal | KindMap)

// Has reports whether k is in the set.
func (s Kinds) Has(k Kind) bool { return s&Kinds(k) != 0 }

// String lists the kinds, comma-separated, in a fixed order.
func (s Kinds) String() string {
	var b []string
	for _, n := range kindNames {
		if s.Has(n.k) {
			b = append(b, n.name)
		}
	}
	return strings.Join(b, ",")
}

func (k Kind) String() string { return Kinds(k).String() }

// ParseKinds reads a comma-separated list of kind names; "" is none.
func ParseKinds(s string) (Kinds, error) {
	var set Kinds
	for _, f := range splitList(s) {
		ok := false
		for _, n := range kindNames {
			if f == n.name {
				set |= Kinds(n.k)
				ok = true
			}
		}
		if !ok {
			return 0, fmt.Errorf("unknown source kind %q (want vehicle, rsu, camera, signal or map)", f)
		}
	}
	return set, nil
}

// KindOf is the source kind a data frame of type t belongs to, and false
// for frames that are not data.
func KindOf(t wire.Type) (Kind, bool) {
	switch t {
	case wire.TypeBSM:
		return KindVehicle, true
	case wire.TypeObjectList, wire.TypeSensorInfo:
		return KindCamera, true
	case wire.TypeRSM, wire.TypeRSI:
		return KindRSU, true
	case wire.TypeSPAT:
		return KindSignal, true
	case wire.TypeMAP:
		return KindMap, true
	}
	return 0, false
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

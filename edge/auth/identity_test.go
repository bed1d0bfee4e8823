package auth

import (
	"crypto/x509"
	"net/url"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func TestURIRoundTrip(t *testing.T) {
	for _, id := range []Identity{
		{Name: "cam-1", Roles: Roles(RoleProducer), Kinds: Kinds(KindCamera)},
		{Name: "tester.A_2", Roles: Roles(RoleProducer | RoleSubscriber), Kinds: Kinds(KindVehicle | KindSignal | KindMap)},
		{Name: "ops", Roles: Roles(RoleOperator)},
		{Name: "x"},
	} {
		u := id.URI()
		back, err := ParseURI(u)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if back != id {
			t.Errorf("%s: got %+v, want %+v", u, back, id)
		}
		// And through text, as a certificate stores it.
		pu, err := url.Parse(u.String())
		if err != nil {
			t.Fatal(err)
		}
		if back, err = ParseURI(pu); err != nil || back != id {
			t.Errorf("%s reparsed: %+v %v", u, back, err)
		}
	}
	if got := (Identity{Name: "v1", Roles: Roles(RoleProducer | RoleSubscriber), Kinds: Kinds(KindVehicle | KindCamera)}).String(); got != "v2x-edge:v1?kinds=vehicle,camera&roles=producer,subscriber" {
		t.Errorf("String() = %s", got)
	}
}

func TestParseURIErrors(t *testing.T) {
	for _, s := range []string{
		"https:x?roles=producer",
		"v2x-edge:?roles=producer",
		"v2x-edge:bad/name?roles=producer",
		"v2x-edge:a?roles=admin",
		"v2x-edge:a?kinds=truck",
		"v2x-edge:a?role=producer",
	} {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if id, err := ParseURI(u); err == nil {
			t.Errorf("%s: accepted as %+v", s, id)
		}
	}
}

func TestFromCert(t *testing.T) {
	mk := func(ss ...string) *x509.Certificate {
		c := &x509.Certificate{}
		for _, s := range ss {
			u, err := url.Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			c.URIs = append(c.URIs, u)
		}
		return c
	}
	if _, err := FromCert(mk()); err != ErrNoIdentity {
		t.Errorf("no URI: %v", err)
	}
	if _, err := FromCert(mk("spiffe://x/y")); err != ErrNoIdentity {
		t.Errorf("foreign URI only: %v", err)
	}
	id, err := FromCert(mk("spiffe://x/y", "v2x-edge:sig?roles=producer&kinds=signal"))
	if err != nil || id.Name != "sig" || !id.MaySend(KindSignal) || id.MaySend(KindMap) || id.Has(RoleSubscriber) {
		t.Errorf("got %+v %v", id, err)
	}
	if _, err := FromCert(mk("v2x-edge:a?roles=producer", "v2x-edge:b?roles=operator")); err == nil {
		t.Error("two identity URIs accepted")
	}
}

func TestMaySendNeedsProducer(t *testing.T) {
	id := Identity{Name: "s", Roles: Roles(RoleSubscriber), Kinds: AllKinds}
	if id.MaySend(KindVehicle) {
		t.Error("a subscriber with kinds may send")
	}
	id.Roles |= Roles(RoleProducer)
	if !id.MaySend(KindVehicle) {
		t.Error("a producer with the kind may not send")
	}
}

func TestKindOf(t *testing.T) {
	for typ, want := range map[wire.Type]Kind{wire.TypeBSM: KindVehicle, wire.TypeObjectList: KindCamera, wire.TypeRSM: KindRSU,
		wire.TypeRSI: KindRSU, wire.TypeSPAT: KindSignal, wire.TypeMAP: KindMap} {
		if k, ok := KindOf(typ); !ok || k != want {
			t.Errorf("KindOf(%s) = %s %v, want %s", typ, k, ok, want)
		}
	}
	if _, ok := KindOf(wire.TypeSubscribe); ok {
		t.Error("Subscribe has a source kind")
	}
}

func TestParseLists(t *testing.T) {
	r, err := ParseRoles(" producer , operator,")
	if err != nil || r != Roles(RoleProducer|RoleOperator) {
		t.Errorf("roles %v %v", r, err)
	}
	k, err := ParseKinds("map,signal")
	if err != nil || k != Kinds(KindMap|KindSignal) || k.String() != "signal,map" {
		t.Errorf("kinds %v %v", k, err)
	}
}

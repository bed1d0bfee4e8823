package auth

import (
	"net/url"
	"testing"
)

func TestParseIntersections(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // String(); "!" for an error
		has  []uint32
		not  []uint32
	}{
		{in: "", want: "", has: []uint32{0, 1, 65535}},
		{in: "12", want: "12", has: []uint32{12}, not: []uint32{0, 11, 13}},
		{in: "30, 7,12,7", want: "7,12,30", has: []uint32{7, 12, 30}, not: []uint32{8, 31}},
		{in: "65535", want: "65535", has: []uint32{65535}},
		{in: "65536", want: "!"},
		{in: "10/19", want: "10/19", has: []uint32{10<<16 | 19}, not: []uint32{19, 10}},
		{in: "0/19,65535/65535", want: "19,65535/65535", has: []uint32{19, 0xffffffff}, not: []uint32{0xffff}},
		{in: "10/", want: "!"},
		{in: "/19", want: "!"},
		{in: "65536/1", want: "!"},
		{in: "1/2/3", want: "!"},
		{in: "-1", want: "!"},
		{in: "0x10", want: "!"},
		{in: "a", want: "!"},
	} {
		s, err := ParseIntersections(c.in)
		if c.want == "!" {
			if err == nil {
				t.Errorf("%q: accepted as %s", c.in, s)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := s.String(); got != c.want {
			t.Errorf("%q: String() = %q, want %q", c.in, got, c.want)
		}
		for _, id := range c.has {
			if !s.Has(id) {
				t.Errorf("%q: Has(%d) = false", c.in, id)
			}
		}
		for _, id := range c.not {
			if s.Has(id) {
				t.Errorf("%q: Has(%d) = true", c.in, id)
			}
		}
	}
	var many string
	for i := 0; i <= MaxIntersections; i++ {
		if i > 0 {
			many += ","
		}
		many += string(rune('0'+i%10)) + string(rune('0'+i/10))
	}
	if s, err := ParseIntersections(many); err == nil {
		t.Errorf("%d ids accepted as %s", MaxIntersections+1, s)
	}
}

func TestIntersectionsInURI(t *testing.T) {
	sc, err := ParseIntersections("101,102")
	if err != nil {
		t.Fatal(err)
	}
	id := Identity{Name: "ctl-7", Roles: Roles(RoleProducer), Kinds: Kinds(KindSignal | KindMap), Intersections: sc}
	if got, want := id.String(), "v2x-edge:ctl-7?intersections=101,102&kinds=signal,map&roles=producer"; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
	back, err := ParseURIString(id.String())
	if err != nil || back != id {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	// A CSAE intersection with a region (an OpenV2X sample's 10/19).
	withRegion := id
	if withRegion.Intersections, err = ParseIntersections("101,10/19"); err != nil {
		t.Fatal(err)
	}
	if back, err := ParseURIString(withRegion.String()); err != nil || back != withRegion || !back.MayGovern(KindSignal, 10<<16|19) || back.MayGovern(KindSignal, 19) {
		t.Fatalf("round trip of %s: %+v %v", withRegion, back, err)
	}
	for _, c := range []struct {
		k    Kind
		ix   uint32
		want bool
	}{
		{KindSignal, 101, true}, {KindMap, 102, true}, {KindSignal, 103, false}, {KindMap, 0, false},
		{KindVehicle, 101, false}, // not a kind it may send at all
	} {
		if got := id.MayGovern(c.k, c.ix); got != c.want {
			t.Errorf("MayGovern(%s, %d) = %v, want %v", c.k, c.ix, got, c.want)
		}
	}
	any := Identity{Name: "ctl", Roles: Roles(RoleProducer), Kinds: Kinds(KindSignal)}
	if !any.MayGovern(KindSignal, 4242) {
		t.Error("an identity without intersections may not govern 4242")
	}
	for _, s := range []string{
		"v2x-edge:a?roles=producer&kinds=signal&intersections=",
		"v2x-edge:a?roles=producer&kinds=signal&intersections=x",
		"v2x-edge:a?roles=producer&kinds=vehicle&intersections=5",
	} {
		u, _ := url.Parse(s)
		if id, err := ParseURI(u); err == nil {
			t.Errorf("%s: accepted as %+v", s, id)
		}
	}
}

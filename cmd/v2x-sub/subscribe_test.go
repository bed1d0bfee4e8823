package main

import (
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestSubscribeFlags: what the node would reject is refused locally,
// naming the flag; good flags make the Subscribe they say.
func TestSubscribeFlags(t *testing.T) {
	for _, c := range []struct {
		name string
		f    subFlags
		want string // error naming this flag; "" for ok
	}{
		{"defaults", subFlags{}, ""},
		{"negative radius", subFlags{radius: -5}, "-radius"},
		{"huge radius", subFlags{radius: 2e6}, "-radius"},
		{"negative rate", subFlags{rate: -1}, "-rate"},
		{"rate above 1000", subFlags{rate: 1001}, "-rate"},
		{"bad centre", subFlags{center: "91,0"}, "-center"},
		{"centre not lat,lon", subFlags{center: "22.5"}, "-center"},
		{"unknown class", subFlags{classes: "car,tank"}, "-classes"},
		{"approach out of range", subFlags{approaches: "1,256"}, "-approaches"},
		{"lane not a number", subFlags{lanes: "x"}, "-lanes"},
		{"everything good", subFlags{radius: 50, rate: 10, center: "22.5,114.1", classes: "car,pedestrian", approaches: "1", lanes: "0,3"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			sub, err := c.f.subscribe()
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				var back wire.Subscribe
				if err := wire.DecodeSubscribe(wire.AppendSubscribe(nil, &sub), &back); err != nil {
					t.Fatalf("the node would reject it: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), c.want+" ") && !strings.HasPrefix(err.Error(), c.want+":") {
				t.Fatalf("err %v, want one naming %s", err, c.want)
			}
		})
	}
	sub, _ := (&subFlags{radius: 50, rate: 10, center: "22.5,114.1"}).subscribe()
	if sub.Radius != 50 || sub.MaxRate != 10 || sub.Flags&wire.SubCenter == 0 || sub.Flags&wire.SubPacked == 0 || sub.CenterLat != 22.5 {
		t.Errorf("subscribe %+v", sub)
	}
}

// TestSizeVsFull: the summary says plainly how updates compare with full
// states ("0.6x smaller" meant larger).
func TestSizeVsFull(t *testing.T) {
	for _, c := range []struct {
		bytes, full int64
		want        string
	}{
		{100, 600, "6.0x smaller than full states"},
		{1000, 600, "1.7x larger than full states"},
		{1000, 1010, "about the size of full states"},
		{0, 0, "no size comparison"},
	} {
		if got := sizeVsFull(c.bytes, c.full); got != c.want {
			t.Errorf("sizeVsFull(%d, %d) = %q, want %q", c.bytes, c.full, got, c.want)
		}
	}
}

// TestStandardOutputFlags: -j2735-sdsm, -rsi and -csae-rsi ask for what
// they say, and the node would accept them together.
func TestStandardOutputFlags(t *testing.T) {
	sub, err := (&subFlags{j2735SDSM: true, rsi: true, csaeRSI: true, csaeRSM: true}).subscribe()
	if err != nil {
		t.Fatal(err)
	}
	want := uint32(wire.SubJ2735SDSM | wire.SubRSI | wire.SubCSAERSI | wire.SubCSAERSM)
	if sub.Flags&want != want {
		t.Errorf("flags %#x, want %#x set", sub.Flags, want)
	}
	none, _ := (&subFlags{}).subscribe()
	if none.Flags&want != 0 {
		t.Errorf("default flags %#x ask for standard output", none.Flags)
	}
}

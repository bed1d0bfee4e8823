package main

import (
	"strings"
	"testing"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/v2x"
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

// TestWriteRSI: a native RSI set prints as one JSON line with the event
// fields in snake case; an empty set as "events":[].
func TestWriteRSI(t *testing.T) {
	var b strings.Builder
	u := &client.Update{IsRSI: true, RSISeq: 7, RSI: v2x.RSI{RSUID: 1001, Events: []v2x.RoadEvent{{ID: 1, Kind: v2x.KindSign, Type: 1025, Priority: 3, Radius: 25, EndNS: 5, Text: "road works"}}}}
	if err := writeRSI(&b, u, nil); err != nil {
		t.Fatal(err)
	}
	want := `{"rsi":{"seq":7,"rsu_id":1001,"events":[{"id":1,"kind":"sign","type":1025,"priority":3,"lat":0,"lon":0,"radius":25,"start_ns":0,"end_ns":5,"text":"road works"}]}}` + "\n"
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
	b.Reset()
	u.RSI.Events = nil
	if err := writeRSI(&b, u, nil); err != nil || !strings.Contains(b.String(), `"events":[]`) {
		t.Errorf("empty set: %v %s", err, b.String())
	}
}

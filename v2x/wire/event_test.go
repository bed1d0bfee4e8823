package wire

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// sampleEvent is a ghost-vehicle finding against a vehicle identity.
func sampleEvent() Event {
	return Event{TimeNS: 1_765_000_000_123_456_789, Check: CheckGhost, Action: EventFinding, Type: TypeBSM,
		ObjectID: 77, LocalID: 0xA1B2C3D4, Stream: 12, Lat: 22.5430832, Lon: 114.0579, Trust: 0.42,
		Identity: "veh-17", Text: "bsm inside camera coverage, no detection within 2.1 m for 5 frames"}
}

var eventCodec = payloadCodec{
	typ:    TypeEvent,
	header: Header{},
	sample: func() []byte { e := sampleEvent(); return AppendEvent(nil, &e) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		var e Event
		if err := DecodeEvent(p, &e); err != nil {
			return nil, err
		}
		return AppendEvent(nil, &e), nil
	},
	canon: func(p []byte) []byte {
		q := cloneBytes(p)
		q[54], q[55] = 0, 0
		return q
	},
}

func TestEventRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		e    Event
	}{
		{"typical", sampleEvent()},
		{"quarantine without position", Event{Check: CheckReplay, Action: EventQuarantine, Lat: math.NaN(), Lon: math.NaN(), Identity: "cam-2"}},
		{"release", Event{Action: EventRelease, Identity: "x", Trust: 1}},
		{"maximum strings", Event{Check: CheckSybil, Identity: strings.Repeat("i", MaxEventIdentity), Text: strings.Repeat("t", MaxEventText)}},
		{"unknown check kept", Event{Check: 200, Type: 0xff, ObjectID: math.MaxUint32, LocalID: math.MaxUint64, Stream: math.MaxUint64}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := AppendEvent(nil, &c.e)
			if want := eventHeadLen + len(c.e.Identity) + len(c.e.Text); len(p) != want {
				t.Fatalf("encoded %d bytes, want %d", len(p), want)
			}
			var got Event
			if err := DecodeEvent(p, &got); err != nil {
				t.Fatal(err)
			}
			same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
			if !same(got.Lat, c.e.Lat) || !same(got.Lon, c.e.Lon) {
				t.Fatalf("position %v,%v want %v,%v", got.Lat, got.Lon, c.e.Lat, c.e.Lon)
			}
			got.Lat, got.Lon, c.e.Lat, c.e.Lon = 0, 0, 0, 0
			if got != c.e {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c.e)
			}
		})
	}
}

func TestEventLayout(t *testing.T) {
	e := sampleEvent()
	p := AppendEvent(nil, &e)
	if int64(be64(p, 0)) != e.TimeNS || p[8] != byte(CheckGhost) || p[9] != byte(EventFinding) || p[10] != byte(TypeBSM) ||
		int(p[11]) != len(e.Identity) || be32(p, 12) != 77 || be64(p, 16) != 0xA1B2C3D4 || be64(p, 24) != 12 ||
		math.Float64frombits(be64(p, 32)) != e.Lat || math.Float64frombits(be64(p, 40)) != e.Lon ||
		math.Float32frombits(be32(p, 48)) != e.Trust || int(be32(p, 52)>>16) != len(e.Text) ||
		string(p[56:56+len(e.Identity)]) != e.Identity || string(p[56+len(e.Identity):]) != e.Text {
		t.Errorf("event frame % x", p)
	}
}

func TestAppendEventCutsStrings(t *testing.T) {
	e := Event{Identity: strings.Repeat("i", MaxEventIdentity+9), Text: strings.Repeat("t", MaxEventText+100)}
	var got Event
	if err := DecodeEvent(AppendEvent(nil, &e), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Identity) != MaxEventIdentity || len(got.Text) != MaxEventText {
		t.Errorf("identity %d text %d bytes", len(got.Identity), len(got.Text))
	}
}

func TestDecodeEventErrors(t *testing.T) {
	e := sampleEvent()
	p := AppendEvent(nil, &e)
	checkDecodeErr(t, "short head", DecodeEvent(p[:eventHeadLen-1], new(Event)), ErrTruncated)
	checkDecodeErr(t, "cut text", DecodeEvent(p[:len(p)-1], new(Event)), ErrTruncated)
	checkTrailing(t, p, func(q []byte) error { return DecodeEvent(q, new(Event)) })
	for _, c := range []struct {
		name string
		off  int
		v    byte
	}{{"identity too long", 11, MaxEventIdentity + 1}, {"action", 9, byte(maxEventAction + 1)}, {"text too long", 52, 0x02}} {
		q := cloneBytes(p)
		q[c.off] = c.v
		if err := DecodeEvent(q, new(Event)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", c.name, err)
		}
	}
}

func TestEventDecodeAllocatesOnlyStrings(t *testing.T) {
	e := sampleEvent()
	p := AppendEvent(nil, &e)
	buf := make([]byte, 0, 512)
	var got Event
	if n := testing.AllocsPerRun(100, func() { buf = AppendEvent(buf[:0], &e) }); n != 0 {
		t.Errorf("AppendEvent: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = DecodeEvent(p, &got) }); n > 2 {
		t.Errorf("DecodeEvent: %v allocations, want at most the two strings", n)
	}
}

func TestCheckNames(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range AllChecks() {
		n := c.String()
		if n == "" || strings.HasPrefix(n, "check(") || seen[n] {
			t.Errorf("check %d name %q", c, n)
		}
		seen[n] = true
	}
	if Check(numChecks).String() != "check(17)" {
		t.Errorf("unknown check: %s", Check(numChecks))
	}
}

func FuzzDecodeEvent(f *testing.F) {
	empty := Event{}
	fuzzPayload(f, &eventCodec, AppendEvent(nil, &empty))
}

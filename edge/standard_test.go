package edge

import (
	"context"
	"encoding/hex"
	"math"
	"net"
	"net/netip"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/j2735"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// csaeBSMAt returns the CSAE sample BSM_1 moved to lat, lon, as UPER.
func csaeBSMAt(t *testing.T, lat, lon float64, id byte) []byte {
	t.Helper()
	raw, err := os.ReadFile("../v2x/csae53/testdata/samples/BSM_1.uper")
	if err != nil {
		t.Fatal(err)
	}
	var f csae53.MessageFrame
	if _, err := csae53.DecodeFrame(raw, &f); err != nil {
		t.Fatal(err)
	}
	f.BsmFrame.Pos.Lat = csae53.Latitude(math.Round(lat * 1e7))
	f.BsmFrame.Pos.Long = csae53.Longitude(math.Round(lon * 1e7))
	f.BsmFrame.Id[7] = id
	out, err := csae53.AppendFrame(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// j2735BSMAt returns the first J2735 sample BSM moved to lat, lon.
func j2735BSMAt(t *testing.T, lat, lon float64) []byte {
	t.Helper()
	raw, err := os.ReadFile("../v2x/j2735/testdata/j2735.MessageFrame.128.bsms.uper")
	if err != nil {
		t.Fatal(err)
	}
	var f j2735.MessageFrame
	var m j2735.BSM
	if _, err := j2735.DecodeFrame(raw, &f); err != nil {
		t.Fatal(err)
	}
	if err := j2735.DecodeBSM(f.Value, &m); err != nil {
		t.Fatal(err)
	}
	m.Core.Lat, m.Core.Long = int64(math.Round(lat*1e7)), int64(math.Round(lon*1e7))
	if f.Value, err = j2735.AppendBSM(nil, &m); err != nil {
		t.Fatal(err)
	}
	out, err := j2735.AppendFrame(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// objectNear waits for a state with an object within 2 m of lat, lon.
func objectNear(t *testing.T, sub *client.Subscription, lat, lon float64) {
	t.Helper()
	objectsNear(t, sub, [][2]float64{{lat, lon}})
}

// objectsNear waits for a state with objects near all of the positions
// (a single BSM goes stale quickly, so they must come in one state).
func objectsNear(t *testing.T, sub *client.Subscription, pos [][2]float64) {
	t.Helper()
	nextUntil(t, sub, 5*time.Second, func(u *client.Update) bool {
		for _, p := range pos {
			found := false
			for _, o := range u.State.Objects {
				if math.Abs(o.Lat-p[0]) < 2e-5 && math.Abs(o.Lon-p[1]) < 2e-5 {
					found = true
				}
			}
			if !found {
				return false
			}
		}
		return true
	})
}

func TestStandardEncodedIngest(t *testing.T) {
	n, opts := startNode(t, nil)
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	lat, lon := refLat+0.0001, refLon+0.0001
	if err := p.SendEncoded(wire.TypeBSM, wire.EncodingCSAE53, 1, clock.Now(), csaeBSMAt(t, lat, lon, 1)); err != nil {
		t.Fatal(err)
	}
	objectNear(t, sub, lat, lon)
	lat2, lon2 := refLat-0.0001, refLon+0.0002
	if err := p.SendEncoded(wire.TypeBSM, wire.EncodingJ2735, 2, clock.Now(), j2735BSMAt(t, lat2, lon2)); err != nil {
		t.Fatal(err)
	}
	objectNear(t, sub, lat2, lon2)

	bad := []struct {
		name  string
		typ   wire.Type
		enc   wire.Encoding
		frame []byte
		code  wire.Code
	}{
		{"type mismatch", wire.TypeSPAT, wire.EncodingCSAE53, csaeBSMAt(t, lat, lon, 3), wire.CodeMalformed},
		{"truncated", wire.TypeBSM, wire.EncodingCSAE53, csaeBSMAt(t, lat, lon, 3)[:20], wire.CodeMalformed},
		{"trailing bytes", wire.TypeBSM, wire.EncodingCSAE53, append(csaeBSMAt(t, lat, lon, 3), 0, 0), wire.CodeMalformed},
		{"j2735 id not ingested", wire.TypeBSM, wire.EncodingJ2735, []byte{0x00, 0x1f, 0x01, 0x00}, wire.CodeUnsupportedEncoding},
		{"unknown encoding", wire.TypeBSM, 9, csaeBSMAt(t, lat, lon, 3), wire.CodeUnsupportedEncoding},
	}
	for _, tc := range bad {
		before := testutil.ToFloat64(n.m.rejectedByCode[tc.code])
		if err := p.SendEncoded(tc.typ, tc.enc, 3, clock.Now(), tc.frame); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-p.Errors():
			if e.Code != tc.code {
				t.Errorf("%s: error %s (%s), want %s", tc.name, e.Code, e.Message, tc.code)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no Error frame", tc.name)
		}
		if got := testutil.ToFloat64(n.m.rejectedByCode[tc.code]); got != before+1 {
			t.Errorf("%s: rejected{%s} went from %v to %v", tc.name, tc.code, before, got)
		}
	}
}

func TestUPERListener(t *testing.T) {
	n, opts := startNode(t, func(c *Config) { c.UPERListen = "127.0.0.1:0" })
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	conn, err := net.Dial("udp", n.UPERAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Two frames back to back in one datagram, as RSUs batch them.
	lat1, lon1 := refLat+0.0001, refLon-0.0001
	lat2, lon2 := refLat+0.0002, refLon-0.0002
	dgram := append(csaeBSMAt(t, lat1, lon1, 1), csaeBSMAt(t, lat2, lon2, 2)...)
	if _, err := conn.Write(dgram); err != nil {
		t.Fatal(err)
	}
	// Both frames decoded and ingested first (a failure then says which
	// step did not happen), then both objects in one state.
	waitUPERFrames(t, n, map[string]float64{uperOK: 2})
	objectsNear(t, sub, [][2]float64{{lat1, lon1}, {lat2, lon2}})
	// A datagram that does not decode is counted, not ingested.
	if _, err := conn.Write([]byte{0x00, 0x01}); err != nil {
		t.Fatal(err)
	}
	waitUPERFrames(t, n, map[string]float64{uperOK: 2, uperMalformed: 1, uperUnsupported: 0, uperRejected: 0})
}

// waitUPERFrames waits until v2x_uper_frames_total has the counts in want.
func waitUPERFrames(t *testing.T, n *Node, want map[string]float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mf, err := n.m.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range mf {
			if f.GetName() != "v2x_uper_frames_total" {
				continue
			}
			for _, m := range f.GetMetric() {
				got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		}
		same := true
		for k, v := range want {
			same = same && got[k] == v
		}
		if same {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("v2x_uper_frames_total %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSubscribeCSAERSM(t *testing.T) {
	n, opts := startNode(t, nil)
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{Flags: wire.SubCSAERSM})
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const objects = 40 // three RSMs of at most 16
	driveBSMs(t, ctx, p, objects, 20*time.Millisecond)

	bySeq := map[uint64]int{}
	var f csae53.MessageFrame
	var rsm v2x.RSM
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		u := nextUntil(t, sub, 5*time.Second, func(*client.Update) bool { return true })
		if u.Encoding != wire.EncodingCSAE53 || len(u.State.Objects) != 0 {
			t.Fatalf("update with encoding %d and %d native objects, want CSAE 53 only", u.Encoding, len(u.State.Objects))
		}
		if _, err := csae53.DecodeFrame(u.Encoded, &f); err != nil {
			t.Fatalf("RSM frame: %v", err)
		}
		if f.Choice != csae53.MessageFrameChoiceRsmFrame {
			t.Fatalf("MessageFrame alternative %d, want rsmFrame", f.Choice)
		}
		f.RsmFrame.ToModel(&rsm)
		if len(rsm.Participants) == 0 || len(rsm.Participants) > 16 {
			t.Fatalf("%d participants in one RSM", len(rsm.Participants))
		}
		for _, o := range rsm.Participants {
			if math.Abs(o.Lat-refLat) > 1e-3 || math.Abs(o.Lon-refLon) > 1e-3 {
				t.Fatalf("participant at %v,%v: not where the BSMs put it (near %v,%v)", o.Lat, o.Lon, refLat, refLon)
			}
		}
		bySeq[u.Seq] += len(rsm.Participants)
		if bySeq[u.Seq] == objects {
			return
		}
	}
	t.Fatalf("no state delivered all %d objects as RSMs: %v", objects, bySeq)
}

// TestUPERListenerJ2735SPAT sends the ODE J2735 SPaT sample as a raw UDP
// datagram: its signal groups reach subscribers.
func TestUPERListenerJ2735SPAT(t *testing.T) {
	n, opts := startNode(t, func(c *Config) { c.UPERListen, c.UPERStd = "127.0.0.1:0", "j2735" })
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	frame := odeSPaT(t)
	conn, err := net.Dial("udp", n.UPERAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(frame[:59]); err != nil { // the frame without the ODE's padding octet
		t.Fatal(err)
	}
	u := nextUntil(t, sub, 5*time.Second, func(u *client.Update) bool { return len(u.State.Signals) > 0 })
	groups := map[uint8]v2x.LightState{}
	for _, s := range u.State.Signals {
		groups[s.Phase] = s.State
	}
	if groups[2] != v2x.LightGreen || groups[4] != v2x.LightRed {
		t.Errorf("signal groups %v, want 2 green and 4 red (the sample's protected-Movement-Allowed and stop-And-Remain)", groups)
	}
}

// odeSPaT returns the ODE's J2735 SPaT sample as UPER, with the ODE's
// trailing padding octet.
func odeSPaT(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../v2x/j2735/testdata/decoder-output-spat.xml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<asn1>\s*([0-9A-Fa-f]+)\s*</asn1>`).FindSubmatch(b)
	frame, err := hex.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return frame
}

// TestUPERListenerZeroPadding: a SPaT stored from an RSU with 426 zero
// bytes of padding counts as one frame (it counted 142 more as
// unsupported); a datagram of 65,000 zero bytes is one malformed datagram
// (it counted 21,666 frames); an empty open type is malformed.
func TestUPERListenerZeroPadding(t *testing.T) {
	n, opts := startNode(t, func(c *Config) { c.UPERListen, c.UPERStd = "127.0.0.1:0", "j2735" })
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	conn, err := net.Dial("udp", n.UPERAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(append(odeSPaT(t), make([]byte, 426)...)); err != nil {
		t.Fatal(err)
	}
	nextUntil(t, sub, 5*time.Second, func(u *client.Update) bool { return len(u.State.Signals) > 0 })
	waitUPERFrames(t, n, map[string]float64{uperOK: 1, uperUnsupported: 0, uperMalformed: 0, uperRejected: 0})
	if _, err := conn.Write(make([]byte, 65000)); err != nil {
		t.Fatal(err)
	}
	waitUPERFrames(t, n, map[string]float64{uperOK: 1, uperUnsupported: 0, uperMalformed: 1, uperRejected: 0})
	if _, err := conn.Write([]byte{0x00, 0x13, 0x00}); err != nil { // messageId 19, a value of length 0
		t.Fatal(err)
	}
	waitUPERFrames(t, n, map[string]float64{uperOK: 1, uperUnsupported: 0, uperMalformed: 2, uperRejected: 0})
}

// TestUPERListenerAllowAndDrops: datagrams from a source outside
// uper_allow are dropped and counted as denied; the all-zero BSM is
// malformed, not ok; the socket's kernel drops are exported.
func TestUPERListenerAllowAndDrops(t *testing.T) {
	n, _ := startNode(t, func(c *Config) {
		c.UPERListen = "127.0.0.1:0"
		c.UPERAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
	})
	send := func(from string, b []byte) {
		t.Helper()
		la, err := net.ResolveUDPAddr("udp", from)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := net.DialUDP("udp", la, n.UPERAddr().(*net.UDPAddr))
		if err != nil {
			t.Skipf("cannot send from %s: %v", from, err)
		}
		defer conn.Close()
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	bsm := csaeBSMAt(t, refLat, refLon, 1)
	send("127.0.0.1:0", bsm) // not allowed
	waitUPERFrames(t, n, map[string]float64{uperDenied: 1, uperOK: 0})
	send("127.0.0.2:0", bsm)
	waitUPERFrames(t, n, map[string]float64{uperDenied: 1, uperOK: 1})
	send("127.0.0.2:0", append(make([]byte, 36), 1)) // every field at its minimum: -90°, -180°
	waitUPERFrames(t, n, map[string]float64{uperDenied: 1, uperOK: 1, uperMalformed: 1})
	mfs, err := n.m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		found = found || mf.GetName() == "v2x_uper_socket_drops_total"
	}
	if !found && runtime.GOOS == "linux" {
		t.Error("v2x_uper_socket_drops_total not exported")
	}
}

// TestUPERListenerIdentity: the listener's senders act as uper_identity.
// One limited to vehicles and to signals of intersection 1 has a BSM
// ingested, the ODE's SPaT (intersection 12111) refused as forbidden and
// counted; one allowed that intersection has it ingested.
func TestUPERListenerIdentity(t *testing.T) {
	for _, c := range []struct {
		ident string
		spat  string // its result
	}{
		{"v2x-edge:rsu-fwd?roles=producer&kinds=vehicle,signal&intersections=1", uperForbidden},
		{"v2x-edge:rsu-fwd?roles=producer&kinds=vehicle", uperForbidden},
		{"v2x-edge:rsu-fwd?roles=producer&kinds=vehicle,signal&intersections=1,12111", uperOK},
	} {
		t.Run(c.ident, func(t *testing.T) {
			n, _ := startNode(t, func(cfg *Config) {
				cfg.UPERListen, cfg.UPERStd, cfg.UPERIdentity = "127.0.0.1:0", "j2735", c.ident
			})
			conn, err := net.Dial("udp", n.UPERAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			before := testutil.ToFloat64(n.m.auth.forbidden[3]) // signal
			if _, err := conn.Write(odeSPaT(t)); err != nil {
				t.Fatal(err)
			}
			want := map[string]float64{uperOK: 0, uperForbidden: 0, uperRejected: 0}
			want[c.spat] = 1
			waitUPERFrames(t, n, want)
			wantForbid := before
			if c.spat == uperForbidden {
				wantForbid++
			}
			if got := testutil.ToFloat64(n.m.auth.forbidden[3]); got != wantForbid {
				t.Errorf("v2x_forbidden_total{kind=\"signal\"} %v -> %v, want %v", before, got, wantForbid)
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		c := Config{UPERIdentity: "v2x-edge:sub?roles=subscriber"}
		c.SetDefaults()
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "uper_identity") {
			t.Errorf("Validate with a subscriber uper_identity: %v", err)
		}
	})
}

package edge

import (
	"bytes"
	"log/slog"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// fakeStream is a subscriberStream without QUIC: frames on the stream go
// to a buffer, datagrams to a list (or are refused as too large), and
// rejections are recorded.
type fakeStream struct {
	buf      bytes.Buffer
	fw       *wire.Writer
	dgrams   [][]byte
	tooLarge bool // refuse datagrams as quic-go does when the path shrank
	discard  bool // drop datagrams instead of keeping them
	rejected []wire.Code
}

func newFakeStream() *fakeStream {
	fs := &fakeStream{}
	fs.fw = wire.NewWriter(&fs.buf)
	return fs
}

func (fs *fakeStream) frameWriter() *wire.Writer { return fs.fw }
func (fs *fakeStream) streamID() quic.StreamID   { return 4 }

func (fs *fakeStream) sendDatagram(b []byte) error {
	if fs.tooLarge {
		return &quic.DatagramTooLargeError{MaxDatagramPayloadSize: 100}
	}
	if !fs.discard {
		fs.dgrams = append(fs.dgrams, bytes.Clone(b))
	}
	return nil
}

func (fs *fakeStream) reject(_ *wire.Header, code wire.Code, _ string) {
	fs.rejected = append(fs.rejected, code)
}

// sent is what a fakeStream carried since the last call: "stream" or
// "datagram" and whether it was a keyframe, per Update frame, in order
// within each path (stream first).
type sent struct {
	path string
	key  bool
}

func (fs *fakeStream) take(t *testing.T) []sent {
	t.Helper()
	var out []sent
	add := func(path string, h wire.Header, p []byte) {
		if h.Type != wire.TypeUpdate {
			t.Fatalf("%s frame on the %s, want Update", h.Type, path)
		}
		if h.Source != 4 {
			t.Errorf("Update Source %d, want the stream id 4", h.Source)
		}
		var u wire.Update
		if _, err := wire.DecodeUpdate(p, &u); err != nil {
			t.Fatalf("update on the %s: %v", path, err)
		}
		out = append(out, sent{path, u.Flags&wire.UpdateKeyframe != 0})
	}
	r := wire.NewReader(&fs.buf, 0)
	for {
		h, p, err := r.Next()
		if err != nil {
			break
		}
		add("stream", h, p)
	}
	for _, d := range fs.dgrams {
		h, err := wire.ParseHeader(d, wire.DefaultMaxFrame)
		if err != nil {
			t.Fatalf("datagram: %v", err)
		}
		add("datagram", h, d[wire.HeaderLen:])
	}
	fs.buf.Reset()
	fs.dgrams = nil
	return out
}

// testSubscriber returns a subscriber on a fake stream, its hub and its
// metrics, with the default broadcast configuration.
func testSubscriber(t *testing.T) (*subscriber, *fakeStream, *hub, *broadcastMetrics) {
	t.Helper()
	cfg := DefaultConfig()
	m := newMetrics()
	h := newHub(0, m.bc.hub)
	fs := newFakeStream()
	s := newSubscriber(broadcast{hub: h, cfg: newBroadcastConfig(&cfg), m: &m.bc}, fs, 1, slog.New(slog.DiscardHandler))
	t.Cleanup(s.close)
	return s, fs, h, &m.bc
}

// publishScene publishes a fresh snapshot with seq and three cars, the
// first of them moved by seq metres.
func publishScene(h *hub, seq uint64) {
	snap := h.newSnapshot()
	snap.Seq, snap.TimeNS, snap.IngestNS, snap.Fresh = seq, int64(seq)*1e8, int64(seq)*1e8, true
	snap.HasFrame, snap.Frame = true, geo.NewFrame(refLat, refLon, 0)
	snap.Objects = snap.Objects[:0]
	for i := range 3 {
		e, n := float32(i*10), float32(seq)
		if i > 0 {
			n = 0
		}
		lat, lon, _ := snap.Frame.FromENU(float64(e), float64(n), 0)
		snap.Objects = append(snap.Objects, wire.StateObject{ID: uint32(i + 1), Class: v2x.ClassCar, Lat: lat, Lon: lon, E: e, N: n, Speed: 5, Length: 4.5, Width: 1.8})
	}
	h.publish(snap)
}

func frameOf(typ wire.Type, payload []byte) (*wire.Header, []byte) {
	return &wire.Header{Type: typ}, payload
}

// TestSubscriberPacked drives a packed subscriber through its stream
// interface alone: which updates go where, as keyframes or deltas.
func TestSubscriberPacked(t *testing.T) {
	tests := []struct {
		name     string
		flags    uint32
		tooLarge bool // the connection refuses datagrams as too large
		resync   bool // the subscriber sends a Resync before the third state
		want     []sent
	}{
		{name: "keyframe on the stream, deltas as datagrams", flags: wire.SubPacked,
			want: []sent{{"stream", true}, {"datagram", false}, {"datagram", false}}},
		{name: "no datagrams asked for", flags: wire.SubPacked | wire.SubNoDatagram,
			want: []sent{{"stream", true}, {"stream", false}, {"stream", false}}},
		{name: "datagram too large goes on the stream", flags: wire.SubPacked, tooLarge: true,
			want: []sent{{"stream", true}, {"stream", false}, {"stream", false}}},
		{name: "resync answered with a keyframe", flags: wire.SubPacked, resync: true,
			want: []sent{{"stream", true}, {"datagram", false}, {"stream", true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, fs, h, m := testSubscriber(t)
			fs.tooLarge = tc.tooLarge
			if !s.handle(frameOf(wire.TypeSubscribe, wire.AppendSubscribe(nil, &wire.Subscribe{Flags: tc.flags}))) {
				t.Fatal("the first Subscribe did not start the subscriber")
			}
			if got := testutil.ToFloat64(m.subscribers); got != 1 {
				t.Errorf("subscribers gauge %v, want 1", got)
			}
			var got []sent
			for seq := uint64(1); seq <= 3; seq++ {
				if seq == 3 && tc.resync {
					s.handle(frameOf(wire.TypeResync, wire.AppendResync(nil, 1)))
				}
				publishScene(h, seq)
				if err := s.sendCurrent(); err != nil {
					t.Fatalf("state %d: %v", seq, err)
				}
				got = append(got, fs.take(t)...)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("sent %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("update %d: %v, want %v", i+1, got[i], tc.want[i])
				}
			}
			var counted float64
			for k := range numKinds {
				for p := range numPaths {
					counted += testutil.ToFloat64(m.updates[k][p])
				}
			}
			if counted != 3 || testutil.ToFloat64(m.delivered) != 3 {
				t.Errorf("counted %v updates and %v delivered, want 3 and 3", counted, testutil.ToFloat64(m.delivered))
			}
			if len(fs.rejected) != 0 {
				t.Errorf("rejected %v", fs.rejected)
			}
		})
	}
}

// TestSubscriberRejects: frames a subscriber refuses are answered through
// its stream with the right code, and a second Subscribe does not start
// it again.
func TestSubscriberRejects(t *testing.T) {
	s, fs, _, m := testSubscriber(t)
	if !s.handle(frameOf(wire.TypeSubscribe, wire.AppendSubscribe(nil, &wire.Subscribe{}))) {
		t.Fatal("the first Subscribe did not start the subscriber")
	}
	tests := []struct {
		name    string
		typ     wire.Type
		payload []byte
		want    []wire.Code
		starts  bool
	}{
		{"short resync", wire.TypeResync, []byte{1}, []wire.Code{wire.CodeMalformed}, false},
		{"data frame", wire.TypeBSM, nil, []wire.Code{wire.CodeUnexpectedFrame}, false},
		{"bad subscribe", wire.TypeSubscribe, []byte{1, 2}, []wire.Code{wire.CodeInvalidValue}, false},
		{"second subscribe", wire.TypeSubscribe, wire.AppendSubscribe(nil, &wire.Subscribe{Radius: 50}), nil, false},
	}
	for _, tc := range tests {
		fs.rejected = nil
		if started := s.handle(frameOf(tc.typ, tc.payload)); started != tc.starts {
			t.Errorf("%s: started %v, want %v", tc.name, started, tc.starts)
		}
		if !slices.Equal(fs.rejected, tc.want) {
			t.Errorf("%s: rejected %v, want %v", tc.name, fs.rejected, tc.want)
		}
	}
	if got := s.filter.Load().Radius; got != 50 {
		t.Errorf("radius %v after the second Subscribe, want 50", got)
	}
	if got := testutil.ToFloat64(m.subscribers); got != 1 {
		t.Errorf("subscribers gauge %v, want 1", got)
	}
}

// TestSubscriberSendAllocatesNothing: once its buffers have grown, a
// packed subscriber sends a delta datagram per state, through its stream
// interface, without allocating.
func TestSubscriberSendAllocatesNothing(t *testing.T) {
	s, fs, h, _ := testSubscriber(t)
	fs.discard = true
	s.handle(frameOf(wire.TypeSubscribe, wire.AppendSubscribe(nil, &wire.Subscribe{Flags: wire.SubPacked})))
	seq := uint64(0)
	step := func() {
		seq++
		publishScene(h, seq)
		if err := s.sendCurrent(); err != nil {
			t.Fatal(err)
		}
		fs.buf.Reset()
	}
	for range 20 {
		step()
	}
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Errorf("publish and send of a delta allocates %v times", allocs)
	}
	if testutil.ToFloat64(s.m.updates[kindDelta][pathDatagram]) < 100 {
		t.Errorf("%v deltas sent as datagrams, want every state after the first", testutil.ToFloat64(s.m.updates[kindDelta][pathDatagram]))
	}
}

// TestResyncFloodCoalesces: a burst of Resyncs with no newer state costs
// one keyframe, not one each.
func TestResyncFloodCoalesces(t *testing.T) {
	s, fs, h, m := testSubscriber(t)
	s.handle(frameOf(wire.TypeSubscribe, wire.AppendSubscribe(nil, &wire.Subscribe{Flags: wire.SubPacked})))
	for seq := uint64(1); seq <= 2; seq++ {
		publishScene(h, seq)
		if err := s.sendCurrent(); err != nil {
			t.Fatal(err)
		}
	}
	fs.take(t) // a keyframe, a delta
	for range 50 {
		s.handle(frameOf(wire.TypeResync, wire.AppendResync(nil, 1)))
		if err := s.sendCurrent(); err != nil {
			t.Fatal(err)
		}
	}
	got := fs.take(t)
	if len(got) != 1 || !got[0].key {
		t.Errorf("50 Resyncs of one state sent %v, want one keyframe", got)
	}
	if c := testutil.ToFloat64(m.resyncsCoalesced); c != 49 {
		t.Errorf("coalesced %v Resyncs, want 49", c)
	}
	// A newer state after the burst goes as a delta against the keyframe.
	publishScene(h, 3)
	if err := s.sendCurrent(); err != nil {
		t.Fatal(err)
	}
	if got := fs.take(t); len(got) != 1 || got[0].key {
		t.Errorf("next state sent %v, want one delta", got)
	}
}

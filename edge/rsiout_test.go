package edge

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// rsiFrames reads the RSI frames written to fs: per frame its header and
// the events it holds (native decoded, CSAE converted).
func rsiFrames(t *testing.T, fs *fakeStream) (hs []wire.Header, evs [][]v2x.RoadEvent) {
	t.Helper()
	r := wire.NewReader(&fs.buf, 0)
	for {
		h, p, err := r.Next()
		if err != nil {
			break
		}
		if h.Type != wire.TypeRSI {
			continue
		}
		var m v2x.RSI
		switch h.Encoding {
		case wire.EncodingNative:
			if err := wire.DecodeRSI(p, &m); err != nil {
				t.Fatal(err)
			}
		case wire.EncodingCSAE53:
			var f csae53.MessageFrame
			if _, err := csae53.DecodeFrame(p, &f); err != nil || f.Choice != csae53.MessageFrameChoiceRsiFrame {
				t.Fatalf("CSAE RSI: %v", err)
			}
			f.RsiFrame.ToModel(0, &m)
		}
		hs, evs = append(hs, h), append(evs, m.Events)
	}
	fs.buf.Reset()
	return hs, evs
}

// TestSendRSI drives one subscriber's RSI output: a native set and the
// same set in CSAE frames of at most 8 events and 16 signs (all with one
// Seq), nothing while the set is unchanged, a new set when an event
// leaves the region, and a native empty RSI when nothing is left.
func TestSendRSI(t *testing.T) {
	s, fs, h, m := testSubscriber(t)
	publishScene(h, 1)
	rsi := &v2x.RSI{RSUID: 9}
	for i := range 13 {
		kind := v2x.KindEvent
		if i >= 10 {
			kind = v2x.KindSign
		}
		rsi.Events = append(rsi.Events, v2x.RoadEvent{ID: uint16(i + 1), Kind: kind, Type: 100, Priority: uint8(i % 8), Lat: refLat, Lon: refLon, Radius: 10})
	}
	far := v2x.RoadEvent{ID: 99, Priority: 7, Lat: refLat + 0.01, Lon: refLon, Radius: 10} // ~1.1 km north
	rsi.Events = append(rsi.Events, far)
	h.rsi.update([]*v2x.RSI{rsi}, 1)
	sub := &wire.Subscribe{Flags: wire.SubRSI | wire.SubCSAERSI, Radius: 200}
	snap := h.Acquire()
	defer h.Release(snap)
	if err := s.sendRSI(snap, sub); err != nil {
		t.Fatal(err)
	}
	hs, evs := rsiFrames(t, fs)
	if len(hs) != 3 || hs[0].Encoding != wire.EncodingNative || len(evs[0]) != 13 {
		t.Fatalf("%d frames (first: encoding %d, %d events), want a native set of 13 and two CSAE frames", len(hs), hs[0].Encoding, len(evs[0]))
	}
	for i := 1; i < len(evs[0]); i++ {
		if evs[0][i].Priority > evs[0][i-1].Priority {
			t.Fatalf("native set not by priority: %d after %d", evs[0][i].Priority, evs[0][i-1].Priority)
		}
	}
	seen := map[uint16]bool{}
	for k := 1; k < 3; k++ {
		var nev, nsign int
		for _, e := range evs[k] {
			seen[e.ID] = true
			if e.Kind == v2x.KindSign {
				nsign++
			} else {
				nev++
			}
		}
		if hs[k].Encoding != wire.EncodingCSAE53 || hs[k].Seq != hs[0].Seq || nev > 8 || nsign > 16 {
			t.Errorf("CSAE frame %d: encoding %d seq %d (set %d), %d events %d signs", k, hs[k].Encoding, hs[k].Seq, hs[0].Seq, nev, nsign)
		}
	}
	if len(seen) != 13 || seen[99] {
		t.Errorf("CSAE frames hold %d events (the far one: %v), want the 13 near ones", len(seen), seen[99])
	}
	// Unchanged: nothing.
	h.rsi.update([]*v2x.RSI{rsi}, 2)
	s.sendRSI(snap, sub)
	if hs, _ := rsiFrames(t, fs); len(hs) != 0 {
		t.Errorf("%d frames for an unchanged set", len(hs))
	}
	// The far event changes: a new generation, but this region's view
	// is the same: nothing.
	rsi2 := &v2x.RSI{RSUID: 9, Events: append([]v2x.RoadEvent(nil), rsi.Events...)}
	rsi2.Events[13].Text = "moved"
	h.rsi.update([]*v2x.RSI{rsi2}, 3)
	s.sendRSI(snap, sub)
	if hs, _ := rsiFrames(t, fs); len(hs) != 0 {
		t.Errorf("%d frames when only an event outside the region changed", len(hs))
	}
	// A wider region takes the far event in: native only now.
	wide := &wire.Subscribe{Flags: wire.SubRSI, Radius: 2000}
	s.sendRSI(snap, wide)
	if hs, evs := rsiFrames(t, fs); len(hs) != 1 || len(evs[0]) != 14 {
		t.Errorf("wider region: %d frames, %v", len(hs), evs)
	}
	// Everything withdrawn: one native empty RSI, once.
	h.rsi.update([]*v2x.RSI{{RSUID: 9}}, 4)
	s.sendRSI(snap, sub)
	hs, evs = rsiFrames(t, fs)
	if len(hs) != 1 || hs[0].Encoding != wire.EncodingNative || len(evs[0]) != 0 {
		t.Errorf("withdrawal: %d frames %v", len(hs), evs)
	}
	h.rsi.update(nil, 5)
	s.sendRSI(snap, sub)
	if hs, _ := rsiFrames(t, fs); len(hs) != 0 {
		t.Errorf("%d frames after the withdrawal with nothing new", len(hs))
	}
	if got := testutil.ToFloat64(m.rsiFrames); got != 5 {
		t.Errorf("v2x_rsi_frames_sent_total %v, want 5", got)
	}
	// More than 64 events in a region: the lowest priorities are cut and
	// counted.
	many := &v2x.RSI{RSUID: 9}
	for i := range 70 {
		many.Events = append(many.Events, v2x.RoadEvent{ID: uint16(i + 1), Priority: uint8(i % 8), Lat: refLat, Lon: refLon})
	}
	h.rsi.update([]*v2x.RSI{many}, 6)
	s.sendRSI(snap, sub)
	hs, evs = rsiFrames(t, fs)
	if len(hs) == 0 || len(evs[0]) != 64 || evs[0][63].Priority != 0 || testutil.ToFloat64(m.rsiCut) != 6 {
		t.Errorf("70 events: %d frames, first with %d events; cut %v, want 64 and 6", len(hs), len(evs[0]), testutil.ToFloat64(m.rsiCut))
	}
}

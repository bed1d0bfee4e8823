package replay

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/v2x-edge/v2x-edge/edge/record/mcap"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func TestSlotOf(t *testing.T) {
	s := &sender{starts: []int64{100, 200, 300}}
	for _, c := range []struct{ arrival, want int64 }{
		{50, 100},  // taken by the first cycle
		{100, 100}, // arrived as it started: the inbox swap comes after
		{101, 200},
		{299, 300},
		{300, 300},
		{301, 301}, // after the last recorded cycle: its own arrival
	} {
		if got := s.slotOf(c.arrival); got != c.want {
			t.Errorf("slotOf(%d) = %d, want %d", c.arrival, got, c.want)
		}
	}
	if got := (&sender{}).slotOf(42); got != 42 {
		t.Errorf("no cycles: slotOf(42) = %d", got)
	}
}

func TestCycleStart(t *testing.T) {
	rec := func(version byte, start int64) []byte {
		return binary.LittleEndian.AppendUint64([]byte{version}, uint64(start))
	}
	for _, c := range []struct {
		name string
		p    []byte
		want int64
		ok   bool
	}{
		{"version 2", rec(2, 1234567), 1234567, true},
		{"version 1", rec(1, 7), 7, true},
		{"version 0", rec(0, 7), 0, false},
		{"version 3", rec(3, 7), 7, true},
		{"cut short", rec(2, 7)[:8], 0, false},
		{"empty", nil, 0, false},
	} {
		got, ok := cycleStart(c.p)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %d %v, want %d %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// TestPlan: a frame goes out with wire.FlagMore when the same recorded
// fusion cycle took its stream's next frame, or when it was recorded with
// the flag; frames of one cycle on different streams, and the last frame
// of a stream in a cycle, go without.
func TestPlan(t *testing.T) {
	var buf bytes.Buffer
	w, err := mcap.NewWriter(&buf, mcap.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := w.AddSchema("frame", "text/markdown", nil)
	chA, _ := w.AddChannel(sc, TopicIngest, "v2x-edge-frame", map[string]string{"stream": "1"})
	chB, _ := w.AddChannel(sc, TopicIngest, "v2x-edge-frame", map[string]string{"stream": "2"})
	chC, _ := w.AddChannel(sc, TopicCycle, "v2x-edge-cycle", nil)
	frame := func(flags uint8) []byte {
		b := wire.AppendHeader(nil, &wire.Header{Type: wire.TypeBSM, Flags: flags})
		binary.BigEndian.PutUint32(b, wire.HeaderLen-4)
		return b
	}
	msg := func(ch uint16, at int64, data []byte) {
		if err := w.WriteMessage(&mcap.Message{ChannelID: ch, LogTime: uint64(at), PublishTime: uint64(at), Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	cycle := func(start int64) { msg(chC, start, binary.LittleEndian.AppendUint64([]byte{3}, uint64(start))) }
	// Cycle at 100 takes A@10, A@20, B@30, A@40; cycle at 200 takes
	// B@150, B@160; A@250 (recorded with the flag) and A@260 come after
	// the last cycle.
	msg(chA, 10, frame(0))
	msg(chA, 20, frame(0))
	msg(chB, 30, frame(0))
	msg(chA, 40, frame(0))
	cycle(100)
	msg(chB, 150, frame(0))
	msg(chB, 160, frame(0))
	cycle(200)
	msg(chA, 250, frame(wire.FlagMore))
	msg(chA, 260, frame(0))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s := &sender{o: SendOptions{Speed: 1}}
	s.plan(buf.Bytes())
	if want := []int64{100, 200}; !slices.Equal(s.starts, want) {
		t.Errorf("cycle starts %v, want %v", s.starts, want)
	}
	want := []bool{true, true, false, false, true, false, true, false}
	if !slices.Equal(s.more, want) {
		t.Errorf("FlagMore per frame %v, want %v", s.more, want)
	}
	s = &sender{o: SendOptions{Speed: 0}}
	s.plan(buf.Bytes())
	if want := []bool{false, false, false, false, false, false, true, false}; !slices.Equal(s.more, want) {
		t.Errorf("at max speed (no schedule): %v, want only the recorded flag %v", s.more, want)
	}
}

package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/record"
	"github.com/v2x-edge/v2x-edge/edge/record/mcap"
	"github.com/v2x-edge/v2x-edge/edge/trust"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestRecording: a node with -record keeps every BSM frame a producer
// sent, as sent, on a channel naming its stream and identity, and the
// states it published, in order; closing the node completes the file.
func TestRecording(t *testing.T) {
	dir := t.TempDir()
	n, opts := startNode(t, func(c *Config) { c.RecordDir = dir })
	sub := subscribe(t, dial(t, n, opts), wire.Subscribe{})
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	const frames = 20
	for i := 0; i < frames; i++ {
		b := bsmAt(uint64(i+1), float64(i), 5)
		if err := p.SendBSM(7, clock.Now(), &b); err != nil {
			t.Fatal(err)
		}
	}
	nextUntil(t, sub, 5*time.Second, func(u *client.Update) bool { return len(u.State.Objects) == frames })
	time.Sleep(300 * time.Millisecond) // the Foxglove channels are recorded at 10 Hz
	p.Close()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	files, _ := filepath.Glob(filepath.Join(dir, "*.mcap"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var bsms, states int
	var lastSeq uint64
	var maxObjects, foxObjects int
	info, err := mcap.NewScanner(bytes.NewReader(b)).Scan(func(c *mcap.Channel, m *mcap.Message) error {
		if c.Topic == "/v2x/objects" {
			var u struct {
				Entities []struct {
					ID    string            `json:"id"`
					Cubes []json.RawMessage `json:"cubes"`
				} `json:"entities"`
			}
			if err := json.Unmarshal(m.Data, &u); err != nil || c.SchemaID == 0 {
				t.Fatalf("/v2x/objects: %v (schema %d)", err, c.SchemaID)
			}
			foxObjects = max(foxObjects, len(u.Entities))
			return nil
		}
		if c.Topic != "/v2x/ingest" && c.Topic != "/v2x/state" {
			return nil
		}
		h, err := wire.ParseHeader(m.Data, 1<<24)
		if err != nil {
			t.Fatalf("%s: %v", c.Topic, err)
		}
		if h.Length != len(m.Data)-wire.HeaderLen {
			t.Fatalf("%s: header says %d payload bytes, the message has %d", c.Topic, h.Length, len(m.Data)-wire.HeaderLen)
		}
		switch c.Topic {
		case "/v2x/ingest":
			if h.Type != wire.TypeBSM || h.Source != 7 || c.Metadata["identity"] != "sim" {
				t.Errorf("ingest frame %+v on channel %v", h, c.Metadata)
			}
			if _, err := strconv.ParseUint(c.Metadata["stream"], 10, 64); err != nil {
				t.Errorf("stream metadata %q", c.Metadata["stream"])
			}
			if m.LogTime == 0 || m.PublishTime > m.LogTime {
				t.Errorf("ingest times log %d publish %d", m.LogTime, m.PublishTime)
			}
			bsms++
		case "/v2x/state":
			var st wire.State
			if err := wire.DecodeState(m.Data[wire.HeaderLen:], &st); err != nil {
				t.Fatal(err)
			}
			if h.Type != wire.TypeState || h.Seq <= lastSeq || uint64(m.LogTime) != uint64(h.Capture) {
				t.Errorf("state seq %d after %d, time %d log %d", h.Seq, lastSeq, h.Capture, m.LogTime)
			}
			lastSeq = h.Seq
			maxObjects = max(maxObjects, len(st.Objects))
			states++
		}
		return nil
	})
	if err != nil || !info.Complete {
		t.Fatalf("scan: %+v %v", info, err)
	}
	if bsms != frames || states == 0 || maxObjects != frames {
		t.Errorf("%d BSM frames (want %d), %d states, at most %d objects", bsms, frames, states, maxObjects)
	}
	if foxObjects != frames {
		t.Errorf("the Foxglove objects channel drew at most %d boxes, want %d", foxObjects, frames)
	}
}

// attachRecorder makes w record into a temporary directory, as -record
// does; drain waits until the recorder has written every cycle handed to
// it.
func attachRecorder(tb testing.TB, w *world) (drain func()) {
	nr := &nodeRecorder{hub: w.hub}
	rec, err := record.New(record.Config{Dir: tb.TempDir(), Pump: nr.pump}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	nr.r = rec
	nr.state, nr.cycles = rec.AddChannel(recStateTopic, nil), rec.AddChannel(recCycleTopic, nil)
	w.rec = nr
	tb.Cleanup(func() { rec.Close() })
	return func() {
		for nr.pending() > 0 || rec.Stats().QueuedBytes > 0 {
			runtime.Gosched()
		}
	}
}

// recordingRunner is a 200-object, 6-source cycle runner (self-reports
// among the sources, trust checks on) whose world records, as -record does.
func recordingRunner(tb testing.TB, on bool) (*cycleRunner, func()) {
	r := newTrustCycleRunner(tb, FusionTrack, 200, 6, trust.Config{}, true)
	if !on {
		return r, func() {}
	}
	drain := attachRecorder(tb, r.w)
	for i := 0; i < 60; i++ { // grow the recording buffers
		r.step()
	}
	drain()
	return r, drain
}

// BenchmarkFusionCyclePacedRecord measures what -record costs the paced
// 200-object cycle (BenchmarkFusionCyclePaced's scene) as the node runs
// it: one world, recording switched on and off in alternate blocks of
// cycles, so that both halves share the run, the scene and the machine's
// load. p50-off-ns and p50-on-ns are the cycle times' medians without and
// with recording (the first cycles of each block left out, while the
// recorder catches up with the previous block), p50-cost-% their
// difference.
func BenchmarkFusionCyclePacedRecord(b *testing.B) {
	r := newPacedRunner(b, 200, 1)
	drain := attachRecorder(b, r.w)
	nr := r.w.rec
	for i := 0; i < 500; i++ { // grow the recording buffers
		r.step()
	}
	drain()
	const block, settle = 20, 5
	var lat [2][]int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		on := i/block%2 == 1
		if on {
			r.w.rec = nr
		} else {
			r.w.rec = nil
		}
		d := r.step()
		if i%block >= settle {
			k := 0
			if on {
				k = 1
			}
			lat[k] = append(lat[k], d)
		}
	}
	b.StopTimer()
	r.w.rec = nr
	if len(lat[0]) == 0 || len(lat[1]) == 0 {
		return // b.N too small for both halves
	}
	var p50 [2]float64
	for k, l := range lat {
		slices.Sort(l)
		p50[k] = float64(l[len(l)/2])
		b.ReportMetric(float64(l[len(l)*99/100]), []string{"p99-off-ns", "p99-on-ns"}[k])
	}
	b.ReportMetric(p50[0], "p50-off-ns")
	b.ReportMetric(p50[1], "p50-on-ns")
	b.ReportMetric(100*(p50[1]-p50[0])/p50[0], "p50-cost-%")
}

// TestFusionCycleRecordingAllocatesNothing: recording the cycles and the
// states costs the fusion loop (and the recorder, which keeps up here) no
// allocation.
func TestFusionCycleRecordingAllocatesNothing(t *testing.T) {
	r, drain := recordingRunner(t, true)
	if allocs := testing.AllocsPerRun(100, func() { r.step(); drain() }); allocs != 0 {
		t.Errorf("fusion cycle with recording allocates %v times", allocs)
	}
}

// BenchmarkFusionCycleRecord compares the 200-object fusion cycle with
// and without -record in one run: the cost to the fusion goroutine of
// encoding the cycle record and handing over the state (the recorder's
// own goroutine encodes states and writes files, off this path).
func BenchmarkFusionCycleRecord(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("record=%v", on), func(b *testing.B) {
			r, _ := recordingRunner(b, on)
			r.bench(b)
		})
	}
}

// TestRecordRingFull: when the recorder has not taken the cycles handed
// over (its writer stalled), the fusion loop neither waits nor
// overwrites them: a cycle that finds the ring full is dropped and
// counted, and handing over resumes once the recorder has caught up,
// with every cycle it took written in order.
func TestRecordRingFull(t *testing.T) {
	w, _, h := testWorld(t, FusionTrack)
	nr := &nodeRecorder{hub: h}
	rec, err := record.New(record.Config{Dir: t.TempDir()}, nil) // no Pump: the test pumps
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	nr.r = rec
	nr.state, nr.cycles = rec.AddChannel(recStateTopic, nil), rec.AddChannel(recCycleTopic, nil)
	w.rec = nr
	for i := 0; i < cycleQueue+5; i++ {
		w.cycle(clock.Now())
	}
	if nr.pending() != cycleQueue || nr.drops.Load() != 5 {
		t.Fatalf("%d cycles pending, %d dropped; want %d and 5", nr.pending(), nr.drops.Load(), cycleQueue)
	}
	nr.pump()
	w.cycle(clock.Now())
	if nr.pending() != 1 || nr.drops.Load() != 5 {
		t.Errorf("after catching up: %d pending, %d dropped", nr.pending(), nr.drops.Load())
	}
	nr.pump()
	for rec.Stats().QueuedBytes > 0 {
		time.Sleep(time.Millisecond)
	}
	if got := rec.Stats().Messages; got != 2*(cycleQueue+1) {
		t.Errorf("%d messages written, want a cycle record and a state for each of %d cycles", got, cycleQueue+1)
	}
}

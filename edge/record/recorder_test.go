package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/record/mcap"
)

var (
	stateTopic  = &Topic{Name: "/v2x/state", MessageEncoding: "json", SchemaName: "State", SchemaEncoding: "jsonschema", Schema: []byte(`{"type":"object"}`)}
	ingestTopic = &Topic{Name: "/v2x/ingest", MessageEncoding: "v2x-native", SchemaName: "Frame", SchemaEncoding: "text/markdown", Schema: []byte("a frame")}
)

// readDir scans every file in dir in name order and returns, per file,
// the messages' sequence numbers and whether the file was complete.
func readDir(t *testing.T, dir string, stickyWanted bool) (seqs [][]uint32, complete []bool, topics []map[string]bool) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"+Suffix))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := mcap.NewScanner(bytes.NewReader(b))
		var s []uint32
		sticky := 0
		info, err := sc.Scan(func(c *mcap.Channel, m *mcap.Message) error {
			if c.Topic == "/config" {
				if string(m.Data) != `{"k":1}` {
					t.Errorf("sticky message %q", m.Data)
				}
				sticky++
				return nil
			}
			s = append(s, m.Sequence)
			return nil
		})
		if stickyWanted && sticky != 1 {
			t.Errorf("%s: %d sticky messages, want 1", f, sticky)
		}
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		tp := map[string]bool{}
		for id := uint16(0); sc.Channel(id) != nil; id++ {
			tp[sc.Channel(id).Topic] = true
		}
		seqs, complete, topics = append(seqs, s), append(complete, info.Complete), append(topics, tp)
	}
	return seqs, complete, topics
}

// payload is message i: its number, then incompressible bytes.
func payload(i int, n int) []byte {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	for j := range b {
		b[j] = byte(rng.Uint32())
	}
	binary.LittleEndian.PutUint32(b, uint32(i))
	return b
}

func TestRecordAndRotate(t *testing.T) {
	dir := t.TempDir()
	r, err := New(Config{Dir: dir, MaxFile: 1 << 20, MaxTotal: 64 << 20, ChunkSize: 64 << 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Sticky(r.AddChannel(&Topic{Name: "/config", MessageEncoding: "json"}, nil), 1, []byte(`{"k":1}`))
	st := r.AddChannel(stateTopic, map[string]string{"node": "a"})
	in := r.AddChannel(ingestTopic, map[string]string{"stream": "4"})
	const n = 3000
	for i := 0; i < n; i++ {
		ch := st
		if i%2 == 1 {
			ch = in
		}
		for !r.Write(ch, uint32(i), int64(i)*1e6, int64(i)*1e6, payload(i, 1000)) {
			time.Sleep(time.Millisecond) // the queue is full: let the writer catch up
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	seqs, complete, topics := readDir(t, dir, true)
	if len(seqs) < 3 {
		t.Fatalf("%d files for 3 MB at 1 MiB each", len(seqs))
	}
	var all []uint32
	for i, s := range seqs {
		all = append(all, s...)
		if !complete[i] {
			t.Errorf("file %d not complete", i)
		}
		if !topics[i]["/v2x/state"] || !topics[i]["/v2x/ingest"] {
			t.Errorf("file %d declares %v", i, topics[i])
		}
	}
	if len(all) != n {
		t.Fatalf("%d messages in the files, want %d", len(all), n)
	}
	for i, s := range all {
		if s != uint32(i) {
			t.Fatalf("message %d has sequence %d", i, s)
		}
	}
	if s := r.Stats(); s.Messages != n+1 || s.Dropped != 0 || s.Files != uint64(len(seqs)) || s.QueuedBytes != 0 {
		t.Errorf("stats %+v", s)
	}
	if r.Write(st, 0, 0, 0, []byte("late")) || r.Stats().Dropped != 1 {
		t.Error("a write after Close was not dropped and counted")
	}
}

func TestMaxTotalDeletesOldest(t *testing.T) {
	dir := t.TempDir()
	r, err := New(Config{Dir: dir, MaxFile: 1 << 20, MaxTotal: 3 << 20, ChunkSize: 64 << 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := r.AddChannel(ingestTopic, nil)
	for i := 0; i < 8000; i++ {
		for !r.Write(ch, uint32(i), int64(i), int64(i), payload(i, 1000)) {
			time.Sleep(time.Millisecond)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	seqs, _, _ := readDir(t, dir, false)
	var total int64
	files, _ := filepath.Glob(filepath.Join(dir, "*"+Suffix))
	for _, f := range files {
		fi, _ := os.Stat(f)
		total += fi.Size()
	}
	// The last file may run a chunk past MaxFile before it rotates.
	if total > 3<<20+256<<10 {
		t.Errorf("%d bytes on disk, bound 3 MiB", total)
	}
	st := r.Stats()
	if st.Deleted == 0 || st.Deleted+uint64(len(seqs)) != st.Files {
		t.Errorf("stats %+v with %d files left", st, len(seqs))
	}
	// What is left is the newest: it ends with the last message.
	last := seqs[len(seqs)-1]
	if last[len(last)-1] != 7999 {
		t.Errorf("the newest file ends with %d", last[len(last)-1])
	}
}

// TestDropsWhenFull: with the writer held, messages beyond the queue's
// bytes are dropped and counted; the rest are written once it runs.
func TestDropsWhenFull(t *testing.T) {
	dir := t.TempDir()
	r, err := open(Config{Dir: dir, QueueBytes: 1 << 16}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := r.AddChannel(ingestTopic, nil)
	accepted := 0
	for i := 0; i < 200; i++ {
		if r.Write(ch, uint32(i), 0, 0, payload(i, 1000)) {
			accepted++
		}
	}
	if accepted != 65 || r.Stats().Dropped != 200-65 { // 65 × 1000 B fit in 64 KiB
		t.Fatalf("accepted %d, dropped %d", accepted, r.Stats().Dropped)
	}
	if r.Write(ch, 0, 0, 0, make([]byte, 1<<17)) {
		t.Error("a message larger than the queue was accepted")
	}
	go r.run()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	seqs, _, _ := readDir(t, dir, false)
	if len(seqs) != 1 || len(seqs[0]) != accepted {
		t.Errorf("files %v, want one with %d messages", seqs, accepted)
	}
}

// TestCrashLeavesReadableFile: a recorder that never closes (a node
// killed with -9) leaves a file readable up to its last flushed chunk.
func TestCrashLeavesReadableFile(t *testing.T) {
	dir := t.TempDir()
	r, err := New(Config{Dir: dir, FlushEvery: 20 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := r.AddChannel(stateTopic, nil)
	for i := 0; i < 100; i++ {
		r.Write(ch, uint32(i), int64(i), int64(i), payload(i, 300))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*"+Suffix))
		b, _ := os.ReadFile(files[0])
		var got int
		info, err := mcap.NewScanner(bytes.NewReader(b)).Scan(func(*mcap.Channel, *mcap.Message) error { got++; return nil })
		if err != nil && !errors.Is(err, mcap.ErrNotMCAP) { // nothing flushed yet
			t.Fatal(err)
		}
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if got == 100 {
			if !info.Truncated || info.Complete {
				t.Errorf("info %+v for a file not closed", info)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 100 messages readable after 5 s of 20 ms flushes", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.Close()
}

func TestWriteAllocs(t *testing.T) {
	r, err := New(Config{Dir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ch := r.AddChannel(ingestTopic, nil)
	hdr, body := make([]byte, 40), make([]byte, 300)
	for i := 0; i < 5000; i++ {
		r.Write(ch, 0, 0, 0, hdr, body)
	}
	// Steady state: the writer keeps up (a node records far less than it
	// can write), so buffers come back to the free list. The writer's
	// own allocations count too (AllocsPerRun reads the process's).
	drain := func() {
		for r.Stats().QueuedBytes != 0 {
			runtime.Gosched()
		}
	}
	drain()
	if a := testing.AllocsPerRun(100, func() { r.Write(ch, 0, 0, 0, hdr, body); drain() }); a > 0.01 {
		t.Errorf("Write: %v allocs, want 0", a)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{},
		{Dir: "x", MaxFile: 1000},
		{Dir: "x", MaxAge: time.Millisecond},
		{Dir: "x", MaxFile: 8 << 20, MaxTotal: 1 << 20},
	} {
		c.SetDefaults()
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

package mcap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"testing"
)

// sample writes msgs messages round-robin on three channels (two with a
// JSON schema, one binary without) and returns the file and the messages.
func sample(t testing.TB, compression string, chunkSize, msgs int) ([]byte, []Message) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, WriterOptions{Profile: "", Compression: compression, ChunkSize: chunkSize})
	if err != nil {
		t.Fatal(err)
	}
	sid, err := w.AddSchema("v2x.State", "jsonschema", []byte(`{"type":"object"}`))
	if err != nil {
		t.Fatal(err)
	}
	var chans [3]uint16
	for i, c := range []struct {
		schema uint16
		topic  string
		enc    string
	}{{sid, "/state", "json"}, {sid, "/events", "json"}, {0, "/ingest", "v2x-native"}} {
		if chans[i], err = w.AddChannel(c.schema, c.topic, c.enc, map[string]string{"node": "n1", "i": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var want []Message
	for i := 0; i < msgs; i++ {
		m := Message{ChannelID: chans[i%3], Sequence: uint32(i), LogTime: uint64(1e9 + i*1e6), PublishTime: uint64(1e9 + i*1e6 - 500)}
		m.Data = []byte(fmt.Sprintf(`{"i":%d,"pad":"%0*d"}`, i, i%50, 0))
		if err := w.WriteMessage(&m); err != nil {
			t.Fatal(err)
		}
		want = append(want, m)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteMessage(&want[0]); err != ErrClosed {
		t.Errorf("WriteMessage after Close: %v, want ErrClosed", err)
	}
	return buf.Bytes(), want
}

func scanAll(t *testing.T, b []byte) ([]Message, ScanInfo, error) {
	var got []Message
	info, err := NewScanner(bytes.NewReader(b)).Scan(func(c *Channel, m *Message) error {
		if c.ID != m.ChannelID {
			t.Fatalf("channel %d for a message on %d", c.ID, m.ChannelID)
		}
		cp := *m
		cp.Data = bytes.Clone(m.Data)
		got = append(got, cp)
		return nil
	})
	return got, info, err
}

func TestRoundTrip(t *testing.T) {
	for _, comp := range []string{CompressionZstd, "none"} {
		t.Run("compression="+comp, func(t *testing.T) {
			b, want := sample(t, comp, 2000, 500)
			got, info, err := scanAll(t, b)
			if err != nil {
				t.Fatal(err)
			}
			if !info.Complete || info.Truncated || info.Library != "v2x-edge" {
				t.Errorf("info %+v", info)
			}
			if len(got) != len(want) {
				t.Fatalf("%d messages, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].ChannelID != want[i].ChannelID || got[i].Sequence != want[i].Sequence || got[i].LogTime != want[i].LogTime ||
					got[i].PublishTime != want[i].PublishTime || !bytes.Equal(got[i].Data, want[i].Data) {
					t.Fatalf("message %d: %+v, want %+v", i, got[i], want[i])
				}
			}
			checkStructure(t, b, want, info.Chunks)
		})
	}
}

// checkStructure reads the file through its index, as a seeking reader
// would, and checks every offset, length, count and CRC against the bytes.
func checkStructure(t *testing.T, b []byte, want []Message, chunks int) {
	t.Helper()
	s, err := ReadSummary(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	st := s.Statistics
	if st == nil || st.MessageCount != uint64(len(want)) || st.SchemaCount != 1 || st.ChannelCount != 3 || int(st.ChunkCount) != chunks ||
		st.MessageStartTime != want[0].LogTime || st.MessageEndTime != want[len(want)-1].LogTime {
		t.Fatalf("statistics %+v", st)
	}
	perChan := map[uint16]uint64{}
	for _, m := range want {
		perChan[m.ChannelID]++
	}
	for id, n := range perChan {
		if st.ChannelMessageCounts[id] != n {
			t.Errorf("channel %d: count %d, want %d", id, st.ChannelMessageCounts[id], n)
		}
	}
	if len(s.Channels) != 3 || s.Channels[2].Topic != "/ingest" || s.Channels[0].Metadata["node"] != "n1" || len(s.Schemas) != 1 {
		t.Errorf("summary channels %v schemas %v", s.Channels, s.Schemas)
	}
	if len(s.ChunkIndexes) != chunks || chunks < 2 {
		t.Fatalf("%d chunk indexes for %d chunks", len(s.ChunkIndexes), chunks)
	}
	indexed := 0
	for _, ci := range s.ChunkIndexes {
		rec := b[ci.ChunkStartOffset : ci.ChunkStartOffset+ci.ChunkLength]
		if rec[0] != OpChunk || binary.LittleEndian.Uint64(rec[1:]) != ci.ChunkLength-9 {
			t.Fatalf("chunk index %+v does not point at a chunk record", ci)
		}
		var ml uint64
		for ch, off := range ci.MessageIndexOffsets {
			if b[off] != OpMessageIndex || binary.LittleEndian.Uint16(b[off+9:]) != ch {
				t.Fatalf("message index offset %d of channel %d points at opcode 0x%02x", off, ch, b[off])
			}
			n := binary.LittleEndian.Uint64(b[off+1:])
			ml += 9 + n
			indexed += int(binary.LittleEndian.Uint32(b[off+11:])) / 16
			if off < ci.ChunkStartOffset+ci.ChunkLength || off >= ci.ChunkStartOffset+ci.ChunkLength+ci.MessageIndexLength {
				t.Errorf("message index at %d outside the chunk's index range", off)
			}
		}
		if ml != ci.MessageIndexLength {
			t.Errorf("message indexes %d bytes, index says %d", ml, ci.MessageIndexLength)
		}
	}
	if indexed != len(want) {
		t.Errorf("%d messages indexed, want %d", indexed, len(want))
	}
	// Summary offsets point at groups of their opcode.
	for op, g := range s.Groups {
		if b[g[0]] != op {
			t.Errorf("summary offset of 0x%02x points at 0x%02x", op, b[g[0]])
		}
	}
	for _, op := range []byte{OpSchema, OpChannel, OpStatistics, OpChunkIndex} {
		if _, ok := s.Groups[op]; !ok {
			t.Errorf("no summary offset for 0x%02x", op)
		}
	}
	// The data section CRC in Data End covers every byte before it.
	footerStart := len(b) - footerLen
	summaryStart := binary.LittleEndian.Uint64(b[footerStart+9:])
	de := int(summaryStart) - 13
	if b[de] != OpDataEnd || binary.LittleEndian.Uint32(b[de+9:]) != crc32.ChecksumIEEE(b[:de]) {
		t.Errorf("data end record or its CRC wrong")
	}
}

// TestTruncated: a file cut anywhere reads without error up to its last
// complete chunk, and says it was cut.
func TestTruncated(t *testing.T) {
	b, want := sample(t, CompressionZstd, 1500, 300)
	s, err := ReadSummary(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	// Messages in chunks that end at or before each cut.
	for cut := 0; cut < len(b)-footerLen; cut += 7 {
		got, info, err := scanAll(t, b[:cut])
		if cut < 8 {
			if err == nil {
				t.Fatalf("cut at %d: no error for a file without magic", cut)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if !info.Truncated || info.Complete {
			t.Fatalf("cut at %d: info %+v", cut, info)
		}
		n := 0
		for _, ci := range s.ChunkIndexes {
			if ci.ChunkStartOffset+ci.ChunkLength <= uint64(cut) {
				n += int(countIn(b, ci))
			}
		}
		if len(got) != n {
			t.Fatalf("cut at %d: %d messages recovered, want %d (the complete chunks')", cut, len(got), n)
		}
		for i := range got {
			if got[i].Sequence != want[i].Sequence {
				t.Fatalf("cut at %d: message %d is %d", cut, i, got[i].Sequence)
			}
		}
	}
}

func countIn(b []byte, ci ChunkIndex) uint64 {
	var n uint64
	for _, off := range ci.MessageIndexOffsets {
		n += uint64(binary.LittleEndian.Uint32(b[off+11:])) / 16
	}
	return n
}

func TestDamaged(t *testing.T) {
	b, _ := sample(t, "none", 1500, 100)
	s, err := ReadSummary(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	// Flip a byte inside the first chunk's records: its CRC catches it.
	bad := bytes.Clone(b)
	bad[s.ChunkIndexes[0].ChunkStartOffset+s.ChunkIndexes[0].ChunkLength-3] ^= 0xFF
	if _, _, err := scanAll(t, bad); err == nil {
		t.Error("a damaged chunk read without error")
	}
	bad = bytes.Clone(b)
	bad[len(bad)-footerLen-5] ^= 0xFF // inside the summary
	if _, err := ReadSummary(bytes.NewReader(bad), int64(len(bad))); err == nil {
		t.Error("a damaged summary read without error")
	}
	if _, _, err := scanAll(t, []byte("PK\x03\x04 not mcap")); err != ErrNotMCAP {
		t.Errorf("not MCAP: %v", err)
	}
}

func TestWriteMessageAllocs(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, WriterOptions{ChunkSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := w.AddChannel(0, "/x", "v2x-native", nil)
	m := Message{ChannelID: ch, Data: make([]byte, 200)}
	for i := 0; i < 2000; i++ { // grow the chunk buffers
		m.LogTime++
		if err := w.WriteMessage(&m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		m.LogTime++
		if err := w.WriteMessage(&m); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("WriteMessage: %v allocs, want 0", allocs)
	}
}

func TestEmptyFile(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, info, err := scanAll(t, buf.Bytes())
	if err != nil || len(got) != 0 || !info.Complete {
		t.Fatalf("empty file: %d messages, %+v, %v", len(got), info, err)
	}
	if _, err := ReadSummary(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		t.Fatal(err)
	}
}

func FuzzScan(f *testing.F) {
	b, _ := sample(f, CompressionZstd, 1000, 40)
	f.Add(b)
	b, _ = sample(f, "none", 1000, 40)
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		info, err := NewScanner(bytes.NewReader(b)).Scan(func(*Channel, *Message) error { n++; return nil })
		if err == nil && info.Messages != uint64(n) {
			t.Fatalf("info says %d messages, %d delivered", info.Messages, n)
		}
		_, _ = ReadSummary(bytes.NewReader(b), int64(len(b)))
	})
}

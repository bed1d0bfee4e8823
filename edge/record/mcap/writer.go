package mcap

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"

	"github.com/klauspost/compress/zstd"
)

// Compression of the chunks.
const (
	CompressionZstd = "zstd"
	CompressionNone = ""
)

// WriterOptions tune a Writer. The zero value is usable.
type WriterOptions struct {
	// Profile and Library fill the Header. Library defaults to "v2x-edge".
	Profile, Library string
	// ChunkSize is the uncompressed size at which a chunk is closed and
	// written (default 1 MiB).
	ChunkSize int
	// Compression is CompressionZstd (the default, also for "zstd") or
	// "none" for uncompressed chunks.
	Compression string
}

// ErrClosed is returned by a Writer used after Close.
var ErrClosed = errors.New("mcap: writer closed")

// indexEntry locates a message in the open chunk.
type indexEntry struct {
	channel uint16
	logTime uint64
	offset  uint64 // in the uncompressed records
}

type chunkIndex struct {
	start, end       uint64
	offset, length   uint64
	msgIndexOffsets  []uint64 // pairs: channel id, offset
	msgIndexLength   uint64
	compressed, size uint64
}

// Writer writes one MCAP file. It is not safe for concurrent use: one
// goroutine owns it.
type Writer struct {
	bw   *bufio.Writer
	off  uint64 // bytes written so far
	crc  uint32 // of the data section so far
	comp string
	enc  *zstd.Encoder

	chunkSize  int
	chunk      []byte // the open chunk's uncompressed records
	chunkStart uint64
	chunkEnd   uint64
	chunkMsgs  int
	index      []indexEntry
	zbuf, rec  []byte

	schemas  []Schema
	channels []Channel
	counts   []uint64 // messages per channel, by position in channels
	chunks   []chunkIndex
	messages uint64
	start    uint64
	end      uint64
	closed   bool
	err      error
}

// NewWriter writes the magic and the Header to w and returns a Writer.
func NewWriter(w io.Writer, opts WriterOptions) (*Writer, error) {
	mw := &Writer{bw: bufio.NewWriterSize(w, 64<<10), chunkSize: opts.ChunkSize}
	if mw.chunkSize <= 0 {
		mw.chunkSize = 1 << 20
	}
	switch opts.Compression {
	case CompressionZstd, "":
		mw.comp = CompressionZstd
		var err error
		if mw.enc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1)); err != nil {
			return nil, fmt.Errorf("mcap: zstd: %w", err)
		}
	case "none":
		mw.comp = CompressionNone
	default:
		return nil, fmt.Errorf("mcap: compression %q: want zstd or none", opts.Compression)
	}
	if opts.Library == "" {
		opts.Library = "v2x-edge"
	}
	b := append(mw.rec[:0], Magic[:]...)
	b, at := beginRecord(b, OpHeader)
	b = appendString(b, opts.Profile)
	b = appendString(b, opts.Library)
	b = endRecord(b, at)
	mw.rec = b
	if err := mw.write(b); err != nil {
		return nil, err
	}
	return mw, nil
}

func (w *Writer) write(p []byte) error {
	if w.err != nil {
		return w.err
	}
	if _, err := w.bw.Write(p); err != nil {
		w.err = fmt.Errorf("mcap: write: %w", err)
		return w.err
	}
	w.off += uint64(len(p))
	w.crc = crc32.Update(w.crc, crc32.IEEETable, p)
	return nil
}

// AddSchema records a schema and returns its id (from 1).
func (w *Writer) AddSchema(name, encoding string, data []byte) (uint16, error) {
	if w.closed {
		return 0, ErrClosed
	}
	if len(w.schemas) == 0xFFFF {
		return 0, errors.New("mcap: too many schemas")
	}
	s := Schema{ID: uint16(len(w.schemas) + 1), Name: name, Encoding: encoding, Data: slices.Clone(data)}
	w.schemas = append(w.schemas, s)
	w.rec = appendSchema(w.rec[:0], &s)
	return s.ID, w.write(w.rec)
}

// AddChannel records a channel and returns its id (from 0).
func (w *Writer) AddChannel(schemaID uint16, topic, messageEncoding string, metadata map[string]string) (uint16, error) {
	if w.closed {
		return 0, ErrClosed
	}
	if int(schemaID) > len(w.schemas) {
		return 0, fmt.Errorf("mcap: channel %q: schema %d not added", topic, schemaID)
	}
	if len(w.channels) == 0xFFFF {
		return 0, errors.New("mcap: too many channels")
	}
	m := make(map[string]string, len(metadata))
	for k, v := range metadata {
		m[k] = v
	}
	c := Channel{ID: uint16(len(w.channels)), SchemaID: schemaID, Topic: topic, MessageEncoding: messageEncoding, Metadata: m}
	w.channels = append(w.channels, c)
	w.counts = append(w.counts, 0)
	w.rec = appendChannel(w.rec[:0], &c)
	return c.ID, w.write(w.rec)
}

// WriteMessage adds a message to the open chunk, writing the chunk when
// it reaches the chunk size. It allocates nothing once the chunk buffers
// have grown.
func (w *Writer) WriteMessage(m *Message) error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	if int(m.ChannelID) >= len(w.channels) {
		return fmt.Errorf("mcap: message on channel %d: not added", m.ChannelID)
	}
	if w.chunkMsgs == 0 || m.LogTime < w.chunkStart {
		w.chunkStart = m.LogTime
	}
	if w.chunkMsgs == 0 || m.LogTime > w.chunkEnd {
		w.chunkEnd = m.LogTime
	}
	w.index = append(w.index, indexEntry{channel: m.ChannelID, logTime: m.LogTime, offset: uint64(len(w.chunk))})
	w.chunk = appendMessage(w.chunk, m)
	w.chunkMsgs++
	w.counts[m.ChannelID]++
	if w.messages == 0 || m.LogTime < w.start {
		w.start = m.LogTime
	}
	if w.messages == 0 || m.LogTime > w.end {
		w.end = m.LogTime
	}
	w.messages++
	if len(w.chunk) >= w.chunkSize {
		return w.closeChunk()
	}
	return nil
}

// Flush writes the open chunk, if any, and flushes buffered bytes to the
// underlying writer: after it, a reader of the file (or of what a crash
// left of it) sees every message written so far.
func (w *Writer) Flush() error {
	if w.closed {
		return ErrClosed
	}
	if err := w.closeChunk(); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil && w.err == nil {
		w.err = fmt.Errorf("mcap: write: %w", err)
	}
	return w.err
}

// Size is the number of bytes written so far, the open chunk not counted.
func (w *Writer) Size() uint64 { return w.off }

// Messages is the number of messages written so far.
func (w *Writer) Messages() uint64 { return w.messages }

// closeChunk writes the open chunk and its message indexes.
func (w *Writer) closeChunk() error {
	if w.chunkMsgs == 0 {
		return w.err
	}
	records := w.chunk
	data := records
	if w.comp == CompressionZstd {
		w.zbuf = w.enc.EncodeAll(records, w.zbuf[:0])
		data = w.zbuf
	}
	ci := chunkIndex{start: w.chunkStart, end: w.chunkEnd, offset: w.off, compressed: uint64(len(data)), size: uint64(len(records))}
	b, at := beginRecord(w.rec[:0], OpChunk)
	b = appendU64(b, w.chunkStart)
	b = appendU64(b, w.chunkEnd)
	b = appendU64(b, uint64(len(records)))
	b = appendU32(b, crc32.ChecksumIEEE(records))
	b = appendString(b, w.comp)
	b = appendU64(b, uint64(len(data)))
	b = endRecord(b, at)
	// The length so far excludes the records; add them without copying.
	total := uint64(len(b)-at-8) + uint64(len(data))
	putU64(b[at:], total)
	w.rec = b
	if err := w.write(b); err != nil {
		return err
	}
	if err := w.write(data); err != nil {
		return err
	}
	ci.length = w.off - ci.offset

	// One message index per channel in the chunk, in channel order;
	// within a channel, in the order written (stable sort).
	slices.SortStableFunc(w.index, func(a, b indexEntry) int { return int(a.channel) - int(b.channel) })
	idxStart := w.off
	for lo := 0; lo < len(w.index); {
		hi := lo
		for hi < len(w.index) && w.index[hi].channel == w.index[lo].channel {
			hi++
		}
		ci.msgIndexOffsets = append(ci.msgIndexOffsets, uint64(w.index[lo].channel), w.off)
		b, at := beginRecord(w.rec[:0], OpMessageIndex)
		b = appendU16(b, w.index[lo].channel)
		b = appendU32(b, uint32(16*(hi-lo)))
		for _, e := range w.index[lo:hi] {
			b = appendU64(b, e.logTime)
			b = appendU64(b, e.offset)
		}
		b = endRecord(b, at)
		w.rec = b
		if err := w.write(b); err != nil {
			return err
		}
		lo = hi
	}
	ci.msgIndexLength = w.off - idxStart
	w.chunks = append(w.chunks, ci)
	w.chunk, w.index, w.chunkMsgs = w.chunk[:0], w.index[:0], 0
	return nil
}

// Close writes the open chunk, the Data End record, the summary, the
// summary offsets and the footer, and flushes. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return ErrClosed
	}
	if err := w.closeChunk(); err != nil {
		return err
	}
	w.closed = true
	b, at := beginRecord(w.rec[:0], OpDataEnd)
	b = appendU32(b, w.crc)
	b = endRecord(b, at)
	if err := w.write(b); err != nil {
		return err
	}

	summaryStart := w.off
	w.crc = 0 // from here: the summary CRC
	type group struct {
		op            byte
		start, length uint64
	}
	var groups []group
	emit := func(op byte, recs []byte) error {
		if len(recs) == 0 {
			return nil
		}
		groups = append(groups, group{op, w.off, uint64(len(recs))})
		return w.write(recs)
	}
	var recs []byte
	for i := range w.schemas {
		recs = appendSchema(recs, &w.schemas[i])
	}
	if err := emit(OpSchema, recs); err != nil {
		return err
	}
	recs = recs[:0]
	for i := range w.channels {
		recs = appendChannel(recs, &w.channels[i])
	}
	if err := emit(OpChannel, recs); err != nil {
		return err
	}
	recs, at = beginRecord(recs[:0], OpStatistics)
	recs = appendU64(recs, w.messages)
	recs = appendU16(recs, uint16(len(w.schemas)))
	recs = appendU32(recs, uint32(len(w.channels)))
	recs = appendU32(recs, 0) // attachments
	recs = appendU32(recs, 0) // metadata
	recs = appendU32(recs, uint32(len(w.chunks)))
	recs = appendU64(recs, w.start)
	recs = appendU64(recs, w.end)
	recs = appendU32(recs, uint32(10*len(w.channels)))
	for i, n := range w.counts {
		recs = appendU16(recs, uint16(i))
		recs = appendU64(recs, n)
	}
	recs = endRecord(recs, at)
	if err := emit(OpStatistics, recs); err != nil {
		return err
	}
	recs = recs[:0]
	for _, c := range w.chunks {
		var at int
		recs, at = beginRecord(recs, OpChunkIndex)
		recs = appendU64(recs, c.start)
		recs = appendU64(recs, c.end)
		recs = appendU64(recs, c.offset)
		recs = appendU64(recs, c.length)
		recs = appendU32(recs, uint32(10*len(c.msgIndexOffsets)/2))
		for i := 0; i < len(c.msgIndexOffsets); i += 2 {
			recs = appendU16(recs, uint16(c.msgIndexOffsets[i]))
			recs = appendU64(recs, c.msgIndexOffsets[i+1])
		}
		recs = appendU64(recs, c.msgIndexLength)
		recs = appendString(recs, w.comp)
		recs = appendU64(recs, c.compressed)
		recs = appendU64(recs, c.size)
		recs = endRecord(recs, at)
	}
	if err := emit(OpChunkIndex, recs); err != nil {
		return err
	}

	offsetStart := w.off
	recs = recs[:0]
	for _, g := range groups {
		var at int
		recs, at = beginRecord(recs, OpSummaryOffset)
		recs = append(recs, g.op)
		recs = appendU64(recs, g.start)
		recs = appendU64(recs, g.length)
		recs = endRecord(recs, at)
	}
	if err := w.write(recs); err != nil {
		return err
	}
	if len(groups) == 0 {
		summaryStart, offsetStart = 0, 0
	}
	b, at = beginRecord(w.rec[:0], OpFooter)
	putU64(b[at:], 8+8+4)
	b = appendU64(b, summaryStart)
	b = appendU64(b, offsetStart)
	if err := w.write(b); err != nil { // the summary CRC covers these
		return err
	}
	b = appendU32(b[:0], w.crc)
	b = append(b, Magic[:]...)
	if err := w.write(b); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("mcap: write: %w", err)
	}
	return w.err
}

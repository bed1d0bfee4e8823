package mcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// ChunkIndex locates one chunk and its message indexes.
type ChunkIndex struct {
	MessageStartTime, MessageEndTime uint64
	ChunkStartOffset, ChunkLength    uint64
	MessageIndexOffsets              map[uint16]uint64
	MessageIndexLength               uint64
	Compression                      string
	CompressedSize, UncompressedSize uint64
}

// Statistics sums up a file.
type Statistics struct {
	MessageCount                     uint64
	SchemaCount                      uint16
	ChannelCount                     uint32
	AttachmentCount, MetadataCount   uint32
	ChunkCount                       uint32
	MessageStartTime, MessageEndTime uint64
	ChannelMessageCounts             map[uint16]uint64
}

// Summary is a file's summary section, read from its end.
type Summary struct {
	Schemas      map[uint16]*Schema
	Channels     map[uint16]*Channel
	Statistics   *Statistics
	ChunkIndexes []ChunkIndex
	// Groups maps each summary record opcode to its Summary Offset
	// (start, length).
	Groups map[byte][2]uint64
}

// footerLen is the Footer record with its opcode and length, then the
// trailing magic.
const footerLen = 9 + 20 + 8

// ReadSummary reads the footer and the summary section of a complete
// file of size bytes, checking the summary CRC.
func ReadSummary(r io.ReaderAt, size int64) (*Summary, error) {
	if size < 8+footerLen {
		return nil, errors.New("mcap: too short for a footer")
	}
	var tail [footerLen]byte
	if _, err := r.ReadAt(tail[:], size-footerLen); err != nil {
		return nil, fmt.Errorf("mcap: footer: %w", err)
	}
	if [8]byte(tail[29:]) != Magic || tail[0] != OpFooter || binary.LittleEndian.Uint64(tail[1:]) != 20 {
		return nil, errors.New("mcap: no footer at the end (a file cut off? Scan reads it)")
	}
	start := binary.LittleEndian.Uint64(tail[9:])
	offStart := binary.LittleEndian.Uint64(tail[17:])
	crc := binary.LittleEndian.Uint32(tail[25:])
	sum := &Summary{Schemas: map[uint16]*Schema{}, Channels: map[uint16]*Channel{}, Groups: map[byte][2]uint64{}}
	if start == 0 {
		return sum, nil
	}
	end := uint64(size - footerLen)
	if start > end || offStart > end || (offStart != 0 && offStart < start) {
		return nil, errors.New("mcap: footer offsets outside the file")
	}
	b := make([]byte, end-start+25) // the summary, the offsets and the footer up to its CRC
	if _, err := r.ReadAt(b, int64(start)); err != nil {
		return nil, fmt.Errorf("mcap: summary: %w", err)
	}
	if crc != 0 && crc32.ChecksumIEEE(b) != crc {
		return nil, errors.New("mcap: summary CRC mismatch")
	}
	b = b[:end-start]
	for len(b) > 0 {
		if len(b) < 9 {
			return nil, errors.New("mcap: summary: a record cut short")
		}
		op, n := b[0], binary.LittleEndian.Uint64(b[1:9])
		if n > uint64(len(b)-9) {
			return nil, errors.New("mcap: summary: a record past its end")
		}
		d := decoder{b: b[9 : 9+n]}
		switch op {
		case OpSchema:
			s := Schema{ID: d.u16(), Name: d.str(), Encoding: d.str(), Data: d.bytes32()}
			sum.Schemas[s.ID] = &s
		case OpChannel:
			c := Channel{ID: d.u16(), SchemaID: d.u16(), Topic: d.str(), MessageEncoding: d.str(), Metadata: d.strMap()}
			sum.Channels[c.ID] = &c
		case OpStatistics:
			s := Statistics{MessageCount: d.u64(), SchemaCount: d.u16(), ChannelCount: d.u32(), AttachmentCount: d.u32(),
				MetadataCount: d.u32(), ChunkCount: d.u32(), MessageStartTime: d.u64(), MessageEndTime: d.u64()}
			s.ChannelMessageCounts = map[uint16]uint64{}
			m := decoder{b: d.bytes32()}
			for len(m.b) > 0 && m.err == nil {
				k := m.u16()
				s.ChannelMessageCounts[k] = m.u64()
			}
			if m.err != nil {
				d.err = m.err
			}
			sum.Statistics = &s
		case OpChunkIndex:
			c := ChunkIndex{MessageStartTime: d.u64(), MessageEndTime: d.u64(), ChunkStartOffset: d.u64(), ChunkLength: d.u64()}
			c.MessageIndexOffsets = map[uint16]uint64{}
			m := decoder{b: d.bytes32()}
			for len(m.b) > 0 && m.err == nil {
				k := m.u16()
				c.MessageIndexOffsets[k] = m.u64()
			}
			if m.err != nil {
				d.err = m.err
			}
			c.MessageIndexLength, c.Compression, c.CompressedSize, c.UncompressedSize = d.u64(), d.str(), d.u64(), d.u64()
			sum.ChunkIndexes = append(sum.ChunkIndexes, c)
		case OpSummaryOffset:
			g := d.need(1)
			if d.err == nil {
				sum.Groups[g[0]] = [2]uint64{d.u64(), d.u64()}
			}
		}
		if d.err != nil {
			return nil, fmt.Errorf("mcap: summary record 0x%02x: %w", op, d.err)
		}
		b = b[9+n:]
	}
	return sum, nil
}

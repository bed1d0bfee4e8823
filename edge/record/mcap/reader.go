package mcap

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/zstd"
)

// MaxRecord bounds the length of one record a reader accepts (a chunk of
// a hostile or damaged file cannot make it allocate more).
const MaxRecord = 1 << 30

// ErrNotMCAP is returned for input that does not begin with the magic.
var ErrNotMCAP = errors.New("mcap: not an MCAP file (no magic)")

// ScanInfo says what a scan read.
type ScanInfo struct {
	Profile, Library string
	Chunks           int    // complete chunks read
	Messages         uint64 // messages delivered
	Bytes            int64  // bytes of complete records read, magic included
	// Truncated is set when the input ended before the footer: a file cut
	// off by a crash. What came before its last complete chunk was read.
	Truncated bool
	// Complete is set when the Data End record, the footer and the
	// trailing magic were all read.
	Complete bool
}

// Scanner reads an MCAP file from start to end, record by record,
// delivering messages in file order. It needs no index, so it also reads
// what a crash left of a file.
type Scanner struct {
	r        *bufio.Reader
	dec      *zstd.Decoder
	schemas  map[uint16]*Schema
	channels map[uint16]*Channel
	info     ScanInfo
	buf, raw []byte
}

// NewScanner reads from r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: bufio.NewReaderSize(r, 256<<10), schemas: map[uint16]*Schema{}, channels: map[uint16]*Channel{}}
}

// Channel returns the channel of id seen so far, or nil.
func (s *Scanner) Channel(id uint16) *Channel { return s.channels[id] }

// Schema returns the schema of id seen so far, or nil.
func (s *Scanner) Schema(id uint16) *Schema { return s.schemas[id] }

// Scan reads the whole input, calling fn for each message with its
// channel (the message's Data is only valid during the call). It stops at
// the first error fn returns. A truncated input is not an error: Info
// says so. A damaged one (bad magic, a bad CRC, a record that does not
// parse) is.
func (s *Scanner) Scan(fn func(*Channel, *Message) error) (ScanInfo, error) {
	var magic [8]byte
	if _, err := io.ReadFull(s.r, magic[:]); err != nil || magic != Magic {
		return s.info, ErrNotMCAP
	}
	s.info.Bytes = 8
	for {
		op, body, err := s.record()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				s.info.Truncated = true
				return s.info, nil
			}
			return s.info, err
		}
		switch op {
		case OpHeader:
			d := decoder{b: body}
			s.info.Profile, s.info.Library = d.str(), d.str()
			if d.err != nil {
				return s.info, fmt.Errorf("mcap: header: %w", d.err)
			}
		case OpChunk:
			if err := s.chunk(body, fn); err != nil {
				return s.info, err
			}
			s.info.Chunks++
		case OpSchema, OpChannel, OpMessage:
			if err := s.inner(op, body, fn); err != nil {
				return s.info, err
			}
		case OpFooter:
			var tail [8]byte
			if _, err := io.ReadFull(s.r, tail[:]); err != nil {
				s.info.Truncated = true
				return s.info, nil
			}
			if tail != Magic {
				return s.info, errors.New("mcap: no magic after the footer")
			}
			s.info.Bytes += 8
			s.info.Complete = true
			return s.info, nil
		}
		// Other records (indexes, summary, private ones) are skipped.
	}
}

// record reads one record; body is valid until the next call.
func (s *Scanner) record() (byte, []byte, error) {
	var h [9]byte
	if _, err := io.ReadFull(s.r, h[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	n := binary.LittleEndian.Uint64(h[1:])
	if h[0] == 0 {
		return 0, nil, fmt.Errorf("mcap: record of opcode 0 at byte %d", s.info.Bytes)
	}
	if n > MaxRecord {
		return 0, nil, fmt.Errorf("mcap: record 0x%02x at byte %d: length %d above %d", h[0], s.info.Bytes, n, MaxRecord)
	}
	// Grow with what arrives, not from the length alone.
	s.buf = s.buf[:0]
	for uint64(len(s.buf)) < n {
		want := n - uint64(len(s.buf))
		if want > 1<<20 {
			want = 1 << 20
		}
		at := len(s.buf)
		s.buf = append(s.buf, make([]byte, want)...)
		if _, err := io.ReadFull(s.r, s.buf[at:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, err
		}
	}
	s.info.Bytes += 9 + int64(n)
	return h[0], s.buf, nil
}

// chunk reads a Chunk record's records.
func (s *Scanner) chunk(body []byte, fn func(*Channel, *Message) error) error {
	d := decoder{b: body}
	d.u64() // message_start_time
	d.u64() // message_end_time
	size := d.u64()
	crc := d.u32()
	comp := d.str()
	data := d.bytes64()
	if d.err != nil {
		return fmt.Errorf("mcap: chunk: %w", d.err)
	}
	if size > MaxRecord {
		return fmt.Errorf("mcap: chunk: uncompressed size %d above %d", size, MaxRecord)
	}
	switch comp {
	case CompressionNone:
	case CompressionZstd:
		if s.dec == nil {
			var err error
			if s.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxRecord)); err != nil {
				return fmt.Errorf("mcap: zstd: %w", err)
			}
		}
		var err error
		if s.raw, err = s.dec.DecodeAll(data, s.raw[:0]); err != nil {
			return fmt.Errorf("mcap: chunk: zstd: %w", err)
		}
		data = s.raw
	default:
		return fmt.Errorf("mcap: chunk: compression %q not supported (zstd and none are)", comp)
	}
	if uint64(len(data)) != size {
		return fmt.Errorf("mcap: chunk: %d bytes uncompressed, the record says %d", len(data), size)
	}
	if crc != 0 && crc32.ChecksumIEEE(data) != crc {
		return errors.New("mcap: chunk: CRC mismatch")
	}
	for len(data) > 0 {
		if len(data) < 9 {
			return errors.New("mcap: chunk: a record cut short")
		}
		op, n := data[0], binary.LittleEndian.Uint64(data[1:9])
		if n > uint64(len(data)-9) {
			return fmt.Errorf("mcap: chunk: record 0x%02x of %d bytes past the chunk's end", op, n)
		}
		if err := s.inner(op, data[9:9+n], fn); err != nil {
			return err
		}
		data = data[9+n:]
	}
	return nil
}

// inner handles a Schema, Channel or Message record.
func (s *Scanner) inner(op byte, body []byte, fn func(*Channel, *Message) error) error {
	d := decoder{b: body}
	switch op {
	case OpSchema:
		sc := Schema{ID: d.u16(), Name: d.str(), Encoding: d.str(), Data: bytes.Clone(d.bytes32())}
		if d.err != nil {
			return fmt.Errorf("mcap: schema: %w", d.err)
		}
		if sc.ID != 0 {
			s.schemas[sc.ID] = &sc
		}
	case OpChannel:
		c := Channel{ID: d.u16(), SchemaID: d.u16(), Topic: d.str(), MessageEncoding: d.str(), Metadata: d.strMap()}
		if d.err != nil {
			return fmt.Errorf("mcap: channel: %w", d.err)
		}
		s.channels[c.ID] = &c
	case OpMessage:
		m := Message{ChannelID: d.u16(), Sequence: d.u32(), LogTime: d.u64(), PublishTime: d.u64()}
		if d.err != nil {
			return fmt.Errorf("mcap: message: %w", d.err)
		}
		m.Data = d.b
		c := s.channels[m.ChannelID]
		if c == nil {
			return fmt.Errorf("mcap: message on channel %d before its Channel record", m.ChannelID)
		}
		s.info.Messages++
		return fn(c, &m)
	}
	return nil
}

// decoder reads the specification's serialization from a byte slice; the
// first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) need(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if uint64(len(d.b)) < n {
		d.err = io.ErrUnexpectedEOF
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u16() uint16 {
	if p := d.need(2); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if p := d.need(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.need(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) bytes32() []byte { return d.need(uint64(d.u32())) }
func (d *decoder) bytes64() []byte { return d.need(d.u64()) }
func (d *decoder) str() string     { return string(d.bytes32()) }

func (d *decoder) strMap() map[string]string {
	sub := decoder{b: d.bytes32()}
	if d.err != nil {
		return nil
	}
	m := map[string]string{}
	for len(sub.b) > 0 && sub.err == nil {
		k := sub.str()
		m[k] = sub.str()
	}
	if sub.err != nil {
		d.err = sub.err
	}
	return m
}

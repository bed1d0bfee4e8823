package wire

import (
	"errors"
	"fmt"
	"io"
)

// Reader reads frames from a byte stream. It owns one buffer that grows to
// the largest frame seen, so steady-state reading does not allocate.
type Reader struct {
	r        io.Reader
	maxFrame int
	buf      []byte
	off      int64 // stream offset of the next frame
}

// NewReader returns a Reader that rejects frames whose length field exceeds
// maxFrame (DefaultMaxFrame if maxFrame <= 0).
func NewReader(r io.Reader, maxFrame int) *Reader {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	return &Reader{r: r, maxFrame: maxFrame, buf: make([]byte, 4096)}
}

// Offset returns the stream offset of the next frame.
func (r *Reader) Offset() int64 { return r.off }

// Next reads one frame. The payload aliases the Reader's buffer and is valid
// until the next call. At a clean end of stream it returns io.EOF.
//
// An error wrapping ErrLength means the stream's framing is lost: no further
// frame can be read. ErrVersion comes with a valid header and the payload
// already skipped, so reading may continue. A stream that ends inside a
// frame returns io.ErrUnexpectedEOF.
func (r *Reader) Next() (Header, []byte, error) {
	if _, err := io.ReadFull(r.r, r.buf[:HeaderLen]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Header{}, nil, fmt.Errorf("frame header at offset %d: %w", r.off, err)
		}
		return Header{}, nil, err
	}
	h, err := ParseHeader(r.buf[:HeaderLen], r.maxFrame)
	if errors.Is(err, ErrLength) {
		return h, nil, fmt.Errorf("frame at offset %d: %w", r.off, err)
	}
	if cap(r.buf) < HeaderLen+h.Length {
		nb := make([]byte, HeaderLen+h.Length)
		copy(nb, r.buf[:HeaderLen])
		r.buf = nb
	}
	p := r.buf[HeaderLen : HeaderLen+h.Length]
	if _, rerr := io.ReadFull(r.r, p); rerr != nil {
		if errors.Is(rerr, io.EOF) {
			rerr = io.ErrUnexpectedEOF
		}
		return h, nil, fmt.Errorf("frame payload at offset %d: %w", r.off, rerr)
	}
	r.off += int64(HeaderLen + h.Length)
	if err != nil {
		return h, nil, fmt.Errorf("frame at offset %d: %w", r.off-int64(HeaderLen+h.Length), err)
	}
	return h, p, nil
}

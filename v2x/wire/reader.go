package wire

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// initialReaderBuf is the size of a Reader's buffer before any frame has
// needed more.
const initialReaderBuf = 4096

// ErrStalled says a frame did not arrive whole within the frame timeout
// after its first byte (SetFrameTimeout): the stream's framing is lost.
var ErrStalled = errors.New("wire: frame stalled mid-way")

// ErrIdle says no frame began before the idle deadline
// (SetIdleDeadline). Nothing was read: reading may go on.
var ErrIdle = errors.New("wire: no frame before the idle deadline")

// ErrBudget says a frame needed a larger buffer than the Reader's Budget
// grants: the stream's framing is lost.
var ErrBudget = errors.New("wire: frame buffer over budget")

// Budget accounts for the memory of Readers' buffers beyond their first
// 4 KiB, such as the bytes in flight of one identity's streams.
type Budget interface {
	// Take holds n more bytes and reports whether that was allowed.
	Take(n int64) bool
	// Give returns n bytes held by Take.
	Give(n int64)
}

// readDeadliner is a stream whose reads can be given a deadline (a QUIC
// stream, a net.Conn).
type readDeadliner interface {
	SetReadDeadline(t time.Time) error
}

// Reader reads frames from a byte stream. It owns one buffer that grows to
// the largest frame seen, so steady-state reading does not allocate. The
// buffer grows as a frame's bytes arrive, doubling, never from the length
// field alone: a peer that announces a large frame and sends nothing more
// costs no more memory than it sent.
type Reader struct {
	r        io.Reader
	maxFrame int
	buf      []byte
	off      int64 // stream offset of the next frame

	dl      readDeadliner // r's read deadline, with a frame timeout
	timeout time.Duration // 0: none
	armed   bool          // a read deadline is set on dl
	idle    time.Time     // Next waits for a frame's first byte until then; zero: no limit

	budget Budget // nil: none
	held   int64  // bytes taken from budget
}

// NewReader returns a Reader that rejects frames whose length field exceeds
// maxFrame (DefaultMaxFrame if maxFrame <= 0).
func NewReader(r io.Reader, maxFrame int) *Reader {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	return &Reader{r: r, maxFrame: maxFrame, buf: make([]byte, initialReaderBuf)}
}

// SetFrameTimeout bounds the time from a frame's first byte to its last:
// a frame that takes longer fails with ErrStalled. Waiting for a frame to
// begin is not bounded. It needs a stream with read deadlines (a QUIC
// stream, a net.Conn) and reports false without one; d <= 0 turns the
// bound off.
func (r *Reader) SetFrameTimeout(d time.Duration) bool {
	dl, ok := r.r.(readDeadliner)
	if !ok {
		return false
	}
	r.dl, r.timeout = dl, max(d, 0)
	return true
}

// SetBudget makes the Reader take the growth of its buffer beyond its
// first 4 KiB from b: a frame that would need more than b grants fails
// with ErrBudget. Release gives it back.
func (r *Reader) SetBudget(b Budget) { r.budget = b }

// Release drops the Reader's buffer, returning what it held to its
// budget. The Reader must not be used afterwards.
func (r *Reader) Release() {
	if r.budget != nil && r.held > 0 {
		r.budget.Give(r.held)
	}
	r.held, r.buf = 0, nil
}

// Offset returns the stream offset of the next frame.
func (r *Reader) Offset() int64 { return r.off }

// Cap returns the size of the Reader's buffer, for tests of its growth.
func (r *Reader) Cap() int { return cap(r.buf) }

// Next reads one frame. The payload aliases the Reader's buffer and is valid
// until the next call. At a clean end of stream it returns io.EOF.
//
// An error wrapping ErrLength or ErrStalled means the stream's framing is
// lost: no further frame can be read. ErrVersion comes with a valid header
// and the payload already skipped, so reading may continue. A stream that
// ends inside a frame returns io.ErrUnexpectedEOF.
func (r *Reader) Next() (Header, []byte, error) {
	if err := r.readHeader(); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrStalled) {
			return Header{}, nil, fmt.Errorf("frame header at offset %d: %w", r.off, err)
		}
		return Header{}, nil, err
	}
	h, err := ParseHeader(r.buf[:HeaderLen], r.maxFrame)
	if errors.Is(err, ErrLength) {
		return h, nil, fmt.Errorf("frame at offset %d: %w", r.off, err)
	}
	if rerr := r.readPayload(h.Length); rerr != nil {
		if errors.Is(rerr, io.EOF) {
			rerr = io.ErrUnexpectedEOF
		}
		return h, nil, fmt.Errorf("frame payload at offset %d: %w", r.off, rerr)
	}
	p := r.buf[HeaderLen : HeaderLen+h.Length]
	r.off += int64(HeaderLen + h.Length)
	if err != nil {
		return h, nil, fmt.Errorf("frame at offset %d: %w", r.off-int64(HeaderLen+h.Length), err)
	}
	return h, p, nil
}

// SetIdleDeadline bounds the wait for the next frame's first byte: when
// no frame has begun by t, Next returns ErrIdle and reading may go on.
// The zero time waits without a limit. It needs a stream with read
// deadlines (a QUIC stream, a net.Conn) and reports whether r has them.
func (r *Reader) SetIdleDeadline(t time.Time) bool {
	if r.dl == nil {
		dl, ok := r.r.(readDeadliner)
		if !ok {
			return false
		}
		r.dl = dl
	}
	r.idle = t
	return true
}

// readHeader waits for a frame's first byte (until the idle deadline, if
// one is set), then arms the frame timeout and reads the rest of the
// header.
func (r *Reader) readHeader() error {
	if r.timeout == 0 && r.idle.IsZero() && !r.armed {
		_, err := io.ReadFull(r.r, r.buf[:HeaderLen])
		return err
	}
	switch {
	case !r.idle.IsZero():
		r.dl.SetReadDeadline(r.idle)
		r.armed = true
	case r.armed:
		r.dl.SetReadDeadline(time.Time{})
		r.armed = false
	}
	if _, err := io.ReadFull(r.r, r.buf[:1]); err != nil {
		if !r.idle.IsZero() && errors.Is(stalled(err), ErrStalled) {
			return ErrIdle
		}
		return err
	}
	switch {
	case r.timeout > 0:
		r.dl.SetReadDeadline(time.Now().Add(r.timeout))
		r.armed = true
	case r.armed:
		r.dl.SetReadDeadline(time.Time{})
		r.armed = false
	}
	_, err := io.ReadFull(r.r, r.buf[1:HeaderLen])
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return stalled(err)
}

// readPayload reads n payload bytes after the header, growing the buffer
// by doubling as the bytes arrive.
func (r *Reader) readPayload(n int) error {
	need := HeaderLen + n
	if cap(r.buf) >= need {
		_, err := io.ReadFull(r.r, r.buf[HeaderLen:need])
		return stalled(err)
	}
	got := HeaderLen
	for got < need {
		if got == cap(r.buf) {
			size := min(need, 2*cap(r.buf))
			if r.budget != nil {
				if !r.budget.Take(int64(size - cap(r.buf))) {
					return fmt.Errorf("%w: %d bytes", ErrBudget, size)
				}
				r.held += int64(size - cap(r.buf))
			}
			nb := make([]byte, size)
			copy(nb, r.buf[:got])
			r.buf = nb
		}
		k, err := io.ReadFull(r.r, r.buf[got:min(need, cap(r.buf))])
		got += k
		if err != nil {
			return stalled(err)
		}
	}
	return nil
}

// stalled maps a read deadline's expiry to ErrStalled.
func stalled(err error) error {
	if err == nil {
		return nil
	}
	if ne := net.Error(nil); errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %w", ErrStalled, err)
	}
	return err
}

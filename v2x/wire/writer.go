package wire

import (
	"io"
	"sync"
	"time"
)

// Writer writes frames to a byte stream. Several goroutines may share one
// (a stream's reader answering clock requests while another goroutine
// sends data): each frame goes out whole. It reuses one buffer, so steady
// writing does not allocate.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// deadliner is what a QUIC send stream (or a net.Conn) offers.
type deadliner interface{ SetWriteDeadline(time.Time) error }

// WriteFrame encodes the frame with header h, fill appending its payload,
// and writes it. With ttl > 0 and an underlying writer that supports write
// deadlines, the write fails if it cannot complete within ttl.
func (w *Writer) WriteFrame(h *Header, ttl time.Duration, fill func([]byte) []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := AppendHeader(w.buf[:0], h)
	b = fill(b)
	FinishFrame(b, 0)
	w.buf = b
	if d, ok := w.w.(deadliner); ok && ttl > 0 {
		d.SetWriteDeadline(time.Now().Add(ttl))
		defer d.SetWriteDeadline(time.Time{})
	}
	_, err := w.w.Write(b)
	return err
}

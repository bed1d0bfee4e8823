package edge

import (
	"io"
	"sync"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// deadlineWriter is what a QUIC send stream offers.
type deadlineWriter interface {
	io.Writer
	SetWriteDeadline(time.Time) error
}

// frameWriter serialises the frames that several goroutines write to one
// stream (Error frames from the reader, clock requests from a ticker).
type frameWriter struct {
	mu  sync.Mutex
	w   deadlineWriter
	buf []byte
}

// write encodes one frame with fill appending the payload, and writes it
// with the given deadline (0: none).
func (fw *frameWriter) write(h *wire.Header, ttl time.Duration, fill func([]byte) []byte) error {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	b := wire.AppendHeader(fw.buf[:0], h)
	b = fill(b)
	wire.FinishFrame(b, 0)
	fw.buf = b
	if ttl > 0 {
		fw.w.SetWriteDeadline(time.Now().Add(ttl))
		defer fw.w.SetWriteDeadline(time.Time{})
	}
	_, err := fw.w.Write(b)
	return err
}

package wire

import (
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// stallHeader is a frame header whose length field announces n payload
// bytes.
func stallHeader(n int) []byte {
	b := AppendHeader(nil, &Header{Type: TypeObjectList, Seq: 1})
	binary.BigEndian.PutUint32(b, uint32(HeaderLen-4+n))
	return b
}

// TestReaderGrowsAsBytesArrive announces a frame of almost the largest
// allowed length and sends only part of it: the buffer holds what arrived
// (at most twice it), not what the length field claims.
func TestReaderGrowsAsBytesArrive(t *testing.T) {
	for _, sent := range []int{0, 100, 10 << 10} {
		a, b := net.Pipe()
		r := NewReader(a, DefaultMaxFrame)
		go func() {
			b.Write(stallHeader(DefaultMaxFrame - 64))
			b.Write(make([]byte, sent))
			b.Close()
		}()
		_, _, err := r.Next()
		if err == nil {
			t.Fatalf("sent %d: truncated frame read without error", sent)
		}
		if limit := max(2*(HeaderLen+sent), initialReaderBuf); r.Cap() > limit {
			t.Errorf("sent %d of a %d-byte frame: buffer grew to %d bytes, want at most %d", sent, DefaultMaxFrame, r.Cap(), limit)
		}
		a.Close()
	}
}

// TestReaderFrameTimeout: a frame that stops mid-way fails with ErrStalled
// after the frame timeout; waiting for a frame to begin does not time out.
func TestReaderFrameTimeout(t *testing.T) {
	cases := []struct {
		name string
		send []byte
	}{
		{"mid header", stallHeader(100)[:10]},
		{"mid payload", append(stallHeader(100), 1, 2, 3)},
		{"large length then nothing", stallHeader(DefaultMaxFrame - 64)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			defer b.Close()
			r := NewReader(a, 0)
			if !r.SetFrameTimeout(50 * time.Millisecond) {
				t.Fatal("SetFrameTimeout on a net.Conn reported no deadlines")
			}
			go b.Write(c.send)
			start := time.Now()
			_, _, err := r.Next()
			if !errors.Is(err, ErrStalled) {
				t.Fatalf("err = %v, want ErrStalled", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("stalled frame noticed after %v", d)
			}
		})
	}
	t.Run("idle between frames", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		r := NewReader(a, 0)
		r.SetFrameTimeout(20 * time.Millisecond)
		frame := buildFrame(nil, Header{}, TypeClockRequest, AppendClockRequest(nil, 1))
		go func() {
			b.Write(frame)
			time.Sleep(100 * time.Millisecond) // idle, longer than the timeout
			b.Write(frame)
		}()
		for i := range 2 {
			if _, _, err := r.Next(); err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
		}
	})
}

type testBudget struct{ left, taken int64 }

func (b *testBudget) Take(n int64) bool {
	if n > b.left {
		return false
	}
	b.left -= n
	b.taken += n
	return true
}

func (b *testBudget) Give(n int64) { b.left += n; b.taken -= n }

// TestReaderBudget: growth beyond the budget fails the frame with
// ErrBudget; Release gives back what the buffer held.
func TestReaderBudget(t *testing.T) {
	big := buildFrame(nil, Header{}, TypeObjectList, make([]byte, 20000))
	small := buildFrame(nil, Header{}, TypeObjectList, make([]byte, 9000))
	b := &testBudget{left: 12 << 10}
	a, w := net.Pipe()
	defer a.Close()
	r := NewReader(a, 0)
	r.SetBudget(b)
	go func() { w.Write(small); w.Write(big); w.Close() }()
	if _, _, err := r.Next(); err != nil {
		t.Fatalf("frame within budget: %v", err)
	}
	if _, _, err := r.Next(); !errors.Is(err, ErrBudget) {
		t.Fatalf("frame over budget: err = %v, want ErrBudget", err)
	}
	if b.taken == 0 {
		t.Fatal("growth not taken from the budget")
	}
	r.Release()
	if b.taken != 0 {
		t.Errorf("after Release %d bytes still held", b.taken)
	}
}

// TestReaderIdleDeadline: with no frame begun by the idle deadline, Next
// returns ErrIdle having read nothing, and the next frame reads whole; a
// frame that has begun is bound by the frame timeout, not the idle
// deadline; the zero deadline waits without a limit.
func TestReaderIdleDeadline(t *testing.T) {
	for _, timeout := range []time.Duration{0, time.Second} {
		a, b := net.Pipe()
		r := NewReader(a, DefaultMaxFrame)
		if timeout > 0 {
			r.SetFrameTimeout(timeout)
		}
		if !r.SetIdleDeadline(time.Now().Add(20 * time.Millisecond)) {
			t.Fatal("a net.Pipe has read deadlines")
		}
		if _, _, err := r.Next(); !errors.Is(err, ErrIdle) {
			t.Fatalf("timeout %v: Next with nothing sent: %v, want ErrIdle", timeout, err)
		}
		frame := AppendHeader(nil, &Header{Type: TypeBSM, Seq: 7})
		binary.BigEndian.PutUint32(frame, HeaderLen-4) // no payload
		// A frame that begins before the deadline and ends after it.
		r.SetIdleDeadline(time.Now().Add(30 * time.Millisecond))
		go func() {
			b.Write(frame[:1])
			time.Sleep(60 * time.Millisecond)
			b.Write(frame[1:])
		}()
		h, _, err := r.Next()
		if err != nil || h.Seq != 7 {
			t.Fatalf("timeout %v: frame straddling the idle deadline: %+v, %v", timeout, h, err)
		}
		r.SetIdleDeadline(time.Time{})
		go func() {
			time.Sleep(40 * time.Millisecond)
			b.Write(frame)
		}()
		if h, _, err := r.Next(); err != nil || h.Seq != 7 {
			t.Fatalf("timeout %v: after clearing the idle deadline: %+v, %v", timeout, h, err)
		}
		a.Close()
		b.Close()
	}
	if NewReader(strings.NewReader(""), 0).SetIdleDeadline(time.Now()) {
		t.Error("a reader without deadlines accepted an idle deadline")
	}
}

package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// goldenStream is one frame of every type, back to back.
func goldenStream() []byte {
	var b []byte
	for _, c := range allCodecs() {
		b = append(b, c.frame()...)
	}
	return b
}

// readAll reads frames until an error and returns copies of their headers
// and payloads with the final error.
func readAll(r *Reader) ([]Header, [][]byte, error) {
	var hs []Header
	var ps [][]byte
	for {
		h, p, err := r.Next()
		if err != nil {
			return hs, ps, err
		}
		hs = append(hs, h)
		ps = append(ps, cloneBytes(p))
	}
}

func TestReaderStreams(t *testing.T) {
	stream := goldenStream()
	// A frame larger than the Reader's initial buffer, then a small one.
	big := v2x.ObjectList{SensorID: 5, Objects: genObjects(200)}
	stream = buildFrame(stream, Header{Source: 5, Seq: 1}, TypeObjectList, AppendObjectList(nil, &big))
	stream = buildFrame(stream, Header{}, TypeClockRequest, AppendClockRequest(nil, 1))
	want := len(allCodecs()) + 2

	readers := map[string]func([]byte) io.Reader{
		"bytes":    func(b []byte) io.Reader { return bytes.NewReader(b) },
		"one byte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"half":     func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
		"data+EOF": func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
	}
	for name, mk := range readers {
		t.Run(name, func(t *testing.T) {
			r := NewReader(mk(stream), 0)
			hs, ps, err := readAll(r)
			if !errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("end of stream: %v, want io.EOF", err)
			}
			if len(hs) != want {
				t.Fatalf("read %d frames, want %d", len(hs), want)
			}
			for i, c := range allCodecs() {
				if hs[i].Type != c.typ || !bytes.Equal(ps[i], c.sample()) {
					t.Errorf("frame %d: %s, %d bytes", i, hs[i].Type, len(ps[i]))
				}
			}
			if hs[want-2].Length != len(ps[want-2]) || len(ps[want-2]) != 8+200*ObjectLen {
				t.Errorf("big frame: %d bytes", len(ps[want-2]))
			}
			if r.Offset() != int64(len(stream)) {
				t.Errorf("offset %d at the end of a %d-byte stream", r.Offset(), len(stream))
			}
		})
	}
}

func TestReaderCleanEOF(t *testing.T) {
	r := NewReader(bytes.NewReader(nil), 0)
	if _, _, err := r.Next(); err != io.EOF {
		t.Errorf("empty stream: %v, want io.EOF", err)
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Errorf("again: %v, want io.EOF", err)
	}
}

// TestReaderUnexpectedEOF cuts a stream at every byte inside its last
// frame: the earlier frames read fine, then io.ErrUnexpectedEOF.
func TestReaderUnexpectedEOF(t *testing.T) {
	first := bsmCodec.frame()
	last := spatCodec.frame()
	stream := append(cloneBytes(first), last...)
	for cut := len(first) + 1; cut < len(stream); cut++ {
		r := NewReader(bytes.NewReader(stream[:cut]), 0)
		if _, _, err := r.Next(); err != nil {
			t.Fatalf("cut at %d: first frame: %v", cut, err)
		}
		h, p, err := r.Next()
		if !errors.Is(err, io.ErrUnexpectedEOF) || p != nil {
			t.Fatalf("cut at %d: %v, want io.ErrUnexpectedEOF", cut, err)
		}
		if cut-len(first) >= HeaderLen && h.Type != TypeSPAT {
			t.Errorf("cut at %d inside the payload: header %+v not returned", cut, h)
		}
		if r.Offset() != int64(len(first)) {
			t.Errorf("cut at %d: offset %d", cut, r.Offset())
		}
	}
}

func TestReaderErrLength(t *testing.T) {
	good := bsmCodec.frame()
	lengths := []uint32{0, 1, HeaderLen - 5, 1001, 1 << 31, 0xffffffff}
	for _, n := range lengths {
		bad := cloneBytes(good)
		bad[0], bad[1], bad[2], bad[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
		stream := append(cloneBytes(good), bad...)
		stream = append(stream, good...)
		r := NewReader(bytes.NewReader(stream), 1000)
		if _, _, err := r.Next(); err != nil {
			t.Fatalf("length %d: first frame: %v", n, err)
		}
		_, p, err := r.Next()
		if !errors.Is(err, ErrLength) || p != nil {
			t.Errorf("length %d: %v, want ErrLength", n, err)
		}
		if r.Offset() != int64(len(good)) {
			t.Errorf("length %d: offset moved to %d", n, r.Offset())
		}
	}
	// The limit given to NewReader applies; 0 means DefaultMaxFrame.
	over := buildFrame(nil, Header{}, TypeRSI, make([]byte, 2000))
	if _, _, err := NewReader(bytes.NewReader(over), 2000).Next(); !errors.Is(err, ErrLength) {
		t.Errorf("2024-byte frame with limit 2000: %v", err)
	}
	if _, _, err := NewReader(bytes.NewReader(over), 2024).Next(); err != nil {
		t.Errorf("2024-byte frame with limit 2024: %v", err)
	}
	huge := make([]byte, HeaderLen)
	huge[1] = 0x10 // length 1 MiB exactly: allowed by default, then the stream ends
	huge[3] = 0x01 // 1 MiB + 1: not allowed
	huge[4] = Version
	if _, _, err := NewReader(bytes.NewReader(huge), 0).Next(); !errors.Is(err, ErrLength) {
		t.Errorf("1 MiB + 1 with the default limit: %v", err)
	}
	huge[3] = 0
	if _, _, err := NewReader(bytes.NewReader(huge), -1).Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("1 MiB with the default limit, stream ends: %v", err)
	}
}

// TestReaderSkipsBadVersion checks that a frame with an unknown version is
// reported with its header and skipped, and reading goes on.
func TestReaderSkipsBadVersion(t *testing.T) {
	bad := spatCodec.frame()
	bad[4] = 2
	stream := append(bad, bsmCodec.frame()...)
	r := NewReader(bytes.NewReader(stream), 0)
	h, p, err := r.Next()
	if !errors.Is(err, ErrVersion) || p != nil {
		t.Fatalf("first frame: %v, want ErrVersion", err)
	}
	if h.Version != 2 || h.Type != TypeSPAT || h.Seq != spatCodec.header.Seq || h.Length != len(bad)-HeaderLen {
		t.Errorf("header of the skipped frame: %+v", h)
	}
	if r.Offset() != int64(len(bad)) {
		t.Errorf("offset %d after skipping, want %d", r.Offset(), len(bad))
	}
	h, p, err = r.Next()
	if err != nil || h.Type != TypeBSM || len(p) != BSMLen {
		t.Fatalf("frame after the skipped one: %+v, %v", h, err)
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Errorf("end: %v", err)
	}
}

// TestReaderReadErrors checks that transport errors come through and can
// be told apart.
func TestReaderReadErrors(t *testing.T) {
	boom := errors.New("stream reset")
	frame := bsmCodec.frame()
	// Error before any byte of a frame: returned as is.
	r := NewReader(iotest.ErrReader(boom), 0)
	if _, _, err := r.Next(); !errors.Is(err, boom) {
		t.Errorf("header: %v", err)
	}
	// Error inside the payload: wrapped.
	r = NewReader(io.MultiReader(bytes.NewReader(frame[:40]), iotest.ErrReader(boom)), 0)
	if _, _, err := r.Next(); !errors.Is(err, boom) || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("payload: %v", err)
	}
}

// TestReaderAllocs reads a stream of the hot frames with a Reader that has
// grown its buffer: no allocation per frame.
func TestReaderAllocs(t *testing.T) {
	var stream []byte
	for _, c := range benchCases() {
		stream = buildFrame(stream, Header{Source: 3, Seq: 9, Capture: captureNS}, c.typ, c.encode(nil))
	}
	n := len(benchCases())
	br := bytes.NewReader(stream)
	r := NewReader(br, 0)
	read := func() {
		br.Reset(stream)
		for range n {
			if _, _, err := r.Next(); err != nil {
				t.Fatal(err)
			}
		}
	}
	read() // warm-up: the buffer grows to the largest frame
	if a := testing.AllocsPerRun(100, read); a != 0 {
		t.Errorf("Reader.Next: %v allocs per %d frames, want 0", a, n)
	}
}

func FuzzReader(f *testing.F) {
	// Every golden frame alone, and a short stream of three in a few
	// variants (short seeds keep minimization fast; see fuzzPayload).
	for _, c := range allCodecs() {
		f.Add(c.frame())
	}
	bsm, req := bsmCodec.frame(), clockRequestCodec.frame()
	stream := append(append(cloneBytes(bsm), req...), errorCodec.frame()...)
	f.Add(stream)
	f.Add(stream[:len(stream)-1])
	bad := cloneBytes(stream)
	bad[4] = 9 // the first frame has a bad version
	f.Add(bad)
	bad = cloneBytes(stream)
	bad[len(bsm)+len(req)] = 0xff // the third frame has an impossible length
	f.Add(bad)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		const maxFrame = 64 << 10
		r := NewReader(bytes.NewReader(b), maxFrame)
		for range len(b)/HeaderLen + 1 {
			off := r.Offset()
			h, p, err := r.Next()
			switch {
			case err == nil:
				if len(p) != h.Length || h.Length+HeaderLen-4 > maxFrame || r.Offset() != off+int64(HeaderLen+len(p)) {
					t.Fatalf("frame at %d: length %d, payload %d, next offset %d", off, h.Length, len(p), r.Offset())
				}
				// The frame re-encodes to the bytes it came from.
				q := buildFrame(nil, h, h.Type, p)
				if !bytes.Equal(q, b[off:r.Offset()]) {
					t.Fatalf("frame at %d re-encodes differently", off)
				}
				if c := codecFor(h.Type); c != nil && h.Encoding == EncodingNative {
					q, err := c.reencode(t, p)
					if err != nil {
						checkDecodeError(t, err)
					} else if !bytes.Equal(q, c.canon(p)) {
						t.Fatalf("%s payload at %d re-encodes differently", h.Type, off)
					}
				}
			case errors.Is(err, ErrVersion):
				if p != nil || r.Offset() != off+int64(HeaderLen+h.Length) {
					t.Fatalf("skipped frame at %d: offset %d", off, r.Offset())
				}
			case errors.Is(err, ErrLength):
				return
			case errors.Is(err, io.ErrUnexpectedEOF):
				if int64(len(b)) >= off+HeaderLen && int64(len(b)) >= off+int64(HeaderLen+h.Length) {
					t.Fatalf("unexpected EOF at %d with %d bytes available", off, len(b))
				}
				return
			case err == io.EOF:
				if off != int64(len(b)) {
					t.Fatalf("EOF at %d of %d", off, len(b))
				}
				return
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		t.Fatalf("more frames than a %d-byte stream can hold", len(b))
	})
}

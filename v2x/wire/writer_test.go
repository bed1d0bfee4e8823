package wire

import (
	"bytes"
	"sync"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

func TestWriterFramesStayWholeUnderConcurrency(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	var wg sync.WaitGroup
	b := v2x.BSM{VehicleID: 9, Lat: 22.5, Lon: 114, Speed: 3}
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				h := Header{Type: TypeBSM, Source: uint32(g), Seq: uint64(i)}
				if err := w.WriteFrame(&h, 0, func(p []byte) []byte { return AppendBSM(p, &b) }); err != nil {
					t.Error(err)
				}
			}
		}(g)
	}
	wg.Wait()
	r := NewReader(&out, 0)
	for i := 0; i < 400; i++ {
		h, p, err := r.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		var got v2x.BSM
		if h.Type != TypeBSM || DecodeBSM(p, &got) != nil || got != b {
			t.Fatalf("frame %d garbled: %+v", i, h)
		}
	}
}

func TestWriterAllocatesNothing(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	b := v2x.BSM{VehicleID: 9}
	h := Header{Type: TypeBSM}
	fill := func(p []byte) []byte { return AppendBSM(p, &b) }
	out.Grow(1 << 20)
	w.WriteFrame(&h, 0, fill)
	if n := testing.AllocsPerRun(100, func() { w.WriteFrame(&h, 0, fill) }); n != 0 {
		t.Fatalf("WriteFrame allocates %v times", n)
	}
}

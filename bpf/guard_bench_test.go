package bpf

import (
	"testing"
	"time"

	"github.com/cilium/ebpf"
)

// BenchmarkGuardProgram runs the XDP guard on one frame b.N times inside
// the kernel (BPF_PROG_TEST_RUN with Repeat) and reports the frames per
// second one CPU can judge.
func BenchmarkGuardProgram(b *testing.B) {
	requireBPF(b)
	g, err := LoadGuard("", GuardOptions{Port: testPort, CIDLen: 12, CIDPrefix: testPrefix})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	for _, c := range []struct {
		name string
		f    []byte
	}{
		{"junk=fixed_bit", frame{Src: v4Client, DPort: testPort, Payload: shortHeader(0x01, seq(12, 0), 100)}.Bytes()},
		{"junk=short_initial", frame{Src: v4Client, DPort: testPort, Payload: longHeader(0xc0, quicV1, seq(8, 0), nil, 300)}.Bytes()},
		{"pass=short_header", frame{Src: v4Client, DPort: testPort, Payload: shortHeader(0x41, serverCID(testPrefix, 1), 100)}.Bytes()},
	} {
		b.Run(c.name, func(b *testing.B) {
			start := time.Now()
			if _, err := g.objs.GuardXdp.Run(&ebpf.RunOptions{Data: c.f, Repeat: uint32(b.N)}); err != nil {
				b.Fatal(err)
			}
			el := time.Since(start)
			b.ReportMetric(float64(b.N)/el.Seconds(), "frames/s")
		})
	}
}

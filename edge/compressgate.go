package edge

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// compressGate decides whether the deltas of packed updates are worth
// compressing. On a busy intersection a delta against the state a
// subscriber was sent 50 ms earlier is mostly fresh positions, speeds and
// covariances: zstd with the state dictionary then saves nothing (its
// output is the raw block plus the frame's head) yet costs the largest part
// of a send's CPU, once per subscriber in a distinct slot phase, on the
// path of every update. So a compressed delta that comes out less than
// 1/compressMinGain smaller than its raw body sends the next
// compressSkip deltas uncompressed (wire.CompressNone, which every
// subscriber reads); the delta after them is compressed again, as a probe,
// and so on until deltas compress again. Keyframes are always compressed.
//
// It is shared by the writers of every subscriber (and snapshot): its
// state is one atomic counter, and a race between two of them costs at
// most one compression more or less.
type compressGate struct {
	skip atomic.Int32 // deltas still to send uncompressed
	// skipped counts the deltas it sent uncompressed
	// (v2x_broadcast_uncompressed_deltas_total); nil: not counted.
	skipped prometheus.Counter
}

const (
	compressMinGain = 16
	compressSkip    = 63
)

// try reports whether the next delta should be compressed; a nil gate
// always says yes.
func (g *compressGate) try() bool {
	if g == nil {
		return true
	}
	for {
		n := g.skip.Load()
		if n <= 0 {
			return true
		}
		if g.skip.CompareAndSwap(n, n-1) {
			if g.skipped != nil {
				g.skipped.Inc()
			}
			return false
		}
	}
}

// observe records a compressed delta: raw bytes in, compressed bytes out.
func (g *compressGate) observe(raw, compressed int) {
	if g == nil {
		return
	}
	if compressed > raw-raw/compressMinGain {
		g.skip.Store(compressSkip)
	} else {
		g.skip.Store(0)
	}
}

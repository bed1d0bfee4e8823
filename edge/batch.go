package edge

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// A producer marks frames that belong together with wire.FlagMore: the
// measurements of a run of frames with the flag, and of the frame that
// ends it, reach the fusion inbox in one put, so one fusion cycle takes
// them all (docs/protocol.md §7.1). Independent frames are fused as they
// come, in as many cycles as the node's timing gives; a batch is fused
// whole whatever the timing. This is what lets v2x-replay feed a node the
// fusion cycles a recording holds, and what a sender of simultaneous
// reports (an RSU forwarding the BSMs of one radio interval, a rig of
// sensors read at one instant) uses so that no state holds half of them.
//
// A batch is bounded: it is put when it ends, when it holds
// maxBatchFrames frames or maxBatchMeas measurements, when batchHold has
// passed since its first frame (checked as frames arrive, and by the
// stream's idle deadline when none arrives), and when the stream ends.
// Each put batch is counted by how it ended (v2x_batches_total{end}).
const (
	maxBatchFrames = 256
	maxBatchMeas   = 4096
	batchHold      = 20 * time.Millisecond
)

// batchEnd is why a held batch was put.
type batchEnd uint8

const (
	batchLast      batchEnd = iota // a frame without FlagMore ended it
	batchIdle                      // no frame came within batchHold
	batchAge                       // held batchHold already
	batchLimit                     // maxBatchFrames or maxBatchMeas reached
	batchStreamEnd                 // the stream ended
	numBatchEnds
)

func (e batchEnd) String() string {
	return [...]string{"last", "idle", "age", "limit", "stream_end"}[e]
}

// batchMetrics counts the batches put, by how they ended.
type batchMetrics [numBatchEnds]prometheus.Counter

func (b *batchMetrics) register(reg *prometheus.Registry) {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "v2x_batches_total",
		Help: "Batches of producer frames (flag More, docs/protocol.md §7.1) put into the fusion inbox whole, by how they ended: last (a frame without the flag), idle or age (held " + batchHold.String() + "), limit (" +
			"too many frames or measurements), stream_end."}, []string{"end"})
	for e := range numBatchEnds {
		b[e] = v.WithLabelValues(e.String())
	}
	reg.MustRegister(v)
}

// heldBatch is a source's batch in the making. The source's goroutine owns it.
type heldBatch struct {
	meas   []measurement
	frames int
	since  int64       // node time of its first frame
	last   wire.Header // its latest frame, answered when the put sheds
}

// hold adds the frame's measurements (s.meas) to the held batch, putting
// the batch when a bound is reached. It reports false when that put shed
// measurements. The frame that ends the batch is handled by endFrame.
func (s *source) hold(h *wire.Header, now int64) bool {
	b := &s.held
	if b.frames == 0 {
		b.since = now
	}
	b.meas = append(b.meas, s.meas...)
	b.frames++
	b.last = *h
	switch {
	case b.frames >= maxBatchFrames || len(b.meas) >= maxBatchMeas:
		return s.putHeld(batchLimit)
	case now-b.since >= int64(batchHold):
		return s.putHeld(batchAge)
	}
	return true
}

// endFrame ends the held batch after a data frame without FlagMore,
// whatever became of the frame itself (queued, refused or not a
// measurement).
func (s *source) endFrame(h *wire.Header) {
	if s.held.frames > 0 && h.Flags&wire.FlagMore == 0 {
		s.putHeld(batchLast)
	}
}

// heldDeadline is when the held batch must be put if no frame comes; zero
// when nothing is held.
func (s *source) heldDeadline() time.Time {
	if s.held.frames == 0 {
		return time.Time{}
	}
	return time.Now().Add(time.Duration(s.held.since + int64(batchHold) - clock.Now()))
}

// putHeld puts the held batch into the inbox and empties it; it reports
// false when the inbox shed any of it.
func (s *source) putHeld(end batchEnd) bool {
	b := &s.held
	if b.frames == 0 {
		return true
	}
	s.env.m.batches[end].Inc()
	ok := s.putMeas(&b.last, b.meas) // copied into the inbox; measurements hold no pointers
	b.meas, b.frames = b.meas[:0], 0
	return ok
}

package replay

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/record/mcap"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Topics of the recordings this package reads.
const (
	TopicIngest = "/v2x/ingest"
	TopicUPER   = "/v2x/uper"
	TopicState  = "/v2x/state"
	TopicCycle  = "/v2x/cycle"
)

// SendOptions tune Send.
type SendOptions struct {
	// Speed scales time: 1 keeps the recorded spacing, 2 halves it; 0
	// sends as fast as the node takes frames ("max").
	Speed float64
	// Loop plays the files again from the start until ctx ends.
	Loop bool
	// Progress, when set, is called about every ProgressEvery (5 s) and
	// at the end.
	Progress      func(SendStats)
	ProgressEvery time.Duration
	Log           *slog.Logger
}

// FileInfo is what a file gave.
type FileInfo struct {
	Name      string `json:"name"`
	Messages  uint64 `json:"messages"`
	Frames    uint64 `json:"frames"` // ingest frames among them
	Complete  bool   `json:"complete"`
	Truncated bool   `json:"truncated"` // cut off (a crash): read up to its last complete chunk
	Bytes     int64  `json:"bytes_read"`
	Size      int64  `json:"size"`
}

// SendStats counts what Send did.
type SendStats struct {
	Files    []FileInfo `json:"files"`
	Frames   uint64     `json:"frames_sent"`
	Streams  int        `json:"streams"`
	Rejected uint64     `json:"frames_rejected"` // Error frames the node answered with
	Skipped  uint64     `json:"frames_skipped"`  // recorded frames that could not be sent (damaged)
	Loops    int        `json:"loops"`
	Elapsed  float64    `json:"elapsed_s"`
	Lag      float64    `json:"max_lag_ms"` // how far behind the recorded schedule sending fell at most
}

// Send plays the files' ingest frames to the node conn is connected to.
// Each recorded producer stream gets a producer stream of its own; frames
// keep their type, encoding, source and payload, and their capture time
// keeps the age it had on arrival. Files are read in the order given.
func Send(ctx context.Context, conn *client.Conn, files []string, o SendOptions) (SendStats, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 5 * time.Second
	}
	s := &sender{ctx: ctx, conn: conn, o: o, producers: map[string]*client.Producer{}, start: time.Now(), lastProgress: time.Now()}
	defer s.closeAll()
	for {
		s.base, s.wallBase = 0, time.Time{}
		for _, f := range files {
			if err := s.file(f); err != nil {
				s.finish()
				return s.st, err
			}
		}
		s.st.Loops++
		if !o.Loop || ctx.Err() != nil {
			break
		}
	}
	s.finish()
	return s.st, ctx.Err()
}

type sender struct {
	ctx          context.Context
	conn         *client.Conn
	o            SendOptions
	producers    map[string]*client.Producer // by recorded stream
	st           SendStats
	start        time.Time
	lastProgress time.Time
	base         int64 // node time of the first frame's slot in this loop
	wallBase     time.Time
	starts       []int64   // the file's recorded fusion cycle starts, ascending
	more         []bool    // per ingest frame of the file, in order: send it with wire.FlagMore
	nframe       int       // ingest frames of the file seen so far
	slot         int64     // node time of the last slot sent (see slotOf)
	slotSent     time.Time // when it was sent
}

func (s *sender) finish() {
	s.st.Elapsed = time.Since(s.start).Seconds()
	s.collectErrors()
	if s.o.Progress != nil {
		s.o.Progress(s.st)
	}
}

func (s *sender) closeAll() {
	for _, p := range s.producers {
		p.Close()
	}
}

// collectErrors counts the Error frames the node sent so far.
func (s *sender) collectErrors() {
	for _, p := range s.producers {
		for {
			select {
			case e := <-p.Errors():
				s.st.Rejected++
				if s.st.Rejected <= 10 {
					s.o.Log.Warn("node refused a replayed frame", "code", e.Code.String(), "msg", e.Message)
				}
				continue
			default:
			}
			break
		}
	}
}

func (s *sender) file(name string) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	// First the fusion cycles' start times: frames are sent by the cycle
	// that took them (slotOf).
	s.plan(b)
	fi := FileInfo{Name: name, Size: int64(len(b))}
	info, err := mcap.NewScanner(bytes.NewReader(b)).Scan(func(c *mcap.Channel, m *mcap.Message) error {
		fi.Messages++
		if c.Topic != TopicIngest {
			return nil
		}
		fi.Frames++
		return s.frame(c, m)
	})
	fi.Complete, fi.Truncated, fi.Bytes = info.Complete, info.Truncated, info.Bytes
	s.st.Files = append(s.st.Files, fi)
	if fi.Truncated {
		s.o.Log.Warn("recording cut off: read up to its last complete chunk", "file", name, "bytes_read", info.Bytes, "size", len(b), "messages", fi.Messages)
	}
	if err != nil && !errors.Is(err, context.Canceled) && s.ctx.Err() == nil {
		return fmt.Errorf("replay: %s: %w", name, err)
	}
	return s.ctx.Err()
}

// cycleStart reads the start time (ns, node clock) of a /v2x/cycle
// record: every layout version (1 to 4 so far) begins with u8 version,
// i64 start, little endian (docs/recording.md).
func cycleStart(p []byte) (int64, bool) {
	if len(p) < 9 || p[0] < 1 {
		return 0, false
	}
	return int64(binary.LittleEndian.Uint64(p[1:])), true
}

// plan reads the file b ahead of sending: the recorded fusion cycles'
// start times (with a schedule, Speed > 0), and which ingest frames go
// out with wire.FlagMore: those the recording already flagged, and each
// frame whose stream's next frame the same recorded fusion cycle took.
// The node being fed then puts the frames one cycle took from one stream
// into its inbox together, and fuses them in one cycle as the recorded
// node did, whatever its own timing (docs/recording.md, Replay). Frames
// one cycle took from different streams go out together, but each
// stream's are put on their own.
func (s *sender) plan(b []byte) {
	s.starts, s.more, s.nframe = s.starts[:0], s.more[:0], 0
	type ingest struct {
		stream  string
		arrival int64
	}
	var ins []ingest
	mcap.NewScanner(bytes.NewReader(b)).Scan(func(c *mcap.Channel, m *mcap.Message) error {
		switch c.Topic {
		case TopicCycle:
			if t, ok := cycleStart(m.Data); ok && s.o.Speed > 0 {
				s.starts = append(s.starts, t)
			}
		case TopicIngest:
			h, err := wire.ParseHeader(m.Data, len(m.Data))
			s.more = append(s.more, err == nil && h.Flags&wire.FlagMore != 0)
			ins = append(ins, ingest{streamOf(c), int64(m.LogTime)})
		}
		return nil
	})
	if len(s.starts) == 0 {
		return
	}
	slices.Sort(s.starts)
	type prev struct {
		i    int
		slot int64
	}
	last := map[string]prev{}
	for i, f := range ins {
		slot, ok := s.cycleOf(f.arrival)
		if p, seen := last[f.stream]; seen && ok && p.slot == slot {
			s.more[p.i] = true
		}
		if ok {
			last[f.stream] = prev{i, slot}
		} else {
			delete(last, f.stream)
		}
	}
}

// streamOf names the recorded producer stream of an ingest channel.
func streamOf(c *mcap.Channel) string {
	if st := c.Metadata["stream"]; st != "" {
		return st
	}
	return strconv.Itoa(int(c.ID))
}

// cycleOf is the start of the recorded fusion cycle that took a frame
// that arrived at arrival: the first at or after it; false when none did.
func (s *sender) cycleOf(arrival int64) (int64, bool) {
	i, _ := slices.BinarySearch(s.starts, arrival)
	if i < len(s.starts) {
		return s.starts[i], true
	}
	return 0, false
}

// slotOf is the node time a frame that arrived at arrival is sent at:
// the start of the recorded fusion cycle that took it (the first at or
// after its arrival), or its arrival when no recorded cycle took it. The
// frames one cycle took go out together, and those of different cycles
// apart, so that the node receiving them runs a cycle for each as the
// recorded node did.
func (s *sender) slotOf(arrival int64) int64 {
	if t, ok := s.cycleOf(arrival); ok {
		return t
	}
	return arrival
}

// Spacing of slots. The schedule is absolute, on the monotonic clock, so
// a lag (the sender descheduled on a loaded machine, or the node slow to
// take frames) does not accumulate; but a slot is never sent less than
// its recorded gap after the previous one, bounded to [minSlotGap,
// maxSlotGap] (scaled by the speed): catching up goes slot by slot
// instead of sending the backlog at once, which the node would take in
// one cycle, and cycles the recorded node ran back to back (a frame came
// in during a cycle) are sent far enough apart that the node fed, with
// its own scheduling delays, runs a cycle for each too.
const (
	minSlotGap = 500 * time.Microsecond
	maxSlotGap = time.Millisecond
)

func (s *sender) frame(c *mcap.Channel, m *mcap.Message) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	more := s.nframe < len(s.more) && s.more[s.nframe] // plan's order: every ingest message
	s.nframe++
	h, err := wire.ParseHeader(m.Data, len(m.Data))
	if err != nil || h.Length != len(m.Data)-wire.HeaderLen || !h.Type.IsData() {
		s.st.Skipped++
		return nil
	}
	// The schedule: the recorded fusion cycles, scaled.
	if s.o.Speed > 0 {
		slot := s.slotOf(int64(m.LogTime))
		if s.wallBase.IsZero() {
			s.base, s.wallBase = slot, time.Now()
			s.slot, s.slotSent = slot, s.wallBase
		}
		if slot > s.slot {
			due := s.wallBase.Add(time.Duration(float64(slot-s.base) / s.o.Speed))
			gap := time.Duration(float64(slot-s.slot) / s.o.Speed)
			if t := s.slotSent.Add(min(max(gap, minSlotGap), maxSlotGap)); t.After(due) {
				due = t
			}
			if err := waitUntil(s.ctx, due); err != nil {
				return err
			}
			now := time.Now()
			if lag := float64(now.Sub(s.wallBase.Add(time.Duration(float64(slot-s.base)/s.o.Speed)))) / 1e6; lag > s.st.Lag {
				s.st.Lag = lag
			}
			s.slot, s.slotSent = slot, now
		}
	}
	stream := streamOf(c)
	p := s.producers[stream]
	if p == nil {
		if p, err = s.conn.OpenProducer(s.ctx, clock.Now); err != nil {
			return fmt.Errorf("replay: open a producer stream for recorded stream %s: %w", stream, err)
		}
		s.producers[stream] = p
		s.st.Streams = len(s.producers)
	}
	// Keep the age the frame had when it arrived.
	capture := clock.Now()
	if m.PublishTime != 0 && m.PublishTime <= m.LogTime {
		capture -= int64(m.LogTime - m.PublishTime)
	}
	flags := h.Flags &^ wire.FlagMore
	if more {
		flags |= wire.FlagMore
	}
	err = p.SendFrame(wire.Header{Type: h.Type, Encoding: h.Encoding, Flags: flags, Source: h.Source, Capture: capture}, m.Data[wire.HeaderLen:])
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	s.st.Frames++
	if time.Since(s.lastProgress) >= s.o.ProgressEvery {
		s.lastProgress = time.Now()
		s.collectErrors()
		s.st.Elapsed = time.Since(s.start).Seconds()
		if s.o.Progress != nil {
			s.o.Progress(s.st)
		}
	}
	return nil
}

// spinWindow is how close to its due time a frame is waited for by
// yielding in a loop rather than on a timer: a timer wakes up to a
// millisecond late here, which would merge frames the node received a
// fraction of a millisecond apart (and ran a fusion cycle for each) into
// one.
const spinWindow = 1500 * time.Microsecond

// waitUntil returns at due, or with ctx's error.
func waitUntil(ctx context.Context, due time.Time) error {
	if d := time.Until(due) - spinWindow; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	for time.Now().Before(due) {
		runtime.Gosched()
	}
	return ctx.Err()
}

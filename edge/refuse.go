package edge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"

	"github.com/v2x-edge/v2x-edge/edge/record/mcap"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// RefuseMismatch is the first difference -refuse found.
type RefuseMismatch struct {
	Seq    uint64 `json:"seq"`
	Reason string `json:"reason"`
}

// RefuseReport says how a recording's fusion cycles replayed offline
// compare with the states the node published.
type RefuseReport struct {
	Files       int             `json:"files"`
	Truncated   int             `json:"files_truncated"` // cut off (a crash): read up to their last chunk
	Cycles      int             `json:"cycles"`          // fusion cycles re-run
	States      int             `json:"states_recorded"`
	Compared    int             `json:"states"` // cycles whose recorded state was found and compared
	Matched     int             `json:"matched"`
	Mismatched  int             `json:"mismatched"`
	Unrecorded  int             `json:"states_unrecorded"` // cycles whose state the recorder dropped
	Objects     int             `json:"objects_compared"`
	MaxPosDiffM float64         `json:"max_position_diff_m"`
	First       *RefuseMismatch `json:"first_mismatch,omitempty"`
	// Complete is set when the recording starts with the node (its first
	// cycle published the node's first state): only then can every state
	// be reproduced from the recorded cycles alone.
	Complete bool `json:"starts_at_node_start"`
}

// refuseTolerance is how far a re-run object may lie from the recorded
// one and still be the same: 1 mm.
const refuseTolerance = 1e-3

// Refuse runs the fusion cycles recorded in files (v2x-edge -record, in
// the order given, oldest first) through the fusion stage offline, with
// the recorded configuration, batches and times, and compares each state
// it computes with the recorded one: same objects, same ids, positions
// within 1 mm, same signal states. It needs no network.
func Refuse(files []string, log *slog.Logger) (RefuseReport, error) {
	var rep RefuseReport
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var cfgJSON []byte
	var cycles [][]byte
	states := map[uint64][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return rep, fmt.Errorf("refuse: %w", err)
		}
		info, err := mcap.NewScanner(bytes.NewReader(b)).Scan(func(c *mcap.Channel, m *mcap.Message) error {
			switch c.Topic {
			case recConfigTopic.Name:
				if cfgJSON == nil {
					cfgJSON = bytes.Clone(m.Data)
				}
			case recCycleTopic.Name:
				cycles = append(cycles, bytes.Clone(m.Data))
			case recStateTopic.Name:
				h, err := wire.ParseHeader(m.Data, len(m.Data))
				if err != nil {
					return fmt.Errorf("state: %w", err)
				}
				states[h.Seq] = bytes.Clone(m.Data[wire.HeaderLen:])
			}
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("refuse: %s: %w", f, err)
		}
		rep.Files++
		if info.Truncated {
			rep.Truncated++
		}
	}
	rep.States = len(states)
	if cfgJSON == nil {
		return rep, fmt.Errorf("refuse: no configuration recorded (/v2x/config): not a recording of v2x-edge -record")
	}
	if len(cycles) == 0 {
		return rep, fmt.Errorf("refuse: no fusion cycles recorded (/v2x/cycle): a recording made before cycles were recorded?")
	}
	run := recRun{Config: DefaultConfig()}
	if err := json.Unmarshal(cfgJSON, &run); err != nil {
		return rep, fmt.Errorf("refuse: recorded configuration: %w", err)
	}
	cfg := run.Config
	cfg.SetDefaults()
	m := newMetrics()
	h := newHub(cfg.MaxBurst, m.bc.hub)
	var f fuser
	if cfg.Fusion == FusionLatest {
		f = newLatestFuser(int64(cfg.StaleAfter))
	} else {
		f = newTrackFuser(cfg.Track, cfg.Trust)
	}
	w := newWorld(newFusionConfig(&cfg), log, &m.fusion, newInbox(cfg.InboxSize), h, f)
	var c cycleRec
	var want wire.State
	for i, raw := range cycles {
		if err := decodeCycleRec(raw, &c); err != nil {
			return rep, fmt.Errorf("refuse: cycle %d: %w", i, err)
		}
		if i == 0 {
			rep.Complete = c.seq == run.FirstSeq
		}
		w.batch, c.b = c.b, w.batch
		w.seq = c.seq - 1
		now := c.now
		w.now = func() int64 { return now }
		w.fold(c.start)
		rep.Cycles++
		got := h.Acquire()
		rs, ok := states[c.seq]
		if !ok {
			rep.Unrecorded++
			h.Release(got)
			continue
		}
		rep.Compared++
		if err := wire.DecodeState(rs, &want); err != nil {
			h.Release(got)
			return rep, fmt.Errorf("refuse: recorded state %d: %w", c.seq, err)
		}
		why, diff := compareState(got, &want)
		h.Release(got)
		rep.Objects += len(want.Objects)
		rep.MaxPosDiffM = math.Max(rep.MaxPosDiffM, diff)
		if why == "" {
			rep.Matched++
			continue
		}
		rep.Mismatched++
		if rep.First == nil {
			rep.First = &RefuseMismatch{Seq: c.seq, Reason: why}
			log.Warn("state differs", "seq", c.seq, "reason", why)
		}
	}
	return rep, nil
}

// compareState says how s differs from the recorded state r ("" when it
// does not), and the largest position difference of objects with the
// same id, in metres.
func compareState(s *snapshot, r *wire.State) (string, float64) {
	if len(s.Objects) != len(r.Objects) {
		return fmt.Sprintf("%d objects, recorded %d", len(s.Objects), len(r.Objects)), 0
	}
	byID := make(map[uint32]*wire.StateObject, len(r.Objects))
	for i := range r.Objects {
		byID[r.Objects[i].ID] = &r.Objects[i]
	}
	var maxDiff float64
	why := ""
	for i := range s.Objects {
		o := &s.Objects[i]
		ro := byID[o.ID]
		if ro == nil {
			if why == "" {
				why = fmt.Sprintf("object %d not recorded", o.ID)
			}
			continue
		}
		d := math.Hypot(float64(o.E-ro.E), float64(o.N-ro.N))
		maxDiff = math.Max(maxDiff, d)
		switch {
		case why != "":
		case d > refuseTolerance:
			why = fmt.Sprintf("object %d %.4f m from where it was recorded", o.ID, d)
		case o.Class != ro.Class:
			why = fmt.Sprintf("object %d class %s, recorded %s", o.ID, o.Class, ro.Class)
		}
	}
	if why != "" {
		return why, maxDiff
	}
	if len(s.Signals) != len(r.Signals) {
		return fmt.Sprintf("%d signal groups, recorded %d", len(s.Signals), len(r.Signals)), maxDiff
	}
	for i := range s.Signals {
		if s.Signals[i] != r.Signals[i] {
			return fmt.Sprintf("signal group %d %+v, recorded %+v", s.Signals[i].Phase, s.Signals[i], r.Signals[i]), maxDiff
		}
	}
	if s.Intersection != r.Intersection {
		return fmt.Sprintf("intersection %d, recorded %d", s.Intersection, r.Intersection), maxDiff
	}
	return "", maxDiff
}

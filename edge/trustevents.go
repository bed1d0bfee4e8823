package edge

import (
	"fmt"
	"math"

	"github.com/v2x-edge/v2x-edge/edge/trust"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// eventLog is what the fusion loop keeps to report the misbehaviour
// checks' findings: counters already exported, the log rate limit and
// the trust scores exported last.
type eventLog struct {
	quarantined, refused uint64 // monitor counters already added to the metrics
	logged               [256]int64
	suppressed           [256]int
	exportedAt           int64
	trusts               []trust.SourceTrust
}

// logEvery is the least time between two log lines of one check.
const logEvery = int64(1e9)

// trustCycle finishes the checks of one fusion cycle at node time now:
// runs the monitor's per-cycle checks when the tracker does not, and
// reports what it found.
func (w *world) trustCycle(now int64) {
	if _, ok := w.fuser.(*trackFuser); !ok {
		w.mon.Cycle(nil, now)
	}
	c, tm := &w.mon.C, &w.m.trust
	if d := c.Quarantined - w.ev.quarantined; d > 0 {
		tm.quarantined.Add(float64(d))
		w.ev.quarantined = c.Quarantined
	}
	if d := c.Refused - w.ev.refused; d > 0 {
		tm.refused.Add(float64(d))
		w.ev.refused = c.Refused
	}
	if w.mon.Pending() {
		for _, f := range w.mon.Drain() {
			w.emit(&f, now)
		}
	}
	if now-w.ev.exportedAt >= 1e9 {
		w.ev.exportedAt = now
		var changed bool
		w.ev.trusts, changed = w.mon.AppendTrusts(w.ev.trusts[:0])
		if changed {
			tm.sourceTrust.Reset()
			q := 0
			for _, s := range w.ev.trusts {
				tm.sourceTrust.WithLabelValues(w.names.label(s.Stream)).Set(s.Trust)
				if s.Quarantined {
					q++
				}
			}
			tm.quarantines.Set(float64(q))
		}
	}
}

// emit reports one finding: a counter by check, a log line (at most one a
// second per check, with the number suppressed since) and an Event frame
// to every event subscriber.
func (w *world) emit(f *trust.Finding, now int64) {
	tm := &w.m.trust
	if f.Action == wire.EventFinding && tm.findings[f.Check] != nil {
		tm.findings[f.Check].Inc()
	}
	ev := wire.Event{TimeNS: now, Check: f.Check, Action: f.Action, Type: f.Type, ObjectID: f.ObjectID, LocalID: f.LocalID,
		Stream: f.Stream, Lat: math.NaN(), Lon: math.NaN(), Trust: f.Trust, Identity: w.names.identity(f.Stream)}
	if !math.IsNaN(f.E) && w.hasFrame {
		ev.Lat, ev.Lon, _ = w.frame.FromENU(f.E, f.N, 0)
	}
	if f.Action != wire.EventFinding {
		ev.Check = wire.CheckNone
	}
	ev.Text = fmt.Sprintf("%s %s by %s: value %.4g, trust %.2f", f.Action, f.Check, w.names.label(f.Stream), f.Value, f.Trust)
	k := f.Check
	if f.Action != wire.EventFinding {
		k = 0 // quarantines and releases share one limit
	}
	if now-w.ev.logged[k] >= logEvery || f.Action != wire.EventFinding {
		w.log.Warn("misbehaviour", "action", f.Action.String(), "check", f.Check.String(), "source", w.names.label(f.Stream),
			"local_id", f.LocalID, "object", f.ObjectID, "value", f.Value, "trust", f.Trust, "suppressed", w.ev.suppressed[k],
			"e", math.Round(f.E*10)/10, "n", math.Round(f.N*10)/10)
		w.ev.logged[k], w.ev.suppressed[k] = now, 0
	} else {
		w.ev.suppressed[k]++
	}
	sent, dropped := w.hub.events.publish(&ev)
	tm.events.Add(float64(sent))
	if dropped > 0 {
		tm.eventsDrop.Add(float64(dropped))
	}
}

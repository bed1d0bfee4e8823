package trust

import (
	"math"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Finding is one thing a check found, or a source entering or leaving
// quarantine (Action).
type Finding struct {
	Check    wire.Check
	Action   wire.EventAction
	Type     wire.Type // type of the offending message
	Stream   uint64    // the source
	LocalID  uint64    // the source's id of the object; 0 if none
	ObjectID uint32    // fused object; 0 if none
	TimeNS   int64     // node time (capture time of the offending message)
	E, N     float64   // where, in the ENU frame of the calls; NaN if nowhere
	Trust    float32   // the source's trust after the finding
	Value    float64   // the offending figure (a speed, a distance, an age …), for the log
}

// weights is how much one finding of each check lowers a source's trust
// (from 1; trust never goes below 0). With the default thresholds
// (quarantine below 0.5, release at 0.7 or more, 0.01 regained a second):
//   - forgery that only a liar produces (a ghost, a replay, a Sybil, an
//     illegal phase sequence, conflicting greens, a swapped MAP) weighs
//     0.6: one finding quarantines a source at full trust (1 → 0.4), and
//     it is released 30 s later at the earliest;
//   - physical implausibility, which a faulty sensor also produces,
//     weighs 0.2-0.3: two to three findings in a row quarantine;
//   - weak evidence (range, heading, appearance, overlap) weighs 0.05-0.1.
//
// Weights are multiples of 0.05 and trust is compared with the thresholds
// to within trustEps, so that sums land where they add up in decimals
// (1 - 0.3 - 0.2 is 0.5, not quarantined, though 0.7 - 0.2 is
// 0.49999999999999994 in float64).
var weights = [...]float64{
	wire.CheckRange:            0.05,
	wire.CheckOffRoad:          0.2,
	wire.CheckSpeed:            0.2,
	wire.CheckAccel:            0.2,
	wire.CheckPosSpeed:         0.3,
	wire.CheckHeading:          0.1,
	wire.CheckAppearance:       0.1,
	wire.CheckOverlap:          0.1,
	wire.CheckSybil:            0.6,
	wire.CheckReplay:           0.6,
	wire.CheckPhaseSequence:    0.6,
	wire.CheckConflictingGreen: 0.6,
	wire.CheckMinEndBackwards:  0.3,
	wire.CheckMapChange:        0.6,
	wire.CheckGhost:            0.6,
	wire.CheckSensorMismatch:   0.2,
}

// trustEps is the slack of trust comparisons (see weights).
const trustEps = 1e-9

// below reports whether trust is below threshold q (to within trustEps);
// atLeast whether it reached q.
func below(trust, q float64) bool   { return trust < q-trustEps }
func atLeast(trust, q float64) bool { return trust >= q-trustEps }

// source is what the monitor keeps per source (producer stream).
type source struct {
	trust       float64
	quarantined bool
	first, last int64  // node times of its first and latest message
	dirty       bool   // trust changed since the last export
	stream      uint64 // the stream it spoke on last (to name it)
}

// owned is what the monitor knows of a stream's sender: its identity key
// (track.Measurement.Owner) and when the stream was last seen.
type owned struct {
	owner uint64
	last  int64
}

// ownerBit marks a source key that is an identity, not a stream (stream
// ids stay below it).
const ownerBit = 1 << 63

// Counters are what the monitor counts, for metrics.
type Counters struct {
	Findings    [256]uint64 // by wire.Check
	Quarantined uint64      // measurements kept out of fusion (quarantined source or blocked object)
	Refused     uint64      // SPATs and MAPs refused
}

type camKey struct {
	stream uint64
	source uint32
}

// Monitor runs the checks; one goroutine owns it.
type Monitor struct {
	cfg      Config
	sources  map[uint64]*source      // by key: the sender's identity, else the stream
	owners   map[uint64]owned        // stream -> its sender's identity, once a measurement told
	msgs     slots[msgKey, msgState] // per (stream, local id) self-report
	vehicles slots[uint64, vehState] // per vehicle id, across streams
	cov      coverage
	cam      *camCoverage // cache: the camera of the previous detection
	camKey   camKey
	road     road
	sig      signals
	mapSum   uint64
	hasMap   bool
	findings []Finding
	lastSrc  *source // cache: the source of the previous call
	// ownOK, ownStream, ownOwner and ownT cache the owners entry own saw
	// last: a frame's measurements come in a run from one stream.
	ownOK               bool
	ownStream, ownOwner uint64
	ownT                int64
	// low is how many sources have a trust below 1: recover has nothing
	// to do for the others.
	low        int
	lastKey    uint64
	lastStream uint64
	hasLast    bool
	now        int64 // newest node time seen
	sweptAt    int64
	pairAt     int64       // node time of the last pair pass
	items      []pairItem  // scratch of the pair pass
	vitems     []claimItem // scratch of the lockstep pass
	items2     []pairItem  // ... and their sorted copies
	vitems2    []claimItem
	bins       [pairBins + 1]int32
	learning   bool // camera coverage is still being learned (as of the last Cycle)
	selfNew    bool // a self-report entered since the last pair pass
	C          Counters
}

// New returns a monitor; cfg's zero fields take their defaults.
func New(cfg Config) *Monitor {
	cfg.SetDefaults()
	return &Monitor{cfg: cfg, sources: make(map[uint64]*source), owners: make(map[uint64]owned), msgs: newSlots[msgKey, msgState](256),
		vehicles: newSlots[uint64, vehState](256), cov: newCoverage(cfg.CoverageCell), findings: make([]Finding, 0, 64),
		items: make([]pairItem, 0, 256), vitems: make([]claimItem, 0, 256),
		items2: make([]pairItem, 0, 256), vitems2: make([]claimItem, 0, 256)}
}

// Config returns the monitor's configuration, defaults filled.
func (m *Monitor) Config() *Config { return &m.cfg }

// key is the key of stream's source: its sender's identity once known,
// so that trust and quarantine follow an identity across its streams and
// reconnections, else the stream.
func (m *Monitor) key(stream uint64) uint64 {
	if o, ok := m.owners[stream]; ok {
		return o.owner | ownerBit
	}
	return stream
}

// own records that stream carries identity owner's messages, at node time
// t (track.Measurement.Owner; 0: unknown).
func (m *Monitor) own(stream, owner uint64, t int64) {
	if owner == 0 {
		return
	}
	if m.ownOK && stream == m.ownStream && owner == m.ownOwner && t-m.ownT < int64(1e9) {
		return // as below, without the map: owners[stream] is {owner, ownT}
	}
	if o, ok := m.owners[stream]; ok && o.owner == owner && t-o.last < int64(1e9) {
		m.ownOK, m.ownStream, m.ownOwner, m.ownT = true, stream, owner, o.last
		return // known, and refreshed within the second
	}
	m.owners[stream] = owned{owner, t}
	m.ownOK, m.ownStream, m.ownOwner, m.ownT = true, stream, owner, t
	m.hasLast = false // the stream's key may have changed
}

// Own records that stream carries the messages of the identity whose key
// is owner (track.Measurement.Owner; 0: unknown) as of node time t, so
// that its findings, trust and quarantine follow the identity: the
// fusion loop calls it for each SPAT and MAP (measurements carry their
// owner to Measurement).
func (m *Monitor) Own(stream, owner uint64, t int64) { m.own(stream, owner, t) }

// source returns the state of stream's source, creating it on first
// sight at node time t.
func (m *Monitor) source(stream uint64, t int64) *source {
	if m.hasLast && m.lastStream == stream {
		m.lastSrc.last = max(m.lastSrc.last, t)
		m.lastSrc.stream = stream
		return m.lastSrc
	}
	id := m.key(stream)
	s, ok := m.sources[id]
	if !ok {
		s = &source{trust: 1, first: t}
		m.sources[id] = s
	}
	s.last = max(s.last, t)
	s.stream = stream
	m.lastSrc, m.lastKey, m.lastStream, m.hasLast = s, id, stream, true
	return s
}

// Trust returns a source's trust score (1 for a source never seen).
func (m *Monitor) Trust(stream uint64) float64 {
	if s, ok := m.sources[m.key(stream)]; ok {
		return s.trust
	}
	return 1
}

// Quarantined reports whether a source is quarantined.
func (m *Monitor) Quarantined(stream uint64) bool {
	s, ok := m.sources[m.key(stream)]
	return ok && s.quarantined
}

// find records a finding against f.Stream and lowers its trust; it
// quarantines the source when the trust falls below the threshold.
func (m *Monitor) find(f Finding) {
	s := m.source(f.Stream, f.TimeNS)
	if s.trust >= 1 && weights[f.Check] > 0 {
		m.low++
	}
	s.trust = max(0, s.trust-weights[f.Check])
	if s.trust < trustEps {
		s.trust = 0
	}
	s.dirty = true
	f.Action, f.Trust = wire.EventFinding, float32(s.trust)
	m.C.Findings[f.Check]++
	m.findings = append(m.findings, f)
	if !s.quarantined && below(s.trust, m.cfg.QuarantineBelow) {
		s.quarantined = true
		q := f
		q.Action, q.Value = wire.EventQuarantine, 0
		m.findings = append(m.findings, q)
	}
}

// Drain returns the findings since the last call and forgets them; the
// slice is valid until the next call into the monitor.
func (m *Monitor) Drain() []Finding {
	f := m.findings
	m.findings = m.findings[:0]
	return f
}

// Pending reports whether findings wait to be drained.
func (m *Monitor) Pending() bool { return len(m.findings) > 0 }

// recover lets every source regain trust for the time since the last
// call, releasing those that recovered enough, and forgets what is stale.
// Called once per fusion cycle at node time now.
func (m *Monitor) recover(now int64) {
	dt := float64(now-m.now) / 1e9
	if m.now == 0 || dt < 0 {
		dt = 0
	}
	m.now = max(m.now, now)
	if dt > 0 && m.low > 0 {
		gain := dt * m.cfg.RecoverPerSecond
		for _, s := range m.sources {
			if s.trust >= 1 {
				continue
			}
			s.trust = math.Min(1, s.trust+gain)
			s.dirty = true
			if s.trust >= 1 {
				m.low--
			}
			if s.quarantined && atLeast(s.trust, m.cfg.ReleaseAbove) {
				s.quarantined = false
				m.findings = append(m.findings, Finding{Action: wire.EventRelease, Stream: s.stream, TimeNS: now,
					E: math.NaN(), N: math.NaN(), Trust: float32(s.trust)})
			}
		}
	}
	if now-m.sweptAt < int64(5e9) {
		return
	}
	m.sweptAt = now
	linger := int64(m.cfg.IDLinger)
	for i := range m.msgs.vals { // by index, not by map: the same order every run
		if st := &m.msgs.vals[i]; m.msgs.used[i] && now-st.t > linger && now > st.blockedUntil {
			m.msgs.del(m.msgs.keys[i])
		}
	}
	for i := range m.vehicles.vals {
		if m.vehicles.used[i] && now-m.vehicles.vals[i].t > linger {
			m.vehicles.del(m.vehicles.keys[i])
		}
	}
	for st, o := range m.owners {
		if now-o.last > 10*linger {
			delete(m.owners, st)
			m.hasLast, m.ownOK = false, false
		}
	}
	for id, s := range m.sources {
		if s.trust >= 1 && now-s.last > 10*linger {
			delete(m.sources, id)
			if m.hasLast && m.lastKey == id {
				m.hasLast = false
			}
		}
	}
}

// SourceTrust is one source's trust score, for metrics.
type SourceTrust struct {
	Stream      uint64
	Trust       float64
	Quarantined bool
}

// AppendTrusts appends the sources whose trust is below 1, lowest first
// up to max entries (bounded metric cardinality), and reports whether any
// score changed since the last call.
func (m *Monitor) AppendTrusts(dst []SourceTrust) ([]SourceTrust, bool) {
	changed := false
	for _, s := range m.sources {
		changed = changed || s.dirty
		s.dirty = false
		if s.trust < 1 {
			dst = append(dst, SourceTrust{Stream: s.stream, Trust: s.trust, Quarantined: s.quarantined})
		}
	}
	if len(dst) > m.cfg.MaxExportedTrusts {
		// partial selection: the lowest scores first
		for i := 0; i < m.cfg.MaxExportedTrusts; i++ {
			lo := i
			for j := i + 1; j < len(dst); j++ {
				if dst[j].Trust < dst[lo].Trust {
					lo = j
				}
			}
			dst[i], dst[lo] = dst[lo], dst[i]
		}
		dst = dst[:m.cfg.MaxExportedTrusts]
	}
	return dst, changed
}

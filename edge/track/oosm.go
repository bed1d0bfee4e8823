package track

// Exact out-of-sequence updates by replay.
//
// Each track keeps its recent history: the measurements that updated it
// (as the filter saw them) with the estimate just after each, and the
// estimate before the oldest of them (the base). A measurement older than
// the track's estimate, within the fixed lag, is put in its place in time:
// the filter restarts from the newest estimate not after it, predicts to
// it, folds it in, then folds in again every later measurement of the
// history, in order, and predicts to the track's time. The result is what
// the filter would have given had the measurement arrived in sequence
// (to the last bit for the constant-velocity model, whose prediction
// composes exactly; the CTRV model's does to first order).
//
// The histories live in a slice beside the tracks, fixed-size values
// without pointers, moved with the tracks and checked against the
// track's id, so nothing allocates once the slice has grown to the
// track count's high-water mark.

// histLen is how many updates a track remembers: the lag a replay can
// reach back over. A measurement older than the base (most often one
// older than the track itself) falls back to approximate retrodiction
// (Counters.Retrodicted). In the paced benchmark's 1000-object scene (six
// sources, 30-100 ms camera delays) 8 entries left 46 of 11116 late
// measurements to it in 4 s, 16 entries 27: twice the memory for little.
const histLen = 8

// histEntry is one remembered update.
type histEntry struct {
	t    int64  // capture time (node clock)
	m    meas   // as toMeas made it
	post filter // the estimate just after it
}

// history is one track's: entries oldest first in a ring of histLen+1
// (one spare slot for the insertion that precedes an eviction).
type history struct {
	id    uint32 // the track's id; another id means the slot holds no history of this track
	n     uint8  // entries in use
	head  uint8  // ring index of the oldest
	baseT int64
	base  filter // the estimate at baseT, before the oldest entry
	e     [histLen + 1]histEntry
}

// at returns the k-th oldest entry.
func (h *history) at(k int) *histEntry {
	return &h.e[(int(h.head)+k)%len(h.e)]
}

// evict folds the oldest entry into the base.
func (h *history) evict() {
	o := h.at(0)
	h.base, h.baseT = o.post, o.t
	h.head = uint8((int(h.head) + 1) % len(h.e))
	h.n--
}

// histOf returns track i's history slot, grown to the track count.
func (tr *Tracker) histOf(i int) *history {
	if i >= len(tr.hist) {
		n := max(len(tr.tracks), i+1)
		if n > cap(tr.hist) { // a new high-water mark: double (each slot is ~3 kB)
			h := make([]history, n, max(n, 2*cap(tr.hist), 64))
			copy(h, tr.hist)
			tr.hist = h
		}
		tr.hist = tr.hist[:n]
	}
	return &tr.hist[i]
}

// histReset starts track i's history from its current estimate.
func (tr *Tracker) histReset(i int) {
	trk := &tr.tracks[i]
	h := tr.histOf(i)
	h.id, h.n, h.head, h.baseT, h.base = trk.ID, 0, 0, trk.TimeNS, trk.f
}

// histRecord remembers an in-sequence update of track i by mm at t (the
// track's estimate is the one just after it).
func (tr *Tracker) histRecord(i int, t int64, mm *meas) {
	trk := &tr.tracks[i]
	h := tr.histOf(i)
	if h.id != trk.ID {
		tr.histReset(i)
		return
	}
	if h.n > 0 && h.at(int(h.n)-1).t > t { // cannot happen in sequence; keep the history ordered
		tr.histReset(i)
		return
	}
	if int(h.n) == histLen {
		h.evict()
	}
	e := h.at(int(h.n))
	e.t, e.m, e.post = t, *mm, trk.f
	h.n++
}

// histMove moves the history of track from to slot to (a track moved in
// the slice).
func (tr *Tracker) histMove(to, from int) {
	if from < len(tr.hist) && to < len(tr.hist) {
		tr.hist[to] = tr.hist[from]
		tr.hist[from].id = 0
	} else if to < len(tr.hist) {
		tr.hist[to].id = 0
	}
}

// replay folds the out-of-sequence measurement mm at t into track i by
// re-running its filter from t. It reports false when the history does
// not reach back to t (the caller falls back), and ok false when the
// late measurement's own update was numerically unusable (the track is
// then left alone).
func (tr *Tracker) replay(i int, t int64, mm *meas) (done, ok bool) {
	trk := &tr.tracks[i]
	if i >= len(tr.hist) {
		return false, false
	}
	h := &tr.hist[i]
	if h.id != trk.ID || t < h.baseT {
		return false, false
	}
	// k: entries not after t (the late one goes after them).
	k := int(h.n)
	for k > 0 && h.at(k-1).t > t {
		k--
	}
	rule := fusionRule{ci: tr.cfg.CovarianceIntersection, inflate: tr.cfg.CorrelationInflation}
	var f filter
	prevT := h.baseT
	if k == 0 {
		f = h.base
	} else {
		p := h.at(k - 1)
		f, prevT = p.post, p.t
	}
	f.predict(float64(t-prevT) / 1e9)
	if !f.update(mm, rule) {
		return true, false
	}
	// Open slot k: shift the later entries one up (the ring has a spare).
	for j := int(h.n); j > k; j-- {
		*h.at(j) = *h.at(j - 1)
	}
	h.n++
	e := h.at(k)
	e.t, e.m, e.post = t, *mm, f
	prevT = t
	for j := k + 1; j < int(h.n); j++ {
		e := h.at(j)
		f.predict(float64(e.t-prevT) / 1e9)
		if !f.update(&e.m, rule) {
			tr.C.FilterFailed++
		}
		e.post, prevT = f, e.t
	}
	if int(h.n) > histLen {
		h.evict()
	}
	f.predict(float64(trk.TimeNS-prevT) / 1e9)
	trk.f = f
	return true, true
}

// retrodict is the fallback for a late measurement the history does not
// reach: it carries the measurement forward to the track's time along the
// track's velocity, inflating its position covariance by the velocity
// uncertainty over the lag.
func retrodict(trk *Track, mm *meas, lagNS int64) {
	s := float64(lagNS) / 1e9
	ve, vn := trk.f.velocity()
	mm.z[0] += ve * s
	mm.z[1] += vn * s
	vv := velVar(&trk.f) * s * s
	mm.Rpos[0][0] += vv
	mm.Rpos[1][1] += vv
}

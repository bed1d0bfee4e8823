package track

import (
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// Config tunes the tracker. Zero fields take the defaults in SetDefaults.
type Config struct {
	FixedLagNS        int64   // out-of-sequence measurements older than this behind a track are dropped (200 ms)
	ConfirmHits       int     // M of M-of-N: updates needed to confirm a camera-born track seen by two or more sources (3)
	ConfirmHitsSingle int     // ... and by a single source, whose false positives may persist for a few frames (6)
	ConfirmWindowNS   int64   // N as a time window: the hits must come within this of birth (1 s)
	TentativeLossNS   int64   // a tentative track not updated for this long is deleted (300 ms)
	CameraLossNS      int64   // a confirmed track unseen by cameras and BSMs for these
	SelfReportLossNS  int64   //   periods is deleted (camera 600 ms, BSM 1.5 s)
	GateChi2          float64 // squared Mahalanobis gate on position (13.8: 99.9 % for 2 dof)
	MaxGateDistance   float64 // metres: no association beyond this, whatever the covariances (6)
	LinkBonus         float64 // cost subtracted for keeping an existing source-id link (GateChi2/2)
	DefaultPosVar     float64 // m², when a measurement carries no covariance (1.0)
	DefaultVelVar     float64 // (m/s)², velocity measurement variance (1.0)
	PedestrianVelVar  float64 // (m/s)², for pedestrians and cyclists (0.5)
	InitialSpeedVar   float64 // (m/s)² of a new track's speed (4)
	InitialYawVar     float64 // rad² of a new track's yaw (0.5)
	InitialYawRateVar float64 // (rad/s)² of a new track's yaw rate (0.1)
	// CovarianceIntersection fuses with CI instead of the default Kalman
	// update with the measurement covariance multiplied by
	// CorrelationInflation (2); see fusionRule.
	CovarianceIntersection bool
	CorrelationInflation   float64
	// IDNamespace, when not 0, puts it in the top byte of every id the
	// tracker gives out (the low 24 bits count), so that the nodes of a
	// corridor, each with its own namespace, never give out the same id.
	IDNamespace uint8
	// IDStart is the namespace's counter before the first id (low 24
	// bits; 0: ids count from 1). A node sets it from the wall clock
	// (BootIDStart) so that its ids survive a restart.
	IDStart uint32
	// SeedStaleNS: a handed-over seed (AddSeed) no own measurement has
	// taken within this of its time is dropped (20 s).
	SeedStaleNS int64
	// DetectionBiasVar (m² per axis) is added to every detection's
	// position covariance: the sensor's calibration bias, which a camera's
	// reported covariance leaves out (0.09: 0.3 m; negative: none).
	DetectionBiasVar float64
	// CameraBiasOff turns off the online estimation of each camera's
	// calibration bias (bias.go), on by default.
	CameraBiasOff bool
	// SelfBesideCamera multiplies a BSM's position covariance when a
	// camera updated the track within SelfBesideCameraNS (500 ms) before
	// it: a GNSS error is a bias that lasts tens of seconds, which the
	// filter would otherwise take for independent noise (selfreport.go;
	// 25; negative: never).
	SelfBesideCamera   float64
	SelfBesideCameraNS int64
	// ExactOOSM folds a late measurement (within FixedLagNS) in exactly,
	// by replaying the track's recent history from its time (oosm.go),
	// instead of by approximate retrodiction. Off by default: on 20
	// simulated seeds it raised the RMSE by 0.001-0.010 m and left MOTA
	// where it was (docs/fusion.md, Time).
	ExactOOSM bool
}

// SetDefaults fills zero fields.
func (c *Config) SetDefaults() {
	def := func(p *int64, v int64) {
		if *p == 0 {
			*p = v
		}
	}
	deff := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.FixedLagNS, 200e6)
	if c.ConfirmHits == 0 {
		c.ConfirmHits = 3
	}
	if c.ConfirmHitsSingle == 0 {
		c.ConfirmHitsSingle = 6
	}
	def(&c.ConfirmWindowNS, 1e9)
	def(&c.TentativeLossNS, 300e6)
	def(&c.CameraLossNS, 600e6)
	def(&c.SelfReportLossNS, 1500e6)
	deff(&c.GateChi2, 13.8)
	deff(&c.MaxGateDistance, 6)
	deff(&c.LinkBonus, c.GateChi2/2)
	deff(&c.DefaultPosVar, 1)
	deff(&c.DefaultVelVar, 1)
	deff(&c.PedestrianVelVar, 0.5)
	deff(&c.InitialSpeedVar, 4)
	deff(&c.InitialYawVar, 0.5)
	deff(&c.InitialYawRateVar, 0.1)
	deff(&c.CorrelationInflation, 2)
	def(&c.SeedStaleNS, 20e9)
	deff(&c.DetectionBiasVar, 0.09)
	deff(&c.SelfBesideCamera, 25)
	def(&c.SelfBesideCameraNS, 500e6)
}

// Track is one fused object: a fixed-size value without pointers, kept in
// a flat slice. The fields every cycle reads for every track (expiry,
// lane matching, publishing) come first, then the filter (whose state and
// leading covariance rows publishing reads), so that a pass over the
// tracks touches few cache lines of each: the paced loop finds them cold.
type Track struct {
	ID             uint32
	Class          v2x.Class
	Confirmed      bool
	Lane, Approach uint8
	Length         float32
	Width          float32
	Hits           int32
	TimeNS         int64 // time of the estimate
	BornNS         int64
	LastCam        int64 // last update from a detection, 0 if never
	LastSelf       int64 // last update from a self-report (BSM), 0 if never
	// Trust is the misbehaviour checks' state of the track, beside
	// LastCam and LastSelf: the checks' passes over every track read them
	// together, and one cache line then serves both.
	Trust   TrustMark
	laneAt  int64  // when Lane was last matched
	Sources uint64 // bit per source slot that contributed in the last 0.5-1 s
	// The last measurement's geodetic position and its ENU coordinates:
	// the anchor for converting the estimate back to lat/lon locally.
	anchorLat, anchorLon, anchorE, anchorN float64
	f                                      filter
	VehicleID                              uint64
	srcCur                                 uint64
	votes                                  [v2x.NumClasses]uint16
	srcEpoch                               int64
	SelfStream                             uint64 // stream of the newest self-report
	Owner                                  uint64 // Measurement.Owner of the measurement that started it
	// HandedOver is set by the node once it published the track to the
	// neighbour it drives towards; Seeded when the track took its id from
	// a neighbour's handover.
	HandedOver, Seeded bool
	// seen: the frames (source slot, capture time) of the last detections
	// from the two sources that detected it last; two tracks one frame
	// updated are two objects to that source, and are not merged.
	seen [2]frameMark
	// bias: the last raw detection and BSM, paired by the camera-bias
	// estimator (bias.go).
	bias biasMark
}

// frameMark names one source's frame: its source slot bit and capture
// time.
type frameMark struct {
	slot uint64
	ns   int64
}

// note records a detection from the frame mk.
func (t *Track) note(mk frameMark) {
	if t.seen[0].slot != mk.slot {
		t.seen[1] = t.seen[0]
	}
	t.seen[0] = mk
}

// seenApart reports whether one source's frame updated both a and b.
func seenApart(a, b *Track) bool {
	for _, x := range a.seen {
		for _, y := range b.seen {
			if x.slot != 0 && x == y {
				return true
			}
		}
	}
	return false
}

// Position returns the estimate's east/north position.
func (t *Track) Position() (e, n float64) { return t.f.position() }

// Velocity returns the estimate's east/north velocity.
func (t *Track) Velocity() (ve, vn float64) { return t.f.velocity() }

// PosCov returns the position covariance (m²).
func (t *Track) PosCov() (ee, en, nn float64) { return t.f.P[0][0], t.f.P[0][1], t.f.P[1][1] }

// Counters are what the tracker counts, for metrics.
type Counters struct {
	Measurements  uint64 // folded in
	TooOld        uint64 // out of sequence beyond the fixed lag: dropped
	OutOfSequence uint64 // out of sequence within the lag: used
	Retrodicted   uint64 // ... of which approximated: ExactOOSM off, or beyond the track's history (oosm.go)
	Born          uint64
	Confirmed     uint64
	Deleted       uint64
	FilterFailed  uint64 // numerically unusable updates, skipped
	Merged        uint64 // duplicate tracks folded into another
	OwnerCapped   uint64 // measurements that started no track: their owner held its OwnerLimit
	SeedsAdded    uint64 // handovers from neighbours taken as seeds
	SeedsTaken    uint64 // seeds whose id a new track took
	SeedsExpired  uint64 // seeds dropped unclaimed after SeedStaleNS
	SeedsDropped  uint64 // seeds dropped because MaxSeeds were pending
	// SeedsTwinRefused: new tracks that took no seed because they lay
	// beside a track that took one (a second track of that vehicle).
	SeedsTwinRefused uint64
	// SeedsReturned: seeds given back because the track that took one
	// died on its way in.
	SeedsReturned uint64
	// Refound: new tracks that took the id of a lost track (refind.go).
	Refound uint64
}

// link is the track a source object was last assigned to: its id, and
// its index in the track slice when the link was made (a hint, checked
// against the id: tracks move when others are deleted).
type link struct {
	id  uint32
	idx int32
}

// sourceKey names one source: a producer stream and the source id in its
// frame headers.
type sourceKey struct {
	stream uint64
	source uint32
}

// sourceState is what the tracker keeps per source: its bit for the
// Sources count and the links from its object ids (one map per
// measurement kind, keyed by the source-local id: a fast 64-bit-key map,
// looked up once per measurement) to tracks.
type sourceState struct {
	slot  uint64
	links [2]map[uint64]link
	// The newest ingest and capture times of the source's detection
	// frames and their interval (expiry.go); 0 for a source of
	// self-reports only.
	heardNS, capNS, intervalNS int64
	isCam                      bool // in Tracker.cams
}

func (st *sourceState) linksOf(k MeasKind) map[uint64]link { return st.links[k&1] }

// Tracker is the multi-source tracker. One goroutine owns it.
type Tracker struct {
	cfg     Config
	tracks  []Track
	nextID  uint32
	sources map[sourceKey]*sourceState
	src     *sourceState // the current frame's source
	lanes   laneIndex

	// per-frame workspaces
	g           grid
	pred        []filter // track predicted to the frame time
	predAt      []uint32 // frame stamp of pred[i]
	stamp       uint32
	edges       []edge
	ms          []meas
	comp        uf
	rowIdx      []int32
	colIdx      []int32
	count       []int32
	roots       []int32
	sorted      []edge
	compM       []int32
	compT       []int32
	used        []bool
	scale       struct{ lat, lon, at float64 } // degrees per metre near latitude at
	linked      []link                         // per frame measurement: the link of its source id, zero if none
	frameSlot   uint64                         // source slot bit of the current frame
	dead        []bool
	mergeCursor int
	// moved maps the id of a merged-away track to the one that absorbed
	// it, so that its sources' links follow; cleaned with the links.
	moved   map[uint32]uint32
	cost    []float64
	assign  []int32
	solver  Assigner
	byID    map[uint32]int32
	matched []int32 // per frame measurement: track index or -1
	// owned counts the live tracks each owner's measurements started
	// (owners with none are deleted).
	owned map[uint64]int32
	// touched lists the tracks whose position changed since the grid
	// was last synchronised (syncGrid).
	touched []int32
	// expireAt is a lower bound of every track's deadline: Expire scans
	// the tracks only after it.
	expireAt int64
	// Handovers from neighbours awaiting an own measurement (handover.go).
	seeds    []Seed
	seedIDs  [seedMemory]uint32 // ids recently taken or added, to ignore repeats
	seedNext int
	// taken: the seeds tracks took lately, to give back when such a track
	// dies still on its way in (seedLost).
	taken     [takenMemory]Seed
	takenNext int
	// lost: confirmed tracks that died lately, for a new track of the
	// same vehicle to take their ids (refind.go).
	lost     [lostMemory]lost
	lostNext int
	idCount  uint32
	// cams are the sources of detection frames, for the expiry clock
	// (expiry.go).
	cams []*sourceState
	// Camera-bias estimation (bias.go; nil when off) and the current
	// frame's camera index (-1 for none).
	bias     *biasEst
	frameCam int
	// hist is each track's recent history, at the track's index, for
	// exact out-of-sequence updates (oosm.go).
	hist []history

	C Counters
}

type edge struct {
	m, t int32 // frame measurement index, track index
	cost float64
}

// New returns a tracker.
func New(cfg Config) *Tracker {
	cfg.SetDefaults()
	// Grid cells as large as the farthest association (gate, or the
	// merge distance plus its margin): a 3×3 query then sees every
	// candidate.
	var be *biasEst
	if !cfg.CameraBiasOff {
		be = newBiasEst()
	}
	return &Tracker{cfg: cfg, bias: be, g: grid{cell: max(cfg.MaxGateDistance, mergeVehicleDist+3)}, sources: make(map[sourceKey]*sourceState),
		byID: make(map[uint32]int32, 1024), tracks: make([]Track, 0, 512), seeds: make([]Seed, 0, MaxSeeds), moved: make(map[uint32]uint32), owned: make(map[uint64]int32),
		idCount: cfg.IDStart & idCounterMask}
}

// Len returns the number of tracks, confirmed or not.
func (tr *Tracker) Len() int { return len(tr.tracks) }

// Tracks returns the tracks; the slice is valid until the next call that
// changes the tracker.
func (tr *Tracker) Tracks() []Track { return tr.tracks }

// modelFor returns the motion model of a class.
func modelFor(c v2x.Class) model {
	if c.Vehicle() || c == v2x.ClassUnknown {
		return modelCTRV
	}
	return modelCV
}

// compatible reports whether a measurement of class m may update a track
// of class t: the cheapest gate. Cameras confuse neighbouring classes, so
// classes match within groups: unknown matches anything; motor vehicles
// (car, truck, bus, motorcycle) match each other; a bicycle matches a
// motorcycle or a pedestrian. A pedestrian is never a car.
func compatible(t, m v2x.Class) bool {
	if t == m || t == v2x.ClassUnknown || m == v2x.ClassUnknown {
		return true
	}
	if t.Vehicle() && m.Vehicle() {
		return true
	}
	if t == v2x.ClassBicycle {
		t, m = m, t
	}
	return m == v2x.ClassBicycle && (t == v2x.ClassMotorcycle || t == v2x.ClassPedestrian)
}

// vote counts a measurement's class and sets the track's class to the
// most frequent one, so one camera's occasional misclassification does
// not stick. A self-report (BSM) counts for ten.
func (t *Track) vote(c v2x.Class, weight uint16) {
	if int(c) >= len(t.votes) || c == v2x.ClassUnknown {
		return
	}
	t.votes[c] = min(t.votes[c]+weight, 1<<15)
	// Only c's count grew, so the leader is either still the current class
	// or now c.
	if c != t.Class && (int(t.Class) >= len(t.votes) || t.votes[c] > t.votes[t.Class]) {
		t.Class = c
	}
}

// UpdateFrame folds in one sensor frame: measurements from one source
// captured at one time, with their ENU positions in e and n. It returns
// how many measurements started no track because their owner held its
// OwnerLimit (Matched says -1 for them).
func (tr *Tracker) UpdateFrame(frame []Measurement, e, n []float64) (capped int) {
	if len(frame) == 0 {
		return 0
	}
	t := frame[0].TimeNS
	tr.stamp++
	if tr.stamp == 0 { // wrapped: forget all stamps
		clear(tr.predAt)
		tr.stamp = 1
	}
	nt := len(tr.tracks)
	tr.pred = grow(tr.pred, nt)
	tr.predAt = growZero(tr.predAt, nt)
	tr.syncGrid()

	// Measurements in filter form.
	tr.src = tr.source(&frame[0])
	tr.heard(tr.src, &frame[0])
	tr.ms = grow(tr.ms, len(frame))
	for j := range frame {
		tr.ms[j] = tr.toMeas(&frame[j], e[j], n[j])
	}
	tr.debias(frame, t)
	tr.matched = grow(tr.matched, len(frame))
	for j := range tr.matched {
		tr.matched[j] = -1
	}
	tr.used = growZero(tr.used, nt)
	tr.linked = grow(tr.linked, len(frame))
	maxD2 := tr.cfg.MaxGateDistance * tr.cfg.MaxGateDistance
	// Links first: a measurement whose source id is linked to a track
	// keeps that track while it stays inside the gate, without a search.
	for j := range frame {
		m := &frame[j]
		l, ok := tr.src.linksOf(m.Kind)[m.LocalID]
		tr.linked[j] = l
		if !ok || l.idx < 0 || int(l.idx) >= nt || !linkFirst(m) {
			continue
		}
		if trk := &tr.tracks[l.idx]; trk.ID != l.id || tr.used[l.idx] || !compatible(trk.Class, m.Class) {
			continue // the track moved in the slice, was merged or deleted, or is taken
		}
		p := tr.predicted(int(l.idx), t)
		d2, ok := p.gate(&tr.ms[j])
		if qx, qy := p.position(); !ok || d2 > tr.cfg.GateChi2 || (qx-e[j])*(qx-e[j])+(qy-n[j])*(qy-n[j]) > maxD2 {
			continue
		}
		tr.matched[j] = l.idx
		tr.used[l.idx] = true
	}
	// Then gating for the rest: grid, class, distance, then Mahalanobis
	// against the track predicted to the frame time (once per track per
	// frame), among the tracks no link took.
	tr.edges = tr.edges[:0]
	for j := range frame {
		if tr.matched[j] >= 0 {
			continue
		}
		m := &frame[j]
		mm := &tr.ms[j]
		linked := tr.linked[j].id
		if len(tr.moved) > 0 {
			if to, ok := tr.moved[linked]; ok {
				linked = to // followed a merge
			}
		}
		tr.g.near(e[j], n[j], func(i int32) {
			if tr.used[i] {
				return
			}
			// The track's position from the grid's copy (current: setPos),
			// so that far candidates cost no touch of the track.
			if dx, dy := tr.g.px[i]-e[j], tr.g.py[i]-n[j]; dx*dx+dy*dy > 4*maxD2 { // generous before prediction (the grid's reach anyway)
				return
			}
			trk := &tr.tracks[i]
			if !compatible(trk.Class, m.Class) {
				return
			}
			p := tr.predicted(int(i), t)
			d2, ok := p.gate(mm)
			if !ok || d2 > tr.cfg.GateChi2 {
				return
			}
			if qx, qy := p.position(); (qx-e[j])*(qx-e[j])+(qy-n[j])*(qy-n[j]) > maxD2 {
				return
			}
			c := d2
			if trk.ID == linked {
				c -= tr.cfg.LinkBonus
			}
			tr.edges = append(tr.edges, edge{m: int32(j), t: i, cost: c})
		})
	}
	tr.frameSlot = tr.src.slot
	tr.rowIdx = grow(tr.rowIdx, len(frame))
	tr.colIdx = grow(tr.colIdx, nt)
	tr.associate(len(frame))
	tr.rescue(frame, e, n, t)
	for j := range frame {
		if i := tr.matched[j]; i >= 0 {
			tr.apply(int(i), j, &frame[j], &tr.ms[j], e[j], n[j])
		}
	}
	for j := range frame { // births after updates: indices above stay valid
		if tr.matched[j] >= 0 {
			continue
		}
		if m := &frame[j]; m.Owner != 0 && m.OwnerLimit > 0 && tr.owned[m.Owner] >= int32(m.OwnerLimit) {
			capped++
			continue
		}
		tr.birth(&frame[j], &tr.ms[j], e[j], n[j])
		tr.matched[j] = int32(len(tr.tracks) - 1)
	}
	tr.C.OwnerCapped += uint64(capped)
	return capped
}

// OwnerTracks returns how many live tracks owner's measurements started.
func (tr *Tracker) OwnerTracks(owner uint64) int { return int(tr.owned[owner]) }

// release forgets a track being deleted from its owner's count.
func (tr *Tracker) release(t *Track) {
	if t.Owner == 0 {
		return
	}
	if c := tr.owned[t.Owner] - 1; c > 0 {
		tr.owned[t.Owner] = c
	} else {
		delete(tr.owned, t.Owner)
	}
}

// rescue gives each measurement the assignment left without a track a
// second chance with a looser gate (RescueFactor × GateChi2) among the
// tracks this frame left unassigned, before it may start a new track. A
// real object's measurement falls outside a 99.9 % gate once in a
// thousand; without this, that would start a duplicate track.
func (tr *Tracker) rescue(frame []Measurement, e, n []float64, t int64) {
	for _, i := range tr.matched {
		if i >= 0 {
			tr.used[i] = true
		}
	}
	loose := tr.cfg.GateChi2 * rescueFactor
	for j := range frame {
		if tr.matched[j] >= 0 {
			continue
		}
		m := &frame[j]
		best, bestD := int32(-1), loose
		tr.g.near(e[j], n[j], func(i int32) {
			if tr.used[i] || !compatible(tr.tracks[i].Class, m.Class) {
				return
			}
			p := tr.predicted(int(i), t)
			if d2, ok := p.gate(&tr.ms[j]); ok && d2 < bestD {
				best, bestD = i, d2
			}
		})
		if best >= 0 {
			tr.matched[j] = best
			tr.used[best] = true
		}
	}
}

// rescueFactor widens the gate for measurements no track took.
const rescueFactor = 4

// predicted returns track i predicted to time t, computed once per frame.
//
// A track behind the frame is predicted in place (its estimate at the
// frame time is as good as the older one, whether or not the frame then
// updates it); a track ahead of the frame (an out-of-sequence frame) is
// predicted back into a copy, for gating only.
func (tr *Tracker) predicted(i int, t int64) *filter {
	trk := &tr.tracks[i]
	if t >= trk.TimeNS {
		if t > trk.TimeNS {
			trk.f.predict(float64(t-trk.TimeNS) / 1e9)
			trk.TimeNS = t
			tr.touched = append(tr.touched, int32(i))
			tr.setGridPos(i, trk)
		}
		return &trk.f
	}
	if tr.predAt[i] != tr.stamp {
		tr.pred[i] = trk.f
		tr.pred[i].predict(float64(t-trk.TimeNS) / 1e9)
		tr.predAt[i] = tr.stamp
	}
	return &tr.pred[i]
}

// associate solves the frame's gated assignment, one connected component
// at a time, writing tr.matched. Components come from a union-find over
// measurement nodes [0,nm) and track nodes [nm,nm+nt); edges are grouped
// by component with a counting sort.
func (tr *Tracker) associate(nm int) {
	if len(tr.edges) == 0 {
		return
	}
	nt := len(tr.tracks)
	nodes := nm + nt
	tr.comp.reset(nodes)
	for _, ed := range tr.edges {
		tr.comp.union(int(ed.m), nm+int(ed.t))
	}
	tr.count = growZero(tr.count, nodes+1)
	tr.roots = grow(tr.roots, len(tr.edges))
	for k, ed := range tr.edges {
		r := int32(tr.comp.find(int(ed.m)))
		tr.roots[k] = r
		tr.count[r+1]++
	}
	for i := 1; i <= nodes; i++ {
		tr.count[i] += tr.count[i-1]
	}
	tr.sorted = grow(tr.sorted, len(tr.edges))
	for k, ed := range tr.edges {
		r := tr.roots[k]
		tr.sorted[tr.count[r]] = ed
		tr.count[r]++
	}
	for lo := 0; lo < len(tr.sorted); {
		hi := lo + 1
		for hi < len(tr.sorted) && tr.comp.find(int(tr.sorted[hi].m)) == tr.comp.find(int(tr.sorted[lo].m)) {
			hi++
		}
		tr.solveComponent(tr.sorted[lo:hi], nm)
		lo = hi
	}
}

// solveComponent solves one component: rows are its measurements (left
// unassigned at cost GateChi2, when they start a new track), columns its
// tracks.
func (tr *Tracker) solveComponent(es []edge, nm int) {
	if len(es) == 1 { // the common case: one measurement, one track
		tr.matched[es[0].m] = es[0].t
		return
	}
	tr.compM, tr.compT = tr.compM[:0], tr.compT[:0]
	for _, ed := range es {
		if !tr.comp.seen(int(ed.m)) {
			tr.rowIdx[ed.m] = int32(len(tr.compM))
			tr.compM = append(tr.compM, ed.m)
		}
		if !tr.comp.seen(nm + int(ed.t)) {
			tr.colIdx[ed.t] = int32(len(tr.compT))
			tr.compT = append(tr.compT, ed.t)
		}
	}
	rows, cols := len(tr.compM), len(tr.compT)
	tr.cost = grow(tr.cost, rows*cols)
	for k := range tr.cost {
		tr.cost[k] = math.Inf(1)
	}
	for _, ed := range es {
		tr.cost[int(tr.rowIdx[ed.m])*cols+int(tr.colIdx[ed.t])] = ed.cost
	}
	tr.assign = grow(tr.assign, rows)
	tr.solver.Solve(tr.cost, rows, cols, tr.cfg.GateChi2, tr.assign)
	for r := 0; r < rows; r++ {
		if c := tr.assign[r]; c >= 0 {
			tr.matched[tr.compM[r]] = tr.compT[c]
		}
	}
}

// toMeas converts a measurement to filter form.
func (tr *Tracker) toMeas(m *Measurement, e, n float64) meas {
	mm := meas{z: [4]float64{e, n, float64(m.VelE), float64(m.VelN)}, hasVel: true}
	if m.CovEE > 0 && m.CovNN > 0 && float64(m.CovEE)*float64(m.CovNN) > float64(m.CovEN)*float64(m.CovEN) {
		mm.Rpos = [2][2]float64{{float64(m.CovEE), float64(m.CovEN)}, {float64(m.CovEN), float64(m.CovNN)}}
		if m.Kind == MeasDetection && tr.cfg.DetectionBiasVar > 0 {
			mm.Rpos[0][0] += tr.cfg.DetectionBiasVar
			mm.Rpos[1][1] += tr.cfg.DetectionBiasVar
		}
	} else {
		v := tr.cfg.DefaultPosVar
		mm.Rpos = [2][2]float64{{v, 0}, {0, v}}
	}
	mm.velVar = tr.cfg.DefaultVelVar
	if !m.Class.Vehicle() && m.Class != v2x.ClassUnknown {
		mm.velVar = tr.cfg.PedestrianVelVar
	}
	return mm
}

// source returns the state of the measurement's source, creating it on
// first sight; its slot bit cycles through 64.
func (tr *Tracker) source(m *Measurement) *sourceState {
	k := sourceKey{stream: m.Stream, source: m.Source}
	st, ok := tr.sources[k]
	if !ok {
		st = &sourceState{slot: 1 << (len(tr.sources) % 64),
			links: [2]map[uint64]link{make(map[uint64]link), make(map[uint64]link)}}
		tr.sources[k] = st
	}
	return st
}

// apply updates track i with a measurement assigned to it.
func (tr *Tracker) apply(i, j int, m *Measurement, mm *meas, e, n float64) {
	trk := &tr.tracks[i]
	dt := m.TimeNS - trk.TimeNS
	rule := fusionRule{ci: tr.cfg.CovarianceIntersection, inflate: tr.cfg.CorrelationInflation}
	switch {
	case dt >= 0:
		tr.predicted(i, m.TimeNS) // in place
		tr.besideCamera(trk, m, mm)
		if !trk.f.update(mm, rule) {
			tr.C.FilterFailed++
			return
		}
		if tr.cfg.ExactOOSM {
			tr.histRecord(i, m.TimeNS, mm)
		}
	case -dt > tr.cfg.FixedLagNS:
		tr.C.TooOld++
		return
	default:
		tr.C.OutOfSequence++
		// Exact (ExactOOSM): re-run the filter from the measurement's time
		// (oosm.go).
		done, ok := false, false
		if tr.cfg.ExactOOSM {
			tr.besideCamera(trk, m, mm)
			done, ok = tr.replay(i, m.TimeNS, mm)
		}
		if !done { // approximate (or the history does not reach back)
			tr.C.Retrodicted++
			retrodict(trk, mm, -dt)
			if !tr.cfg.ExactOOSM {
				tr.besideCamera(trk, m, mm)
			}
			ok = trk.f.update(mm, rule)
			if ok && tr.cfg.ExactOOSM {
				tr.histReset(i)
			}
		}
		if !ok {
			tr.C.FilterFailed++
			return
		}
	}
	tr.touched = append(tr.touched, int32(i))
	tr.setGridPos(i, trk)
	tr.C.Measurements++
	trk.Hits++
	if m.TimeNS-trk.srcEpoch > 500e6 {
		trk.Sources, trk.srcCur, trk.srcEpoch = trk.srcCur, 0, m.TimeNS
	}
	trk.srcCur |= tr.frameSlot
	trk.Sources |= trk.srcCur
	trk.anchorLat, trk.anchorLon, trk.anchorE, trk.anchorN = m.Lat, m.Lon, e, n
	if tr.bias != nil {
		tr.bias.observe(trk, m, tr.frameCam, e, n)
	}
	if m.Length > 0 {
		trk.Length, trk.Width = m.Length, m.Width
	}
	switch m.Kind {
	case MeasSelfReport:
		trk.LastSelf = max(trk.LastSelf, m.TimeNS)
		trk.VehicleID, trk.SelfStream = m.LocalID, m.Stream
		if !trk.Confirmed {
			trk.Confirmed = true
			tr.C.Confirmed++
			tr.confirmSeed(trk, m, e, n)
		}
		trk.vote(m.Class, 10) // the vehicle knows what it is
	default:
		trk.LastCam = max(trk.LastCam, m.TimeNS)
		trk.vote(m.Class, 1)
		trk.note(frameMark{tr.frameSlot, m.TimeNS})
	}
	need := tr.cfg.ConfirmHitsSingle
	if bitsSet(trk.Sources) > 1 {
		need = tr.cfg.ConfirmHits
	}
	if !trk.Confirmed && trk.Hits >= int32(need) && m.TimeNS-trk.BornNS <= tr.cfg.ConfirmWindowNS {
		trk.Confirmed = true
		tr.C.Confirmed++
		tr.confirmSeed(trk, m, e, n)
	}
	if l := (link{id: trk.ID, idx: int32(i)}); tr.linked[j] != l {
		tr.src.linksOf(m.Kind)[m.LocalID] = l
	}
}

// velVar is the mean variance of the velocity estimate (m/s)².
func velVar(f *filter) float64 {
	if f.m == modelCTRV {
		v := f.x[2]
		return f.P[2][2] + v*v*f.P[3][3]
	}
	return (f.P[2][2] + f.P[3][3]) / 2
}

// birth starts a track from an unassigned measurement. A BSM creates a
// confirmed track; a detection a tentative one.
func (tr *Tracker) birth(m *Measurement, mm *meas, e, n float64) {
	// A BSM's vehicle is known at once: it takes a neighbour's seed now;
	// a detection only once it is confirmed (confirmSeed), so that clutter
	// never takes one.
	var id uint32
	seeded, handed, found := false, false, false
	if m.Kind == MeasSelfReport {
		var l lost
		if l, found = tr.refind(m, e, n, float64(m.VelE), float64(m.VelN)); found {
			id, seeded, handed = l.id, l.seeded, l.handedOver
		} else {
			id, seeded = tr.takeSeed(m, e, n)
		}
	}
	if !seeded && !found {
		id = tr.newID()
	}
	trk := Track{ID: id, Seeded: seeded, HandedOver: handed, Class: m.Class, TimeNS: m.TimeNS, BornNS: m.TimeNS, Hits: 1, Owner: m.Owner,
		Length: m.Length, Width: m.Width, anchorLat: m.Lat, anchorLon: m.Lon, anchorE: e, anchorN: n}
	f := &trk.f
	f.m = modelFor(m.Class)
	f.x[0], f.x[1] = e, n
	f.P[0][0], f.P[0][1], f.P[1][0], f.P[1][1] = mm.Rpos[0][0], mm.Rpos[0][1], mm.Rpos[1][0], mm.Rpos[1][1]
	ve, vn := float64(m.VelE), float64(m.VelN)
	if f.m == modelCTRV {
		f.x[2] = math.Hypot(ve, vn)
		f.x[3] = math.Atan2(vn, ve)
		if f.x[2] < 0.5 && m.Speed > 0 { // slow: trust the reported heading more than the velocity
			f.x[3] = (90 - float64(m.Heading)) * math.Pi / 180
		}
		f.x[3] = wrapAngle(f.x[3])
		f.syncYaw()
		f.P[2][2], f.P[3][3], f.P[4][4] = tr.cfg.InitialSpeedVar, tr.cfg.InitialYawVar, tr.cfg.InitialYawRateVar
	} else {
		f.x[2], f.x[3] = ve, vn
		f.P[2][2], f.P[3][3] = tr.cfg.InitialSpeedVar, tr.cfg.InitialSpeedVar
	}
	trk.Sources = tr.frameSlot
	trk.vote(m.Class, 1)
	if m.Kind == MeasSelfReport {
		trk.Confirmed, trk.LastSelf, trk.VehicleID, trk.SelfStream = true, m.TimeNS, m.LocalID, m.Stream
		tr.C.Confirmed++
	} else {
		trk.LastCam = m.TimeNS
		trk.note(frameMark{tr.frameSlot, m.TimeNS})
	}
	tr.tracks = append(tr.tracks, trk)
	if tr.bias != nil {
		tr.bias.observe(&tr.tracks[len(tr.tracks)-1], m, tr.frameCam, e, n)
	}
	if tr.cfg.ExactOOSM {
		tr.histReset(len(tr.tracks) - 1)
	}
	if m.Owner != 0 {
		tr.owned[m.Owner]++
	}
	tr.expireAt = min(tr.expireAt, tr.deadline(&trk))
	tr.src.linksOf(m.Kind)[m.LocalID] = link{id: trk.ID, idx: int32(len(tr.tracks) - 1)}
	tr.C.Born++
	tr.C.Measurements++
}

// Expire deletes tracks that no source has seen for long enough, as of
// now. The scan over every track runs only once the earliest deadline
// found by the last scan (or of a track born since) has passed: updates
// only ever push a track's deadline later, so none can have died before.
func (tr *Tracker) Expire(now int64) {
	tr.merge()
	tr.expireSeeds(now)
	if now > tr.expireAt {
		clk := tr.expiryClock(now)
		tr.expireAt = math.MaxInt64
		deleted := false
		for i := 0; i < len(tr.tracks); {
			t := &tr.tracks[i]
			if d := tr.deadline(t); clk <= d {
				tr.expireAt = min(tr.expireAt, d)
				i++
				continue
			}
			tr.C.Deleted++
			tr.loseTrack(t)
			if t.Seeded && !t.HandedOver {
				tr.seedLost(t)
			}
			tr.release(t)
			deleted = true
			last := len(tr.tracks) - 1
			tr.tracks[i] = tr.tracks[last]
			tr.histMove(i, last)
			tr.tracks = tr.tracks[:last]
		}
		if deleted {
			tr.g.invalidate()
		}
	}
	// Links to deleted tracks go when the map has grown well past the
	// track count (amortised; no per-cycle allocation).
	nl := 0
	for _, st := range tr.sources {
		nl += len(st.links[0]) + len(st.links[1])
	}
	if nl > 4*len(tr.tracks)+1024 {
		clear(tr.byID)
		for i := range tr.tracks {
			tr.byID[tr.tracks[i].ID] = int32(i)
		}
		for _, st := range tr.sources {
			for _, links := range st.links {
				for k, l := range links {
					if _, ok := tr.byID[l.id]; !ok {
						delete(links, k)
					}
				}
			}
		}
		clear(tr.moved)
	}
}

// deadline returns the node time after which track t is deleted unless a
// source sees it again.
func (tr *Tracker) deadline(t *Track) int64 {
	if !t.Confirmed || (t.LastSelf == 0 && t.Hits < int32(2*tr.cfg.ConfirmHitsSingle)) {
		// Tentative, or confirmed on a few camera frames only (as
		// persistent clutter is): lost as fast as a tentative track.
		return max(t.LastCam, t.LastSelf, t.BornNS) + tr.cfg.TentativeLossNS
	}
	d := int64(math.MinInt64)
	if t.LastCam != 0 {
		d = t.LastCam + tr.cfg.CameraLossNS
	}
	if t.LastSelf != 0 {
		d = max(d, t.LastSelf+tr.cfg.SelfReportLossNS)
	}
	return d
}

// setGridPos records a moved track's position in the grid's copy.
func (tr *Tracker) setGridPos(i int, trk *Track) {
	x, y := trk.f.position()
	tr.g.setPos(i, x, y)
}

// syncGrid brings the spatial grid up to date with the tracks: rebuilt
// when tracks were deleted or reframed, else the tracks that moved since
// re-indexed and those born since added.
func (tr *Tracker) syncGrid() {
	if !tr.g.valid || tr.g.len() > len(tr.tracks) {
		tr.g.build(len(tr.tracks), func(i int) (float64, float64) { return tr.tracks[i].f.position() })
		tr.touched = tr.touched[:0]
		return
	}
	for _, i := range tr.touched {
		if int(i) < tr.g.len() {
			x, y := tr.tracks[i].f.position()
			tr.g.move(int(i), x, y)
		}
	}
	tr.touched = tr.touched[:0]
	for i := tr.g.len(); i < len(tr.tracks); i++ {
		tr.g.add(tr.tracks[i].f.position())
	}
}

// Motion returns the track's speed (m/s) and heading (degrees clockwise
// from north, [0, 360)).
func (t *Track) Motion() (speed, heading float64) {
	var yaw float64
	if t.f.m == modelCTRV {
		speed, yaw = t.f.x[2], t.f.x[3]
	} else {
		speed, yaw = math.Hypot(t.f.x[2], t.f.x[3]), math.Atan2(t.f.x[3], t.f.x[2])
	}
	heading = 90 - yaw*180/math.Pi
	if heading < 0 {
		heading += 360
	}
	if heading >= 360 {
		heading -= 360
	}
	return speed, heading
}

// At returns track t's position and velocity extrapolated linearly to now
// (cheap enough for every snapshot).
func (t *Track) At(now int64) (e, n, ve, vn float64) {
	e, n = t.f.position()
	ve, vn = t.f.velocity()
	dt := float64(now-t.TimeNS) / 1e9
	return e + ve*dt, n + vn*dt, ve, vn
}

// LatLon converts a position of track t (ENU metres) to WGS84, locally
// around the track's last measurement's exact geodetic position, with the
// degrees per metre at a latitude near it (within the 2 km of an
// intersection they change by about 1e-4 relative: sub-millimetre over the
// few metres between estimate and anchor).
func (tr *Tracker) LatLon(t *Track, e, n float64) (lat, lon float64) {
	sc := &tr.scale
	if sc.lat == 0 || math.Abs(t.anchorLat-sc.at) > 0.05 {
		sc.lat, sc.lon = localScale(t.anchorLat)
		sc.at = t.anchorLat
	}
	return t.anchorLat + (n-t.anchorN)*sc.lat, t.anchorLon + (e-t.anchorE)*sc.lon
}

// localScale returns degrees of latitude and longitude per metre north and
// east at a latitude, from the WGS84 radii of curvature.
func localScale(lat float64) (dLat, dLon float64) {
	const a, e2 = 6378137.0, 6.69437999014e-3
	s, c := math.Sincos(lat * math.Pi / 180)
	w := 1 - e2*s*s
	nRad := a / math.Sqrt(w)                  // prime vertical
	mRad := a * (1 - e2) / (w * math.Sqrt(w)) // meridian
	return 180 / math.Pi / mRad, 180 / math.Pi / (nRad * c)
}

func bitsSet(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// TrustMark is per-track state owned by the caller's misbehaviour checks
// (package trust): the tracker keeps it with the track and never reads
// it.
type TrustMark struct {
	CamSeen     int64 // node time a camera detection last updated (or confirmed) the track
	Flags       uint8
	Near        uint8  // detections seen near it since it entered coverage
	Count       uint8  // times the other id coincided with the owner
	PairN       uint8  // overlaps counted in a row
	Pair        uint32 // track whose footprint this one's claims overlap
	Since       int64  // node time the track entered camera coverage; 0 outside
	NearT       int64  // node time of the newest detection seen near it
	Owner       uint64 // self-report id that updates the track
	OwnerStream uint64
	OwnerT      int64
	Other       uint64 // another self-report id seen updating it
	OtherStream uint64
	OtherT      int64
	PairT       int64 // self-report time of the last overlap counted
}

// Matched returns, per measurement of the frame last folded in, the index
// of the track it updated or started (-1: dropped); valid until the next
// call that changes the tracker.
func (tr *Tracker) Matched() []int32 { return tr.matched }

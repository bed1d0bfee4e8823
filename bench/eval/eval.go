// Package eval judges fused state against the simulator's ground truth
// with the CLEAR-MOT metrics (MOTA, position RMSE, identity switches,
// false tracks, misses), and measures the best single input source the
// same way, so the fusion can be compared with what it fuses.
package eval

import (
	"fmt"
	"math"
	"os"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Options tune the evaluator.
type Options struct {
	// MatchDistance is the largest distance (m) at which a fused object or
	// a measurement counts as the true object (2.5).
	MatchDistance float64
	// Every spaces the evaluated states (100 ms): CLEAR-MOT frames.
	Every time.Duration
	// Warmup skips states and measurements before this long after the
	// first truth (2 s): tracks need a few frames to confirm.
	Warmup time.Duration
	// Attack is the kind of attack the run injects ("" for a clean run),
	// reported as is; AttackerIdentity is the identity name in the
	// attacker's certificate, by which findings are attributed (see
	// AddEvent).
	Attack           string
	AttackerIdentity string
	// OnFrame, if set, is called for every true object of every judged
	// state: the state's time, the true id, whether it lies in camera
	// coverage, and the fused id matched to it (0: none). The corridor
	// evaluation follows identities across nodes with it.
	OnFrame func(t int64, trueID uint32, covered bool, fusedID uint32)
	// Name labels the evaluator's debug lines (V2X_EVAL_DEBUG).
	Name string
}

// Result is the evaluation, printed as one JSON line by v2x-sim -evaluate.
type Result struct {
	MOTA             float64 `json:"mota"`
	RMSE             float64 `json:"rmse_m"`
	IDSwitches       int     `json:"id_switches"`
	FalseTracks      int     `json:"false_tracks"`
	FalseNearTruth   int     `json:"false_tracks_near_truth"`   // within 5 m of a true object: duplicates or stray estimates
	FalseMultiSource int     `json:"false_tracks_multi_source"` // fed by more than one source
	Missed           int     `json:"missed"`
	GroundTruth      int     `json:"ground_truth"` // true objects summed over frames
	Matches          int     `json:"matches"`
	Frames           int     `json:"frames"`
	// The tracked single-source baseline (see tracked.go): the fused RMSE
	// over the true objects seen by at least two sources; per source, its
	// own tracker's RMSE on the objects it shares with another source and
	// the fused RMSE on the same objects and frames, and their ratio; the
	// source with the highest ratio (the one fusion improves on least) and
	// that ratio. Empty without shadow trackers (AddShadow).
	MultiSourceRMSE        float64            `json:"multi_source_rmse_m"`
	MultiSourceMatches     int                `json:"multi_source_matches"`
	BestSingleTrackedRMSE  float64            `json:"best_single_tracked_rmse_m"`
	BestSingleTracked      string             `json:"best_single_tracked_source"`
	RMSERatioTracked       float64            `json:"rmse_ratio_tracked"`
	SourceTrackedRMSE      map[string]float64 `json:"source_tracked_rmse_m,omitempty"`
	SourceTrackedFusedRMSE map[string]float64 `json:"source_tracked_fused_rmse_m,omitempty"`
	SourceTrackedRatio     map[string]float64 `json:"source_tracked_ratio,omitempty"`
	SourceTrackedMatches   map[string]int     `json:"source_tracked_matches,omitempty"`
	// The raw figures: each source's own per-message positions against
	// truth, untracked. Not a fair baseline for filtered tracks (smoothing
	// white noise alone beats them); kept for reference.
	BestSingleSourceRMSE   float64            `json:"raw_best_single_source_rmse_m"`
	BestSingleSource       string             `json:"raw_best_single_source"`
	RMSERatio              float64            `json:"raw_rmse_ratio"` // rmse_m / raw_best_single_source_rmse_m
	SourceRMSE             map[string]float64 `json:"raw_source_rmse_m"`
	SourceMatches          map[string]int     `json:"raw_source_matches"`
	CoveredObjectsPerFrame float64            `json:"covered_objects_per_frame"`
	// Seed is the scenario's seed (set by the caller).
	Seed int64 `json:"seed"`
	// The information floor of the scenario's rmse_ratio_tracked
	// (sim.FusionFloor: an ideal fusion of its sources), with the
	// cameras' biases and with them removed; set by v2x-sim -sweep.
	FusionFloor       float64 `json:"fusion_floor,omitempty"`
	FusionFloorNoBias float64 `json:"fusion_floor_no_bias,omitempty"`
	// The attack (see attack.go): its kind, whether a finding against the
	// attacker came, the milliseconds from the first forged message sent
	// to the first such finding received (null if none), the object-frames
	// in which a broadcast object was a forged one no real object
	// explains, the findings against honest sources, and all findings.
	Attack                 string   `json:"attack"`
	Detected               bool     `json:"detected"`
	DetectMS               *float64 `json:"detect_ms"`
	ForgedObjectsBroadcast int      `json:"forged_objects_broadcast"`
	FalseFindings          int      `json:"false_findings"`
	Findings               int      `json:"findings"`
}

// Evaluator accumulates truth, measurements and states. Feed it from one
// goroutine.
type Evaluator struct {
	opt   Options
	frame geo.Frame
	cams  []sim.Camera

	truth []truthSample // time-ordered, trimmed to the last few seconds
	start int64
	has   bool

	nextFrame int64
	lastFrame int32
	lastMatch map[uint32]uint32 // true id -> fused id it was last matched to

	mota  counts
	srcSq map[string]float64
	srcN  map[string]int
	names map[uint32]string

	asg   track.Assigner
	cost  []float64
	rowTo []int32

	atk attackCounts

	// The tracked baseline (tracked.go): the squared error of every judged
	// match by frame and true object; the sources whose raw output matched
	// each true object; the shadow evaluators by source name.
	errs    map[frameObject]float64
	seen    map[uint32]map[string]bool
	shadows map[string]*Evaluator
}

type counts struct {
	gt, fp, fn, idsw, matches, frames int
	fpNear, fpMulti                   int
	sq                                float64
}

type truthSample struct {
	t      int64 // ns since the Unix epoch (node-comparable)
	objs   []sim.TruthObject
	forged []sim.ForgedObject // what an attack claims at t
}

// New returns an evaluator for the simulator s (its MAP frame, cameras and
// source names).
func New(s *sim.Sim, opt Options) *Evaluator {
	if opt.MatchDistance == 0 {
		opt.MatchDistance = 2.5
	}
	if opt.Every == 0 {
		opt.Every = 100 * time.Millisecond
	}
	if opt.Warmup == 0 {
		opt.Warmup = 2 * time.Second
	}
	m := s.Map()
	e := &Evaluator{opt: opt, frame: geo.NewFrame(m.RefLat, m.RefLon, 0), cams: s.Cameras(),
		lastMatch: map[uint32]uint32{}, srcSq: map[string]float64{}, srcN: map[string]int{}, names: map[uint32]string{},
		errs: map[frameObject]float64{}, seen: map[uint32]map[string]bool{}}
	for _, src := range s.Sources() {
		e.names[src.ID] = src.Name
	}
	return e
}

// Covered reports whether a point (metres from the MAP reference point)
// lies in some camera's field of view and range.
func (e *Evaluator) Covered(x, y float64) bool { return sim.Covered(e.cams, x, y) }

// AddTruth records the true objects at time t (ns, node-comparable).
func (e *Evaluator) AddTruth(t int64, objs []sim.TruthObject) { e.AddScene(t, objs, nil) }

// AddScene records the true objects and the forged objects of an attack
// at time t (ns, node-comparable).
func (e *Evaluator) AddScene(t int64, objs []sim.TruthObject, forged []sim.ForgedObject) {
	if !e.has {
		e.start, e.has = t, true
		e.nextFrame = t + int64(e.opt.Warmup)
	}
	// Reuse the oldest sample's slice once the window is full.
	var buf []sim.TruthObject
	var fbuf []sim.ForgedObject
	for len(e.truth) > 0 && t-e.truth[0].t > int64(3*time.Second) {
		buf, fbuf = e.truth[0].objs[:0], e.truth[0].forged[:0]
		e.truth = e.truth[1:]
	}
	e.truth = append(e.truth, truthSample{t: t, objs: append(buf, objs...), forged: append(fbuf, forged...)})
	e.noteForged(forged)
	for _, sh := range e.shadows {
		sh.AddScene(t, objs, nil)
	}
}

// at returns the truth sample nearest to t, if one lies within 20 ms.
func (e *Evaluator) at(t int64) []sim.TruthObject {
	if s := e.sampleAt(t); s != nil {
		return s.objs
	}
	return nil
}

// sampleAt returns the truth sample nearest to t, if one lies within 20 ms.
func (e *Evaluator) sampleAt(t int64) *truthSample {
	lo, hi := 0, len(e.truth)
	for lo < hi {
		mid := (lo + hi) / 2
		if e.truth[mid].t < t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	best := -1
	for _, i := range []int{lo - 1, lo} {
		if i >= 0 && i < len(e.truth) && (best < 0 || abs(e.truth[i].t-t) < abs(e.truth[best].t-t)) {
			best = i
		}
	}
	if best < 0 || abs(e.truth[best].t-t) > int64(20*time.Millisecond) {
		return nil
	}
	return &e.truth[best]
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

type point struct {
	id   uint32
	x, y float64
}

// keepBonus is subtracted from the cost of a pair that continues a
// correspondence of an earlier frame: larger than any sum of gated
// distances the rest of a frame's assignment could save by breaking it.
const keepBonus = 1e6

// match solves the min-distance assignment between truth and candidates
// within MatchDistance; it returns, per truth index, the candidate index
// or -1. With keep, it does so as CLEAR-MOT prescribes (Bernardin and
// Stiefelhagen 2008, §2.1.1): a true object's correspondence of an
// earlier frame (lastMatch) is kept while its fused object is still within
// MatchDistance, and only the rest are assigned by distance. Without it,
// two true objects side by side (pedestrians walking together) whose two
// tracks are both within reach would trade them whenever the noise makes
// the other pairing a little shorter, each trade counted as two identity
// switches though no track changed object.
func (e *Evaluator) match(truth, cand []point, keep bool) []int32 {
	rows, cols := len(truth), len(cand)
	e.cost = e.cost[:0]
	d2max := e.opt.MatchDistance * e.opt.MatchDistance
	for _, t := range truth {
		prev, kept := e.lastMatch[t.id]
		kept = kept && keep
		for _, c := range cand {
			d2 := (t.x-c.x)*(t.x-c.x) + (t.y-c.y)*(t.y-c.y)
			switch {
			case d2 > d2max:
				d2 = math.Inf(1)
			case kept && c.id == prev:
				d2 -= keepBonus
			}
			e.cost = append(e.cost, d2)
		}
	}
	if cap(e.rowTo) < rows {
		e.rowTo = make([]int32, rows)
	}
	e.rowTo = e.rowTo[:rows]
	e.asg.Solve(e.cost, rows, cols, d2max, e.rowTo)
	return e.rowTo
}

// AddState evaluates a fused state of node time t (at most one per Every).
func (e *Evaluator) AddState(t int64, objs []wire.StateObject) {
	if !e.has || t < e.nextFrame {
		return
	}
	sample := e.sampleAt(t)
	if sample == nil {
		if debugFP {
			last := int64(0)
			if len(e.truth) > 0 {
				last = e.truth[len(e.truth)-1].t
			}
			fmt.Fprintf(os.Stderr, "NOTRUTH %s t=%d lastTruth=%+dms\n", e.opt.Name, (t-e.start)/1e6, (last-t)/1e6)
		}
		return
	}
	truth := sample.objs
	// Frames sit on a grid of Every from the end of the warm-up, so that
	// evaluators of different nodes judge the same frames (tracked.go).
	// A state judges the grid point nearest to it; the next one judged
	// comes half a step before the next grid point or later.
	base, every := e.start+int64(e.opt.Warmup), int64(e.opt.Every)
	frame := int32((t - base + every/2) / every)
	if debugFP && e.mota.frames > 0 && frame-e.lastFrame > 1 {
		fmt.Fprintf(os.Stderr, "GAP %s t=%d skipped=%d\n", e.opt.Name, (t-e.start)/1e6, frame-e.lastFrame-1)
	}
	e.lastFrame = frame
	e.nextFrame = base + int64(frame)*every + every/2
	// Everything is matched with everything; only covered truth counts
	// (misses, matches), and not what no sensor can see (sim's Hidden:
	// behind a tall vehicle from every camera, and no BSM), and a fused object counts as false only when it
	// lies in coverage and matches no true object at all: the edge of
	// coverage is a don't-care zone, as in CLEAR-MOT practice.
	var tp, cp []point
	var covered []bool
	for _, o := range truth {
		tp = append(tp, point{id: o.ID, x: o.E, y: o.N})
		covered = append(covered, !o.Hidden && e.Covered(o.E, o.N))
	}
	var speed []float32
	for _, o := range objs {
		x, y, _ := e.frame.ToENU(o.Lat, o.Lon, 0)
		cp = append(cp, point{id: o.ID, x: x, y: y})
		speed = append(speed, o.Speed)
	}
	m := e.match(tp, cp, true)
	c := &e.mota
	c.frames++
	taken := make([]bool, len(cp))
	for i, j := range m {
		if j >= 0 {
			taken[j] = true
		}
		if e.opt.OnFrame != nil {
			var fid uint32
			if j >= 0 {
				fid = cp[j].id
			}
			e.opt.OnFrame(t, tp[i].id, covered[i], fid)
		}
		if !covered[i] {
			continue
		}
		c.gt++
		if j < 0 {
			c.fn++
			if debugFP {
				fmt.Fprintf(os.Stderr, "FN %s t=%d true=%d %s speed=%.1f at %.1f,%.1f last=%d\n", e.opt.Name, (t-e.start)/1e6, tp[i].id, truth[i].Class, truth[i].Speed, tp[i].x, tp[i].y, e.lastMatch[tp[i].id])
			}
			continue
		}
		c.matches++
		dx, dy := tp[i].x-cp[j].x, tp[i].y-cp[j].y
		c.sq += dx*dx + dy*dy
		e.errs[frameObject{frame, tp[i].id}] = dx*dx + dy*dy
		if prev, ok := e.lastMatch[tp[i].id]; ok && prev != cp[j].id {
			c.idsw++
			if debugFP {
				fmt.Fprintf(os.Stderr, "IDSW %s t=%d true=%d %s speed=%.1f at %.1f,%.1f from %d to %d src=%d age=%dms\n", e.opt.Name, (t-e.start)/1e6, tp[i].id, truth[i].Class, truth[i].Speed, tp[i].x, tp[i].y, prev, cp[j].id, objs[j].Sources, objs[j].AgeMS)
			}
		}
		e.lastMatch[tp[i].id] = cp[j].id
	}
	e.countForged(sample.forged, cp, speed, taken)
	for j := range cp {
		if !taken[j] && e.Covered(cp[j].x, cp[j].y) {
			c.fp++
			near := false
			for _, t := range tp {
				near = near || (t.x-cp[j].x)*(t.x-cp[j].x)+(t.y-cp[j].y)*(t.y-cp[j].y) < 25
			}
			if near {
				c.fpNear++
			}
			if debugFP {
				bd, bc := math.Inf(1), ""
				for k, t := range tp {
					if d := math.Hypot(t.x-cp[j].x, t.y-cp[j].y); d < bd {
						bd, bc = d, fmt.Sprintf("%s taken=%v speed=%.1f", truth[k].Class, m[k] >= 0, truth[k].Speed)
					}
				}
				o := objs[j]
				fmt.Fprintf(os.Stderr, "FP %s t=%d id=%d %s src=%d age=%dms speed=%.1f at %.1f,%.1f nearest truth %.1fm %s\n", e.opt.Name, (t-e.start)/1e6, o.ID, o.Class, o.Sources, o.AgeMS, o.Speed, cp[j].x, cp[j].y, bd, bc)
			}
			if objs[j].Sources > 1 {
				c.fpMulti++
			}
		}
	}
}

// AddMeasurements evaluates one source's raw output: captured at true
// time t, with the given positions. Camera false positives and misses do
// not enter: this is the positional accuracy of what the source reports
// about real objects in camera coverage.
func (e *Evaluator) AddMeasurements(source uint32, t int64, lats, lons []float64) {
	if !e.has || t < e.start+int64(e.opt.Warmup) {
		return
	}
	truth := e.at(t)
	if truth == nil {
		return
	}
	var tp, cp []point
	for _, o := range truth {
		if !o.Hidden && e.Covered(o.E, o.N) {
			tp = append(tp, point{id: o.ID, x: o.E, y: o.N})
		}
	}
	for i := range lats {
		x, y, _ := e.frame.ToENU(lats[i], lons[i], 0)
		cp = append(cp, point{x: x, y: y})
	}
	name := e.names[source]
	for i, j := range e.match(tp, cp, false) {
		if j >= 0 {
			if e.seen[tp[i].id] == nil {
				e.seen[tp[i].id] = map[string]bool{}
			}
			e.seen[tp[i].id][name] = true
			dx, dy := tp[i].x-cp[j].x, tp[i].y-cp[j].y
			e.srcSq[name] += dx*dx + dy*dy
			e.srcN[name]++
		}
	}
}

// AddOutput is AddMeasurements for a simulator output: BSMs and camera
// object lists (other messages are ignored). trueCapture is its capture
// time on the true clock (ns, node-comparable).
func (e *Evaluator) AddOutput(o *sim.Output, trueCapture int64) {
	switch o.Type {
	case sim.MsgBSM:
		e.AddMeasurements(o.Source, trueCapture, []float64{o.BSM.Lat}, []float64{o.BSM.Lon})
	case sim.MsgObjectList:
		lats := make([]float64, 0, len(o.Objects.Objects))
		lons := make([]float64, 0, len(o.Objects.Objects))
		for _, d := range o.Objects.Objects {
			lats, lons = append(lats, d.Lat), append(lons, d.Lon)
		}
		e.AddMeasurements(o.Source, trueCapture, lats, lons)
	}
}

// minSourceMatches is how many matches a source needs to be ranked.
const minSourceMatches = 50

var debugFP = os.Getenv("V2X_EVAL_DEBUG") != ""

// Result computes the metrics so far.
func (e *Evaluator) Result() Result {
	c := e.mota
	r := Result{IDSwitches: c.idsw, FalseTracks: c.fp, FalseNearTruth: c.fpNear, FalseMultiSource: c.fpMulti, Missed: c.fn, GroundTruth: c.gt, Matches: c.matches,
		Frames: c.frames, SourceRMSE: map[string]float64{}, SourceMatches: map[string]int{}}
	if c.gt > 0 {
		r.MOTA = 1 - float64(c.fn+c.fp+c.idsw)/float64(c.gt)
		r.CoveredObjectsPerFrame = float64(c.gt) / float64(max(c.frames, 1))
	}
	if c.matches > 0 {
		r.RMSE = math.Sqrt(c.sq / float64(c.matches))
	}
	r.BestSingleSourceRMSE = math.Inf(1)
	for name, n := range e.srcN {
		rm := math.Sqrt(e.srcSq[name] / float64(n))
		r.SourceRMSE[name], r.SourceMatches[name] = round(rm), n
		if n >= minSourceMatches && rm < r.BestSingleSourceRMSE {
			r.BestSingleSourceRMSE, r.BestSingleSource = rm, name
		}
	}
	if math.IsInf(r.BestSingleSourceRMSE, 1) {
		r.BestSingleSourceRMSE = 0
	} else {
		r.RMSERatio = round(r.RMSE / r.BestSingleSourceRMSE)
	}
	r.MOTA, r.RMSE, r.BestSingleSourceRMSE = round(r.MOTA), round(r.RMSE), round(r.BestSingleSourceRMSE)
	r.CoveredObjectsPerFrame = round(r.CoveredObjectsPerFrame)
	e.attackResult(&r)
	e.trackedResult(&r)
	return r
}

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

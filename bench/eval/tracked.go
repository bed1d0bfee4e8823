package eval

import (
	"math"
	"sort"
)

// The tracked single-source baseline. A fused track is a filtered
// estimate, so the fair yardstick is not a source's raw positions but the
// same tracker fed by that source alone, judged the same way: a shadow
// node per source (see Shadows), each judged by a shadow Evaluator
// (AddShadow) on the same grid of frames. Result then compares, for each
// source S, the fused error with S's own tracked error on the same
// (frame, true object) pairs, over the true objects S shares with at least
// one other source (by the raw matches of AddMeasurements): where fusion
// has something to fuse.

// frameObject names one judged match: a frame of the grid and a true
// object.
type frameObject struct {
	frame int32
	id    uint32
}

// AddShadow returns a new evaluator for the state of a node fed by source
// name alone; the truth recorded here reaches it too. Feed its states with
// AddState; Result compares with it.
func (e *Evaluator) AddShadow(name string) *Evaluator {
	sh := &Evaluator{opt: e.opt, frame: e.frame, cams: e.cams, lastMatch: map[uint32]uint32{},
		srcSq: map[string]float64{}, srcN: map[string]int{}, names: e.names,
		errs: map[frameObject]float64{}, seen: map[uint32]map[string]bool{}}
	sh.opt.Attack = ""
	sh.opt.Name = "shadow-" + name
	if e.has {
		sh.start, sh.has, sh.nextFrame = e.start, true, e.start+int64(e.opt.Warmup)
	}
	if e.shadows == nil {
		e.shadows = map[string]*Evaluator{}
	}
	e.shadows[name] = sh
	return sh
}

// Shadow returns the shadow evaluator of source name, nil if none.
func (e *Evaluator) Shadow(name string) *Evaluator { return e.shadows[name] }

// multiSource reports whether true object id was seen by at least two
// sources.
func (e *Evaluator) multiSource(id uint32) bool { return len(e.seen[id]) >= 2 }

// trackedResult fills the tracked-baseline fields of r.
func (e *Evaluator) trackedResult(r *Result) {
	var sq float64
	var n int
	for k, d2 := range e.errs {
		if e.multiSource(k.id) {
			sq += d2
			n++
		}
	}
	if n > 0 {
		r.MultiSourceRMSE, r.MultiSourceMatches = round(math.Sqrt(sq/float64(n))), n
	}
	if len(e.shadows) == 0 {
		return
	}
	r.SourceTrackedRMSE, r.SourceTrackedFusedRMSE = map[string]float64{}, map[string]float64{}
	r.SourceTrackedRatio, r.SourceTrackedMatches = map[string]float64{}, map[string]int{}
	names := make([]string, 0, len(e.shadows))
	for name := range e.shadows {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sh := e.shadows[name]
		var fsq, ssq float64
		var m int
		for k, d2 := range sh.errs {
			if !e.seen[k.id][name] || !e.multiSource(k.id) {
				continue
			}
			f, ok := e.errs[k]
			if !ok {
				continue // the fused state missed it in that frame: MOTA counts that
			}
			fsq, ssq, m = fsq+f, ssq+d2, m+1
		}
		r.SourceTrackedMatches[name] = m
		if m == 0 {
			continue
		}
		fr, sr := math.Sqrt(fsq/float64(m)), math.Sqrt(ssq/float64(m))
		r.SourceTrackedRMSE[name], r.SourceTrackedFusedRMSE[name] = round(sr), round(fr)
		if sr > 0 {
			r.SourceTrackedRatio[name] = round(fr / sr)
		}
		if m >= minSourceMatches && sr > 0 && (r.BestSingleTracked == "" || fr/sr > r.RMSERatioTracked) {
			r.BestSingleTracked, r.BestSingleTrackedRMSE, r.RMSERatioTracked = name, round(sr), fr/sr
		}
	}
	r.RMSERatioTracked = round(r.RMSERatioTracked)
}

package eval

import (
	"fmt"
	"slices"

	"github.com/v2x-edge/v2x-edge/bench/sim"
)

// Trail follows the true objects through one node's judged states: for
// each, when it first lay in camera coverage and the runs of fused ids
// matched to it. Feed it as an evaluator's OnFrame, from one goroutine.
type Trail map[uint32]*Visit

// Visit is one true object's passage through one node.
type Visit struct {
	FirstCovered int64 // first judged state with it in camera coverage; 0: none
	// Runs are the fused ids matched to it, one run per stretch of
	// consecutive judged states with the same id (states with no match
	// end no run).
	Runs []Run
}

// Run is a stretch of judged states in which a true object was matched
// to one fused id.
type Run struct {
	ID          uint32
	First, Last int64 // state times, ns
	Frames      int
}

// Frame is an evaluator's OnFrame.
func (tr Trail) Frame(t int64, trueID uint32, covered bool, fused uint32) {
	v := tr[trueID]
	if v == nil {
		v = &Visit{}
		tr[trueID] = v
	}
	if covered && v.FirstCovered == 0 {
		v.FirstCovered = t
	}
	if fused == 0 {
		return
	}
	if n := len(v.Runs); n > 0 && v.Runs[n-1].ID == fused {
		v.Runs[n-1].Last = t
		v.Runs[n-1].Frames++
		return
	}
	v.Runs = append(v.Runs, Run{ID: fused, First: t, Last: t, Frames: 1})
}

// MinRunFrames is how many consecutive judged states (at the evaluator's
// 100 ms) a fused id must be matched to a true object to count as the
// object's id at a boundary. A shorter run is a momentary pairing, not an
// identity the node gave the vehicle: most often the evaluator's, when
// the vehicle's own track does not exist yet (or for a frame) and a track
// of another object passes within the match distance (a vehicle in the
// opposite lane, 3.5 m away); or a track the node itself dropped within
// 200 ms.
const MinRunFrames = 3

// firstHeld returns the first id matched to the object for MinRunFrames
// states or more.
func (v *Visit) firstHeld() (uint32, bool) {
	if v == nil {
		return 0, false
	}
	for _, r := range v.Runs {
		if r.Frames >= MinRunFrames {
			return r.ID, true
		}
	}
	return 0, false
}

// lastHeld returns the last id matched to the object for MinRunFrames
// states or more.
func (v *Visit) lastHeld() (uint32, bool) {
	if v == nil {
		return 0, false
	}
	for i := len(v.Runs) - 1; i >= 0; i-- {
		if v.Runs[i].Frames >= MinRunFrames {
			return v.Runs[i].ID, true
		}
	}
	return 0, false
}

// firstAt returns the time of the first state that matched fused id to
// the object, if any.
func (v *Visit) firstAt(id uint32) (int64, bool) {
	for _, r := range v.Runs {
		if r.ID == id {
			return r.First, true
		}
	}
	return 0, false
}

// Continuity is the corridor's judgement across its boundaries.
type Continuity struct {
	// HandoverContinuity is the share of judged crossings (a vehicle
	// matched by the node it left and by the node it entered) in which
	// the entered node's first id for it is the left node's last (ids
	// held for MinRunFrames judged states or more).
	HandoverContinuity float64 `json:"handover_continuity"`
	Crossings          int     `json:"crossings"`           // vehicles passing from one intersection to the next
	JudgedCrossings    int     `json:"judged"`              // of those, matched on both sides
	KeptID             int     `json:"kept_id"`             // of those, with one id
	HandoverLatencyMS  float64 `json:"handover_latency_ms"` // median, from the vehicle's first frame in the entered node's camera coverage to the first state showing it under the corridor id (0: it was there before)
	HandoverLatencyP95 float64 `json:"handover_latency_p95_ms"`
	// Broken lists the judged crossings that did not keep one id.
	Broken []BrokenCrossing `json:"broken"`
}

// BrokenCrossing is a vehicle that changed id crossing a boundary: the
// last id the node it left had for it, and the first the next node had.
type BrokenCrossing struct {
	Vehicle  uint32 `json:"vehicle"`
	From, To int    `json:"-"`
	Left     uint32 `json:"left_id"`
	Entered  uint32 `json:"entered_id"`
	Path     string `json:"path"` // e.g. "n1>n2"
	At       int64  `json:"-"`    // true time of the crossing, ns since the start
}

// JudgeContinuity judges the crossings of a corridor run: trails[i] is
// node i's, names[i] its name.
func JudgeContinuity(crossings []sim.Transfer, trails []Trail, names []string) Continuity {
	var j Continuity
	var lat []float64
	for _, x := range crossings {
		j.Crossings++
		a, b := trails[x.From][x.VehicleID], trails[x.To][x.VehicleID]
		left, okA := a.lastHeld()
		entered, okB := b.firstHeld()
		if !okA || !okB {
			continue
		}
		j.JudgedCrossings++
		if entered != left {
			j.Broken = append(j.Broken, BrokenCrossing{Vehicle: x.VehicleID, From: x.From, To: x.To, Left: left, Entered: entered,
				Path: nodeName(names, x.From) + ">" + nodeName(names, x.To), At: int64(x.At)})
			continue
		}
		j.KeptID++
		if b.FirstCovered != 0 {
			at, _ := b.firstAt(left)
			lat = append(lat, max(0, float64(at-b.FirstCovered)/1e6))
		}
	}
	if j.JudgedCrossings > 0 {
		j.HandoverContinuity = round(float64(j.KeptID) / float64(j.JudgedCrossings))
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		j.HandoverLatencyMS = round(lat[len(lat)/2])
		j.HandoverLatencyP95 = round(lat[min(len(lat)-1, len(lat)*95/100)])
	}
	return j
}

// nodeName returns node i's name.
func nodeName(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("n%d", i+1)
}

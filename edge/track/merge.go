package track

import "math"

// Duplicate tracks of one object arise when a source's measurement misses
// the gate of the object's track (a BSM with a GNSS bias, a camera whose
// first detections of an object were far off): it starts a track of its
// own, and the source-id link then keeps feeding it. merge finds pairs of
// tracks that describe one object (close together, moving alike) and
// folds the younger into the older, which keeps its id. Two tracks that
// one camera frame updated both are two objects to that camera (people
// walking side by side), never merged.
const (
	mergeBatch       = 32  // tracks checked per call: the pass is spread over cycles to keep the p99 flat
	mergeVehicleDist = 2.0 // m, centre to centre: two vehicles are never this close
	mergePedDist     = 0.6 // m: pedestrians walk side by side
	mergeSpeedDiff   = 2.0 // m/s
)

func (tr *Tracker) merge() {
	n := len(tr.tracks)
	if n < 2 {
		return
	}
	tr.syncGrid()
	tr.dead = growZero(tr.dead, n)
	if tr.mergeCursor >= n {
		tr.mergeCursor = 0
	}
	for c := 0; c < min(mergeBatch, n); c++ {
		i := tr.mergeCursor
		tr.mergeCursor = (tr.mergeCursor + 1) % n
		if tr.dead[i] {
			continue
		}
		a := &tr.tracks[i]
		ax, ay := a.f.position()
		var avx, avy float64
		haveV := false
		tr.g.near(ax, ay, func(j32 int32) {
			j := int(j32)
			if j == i || tr.dead[j] || tr.dead[i] {
				return
			}
			// Far candidates go on the grid's copy of their position (the
			// grid is in sync: it is the track's), before the track is
			// touched; the vehicle limit is the larger.
			bx, by := tr.g.px[j], tr.g.py[j]
			if dx, dy := bx-ax, by-ay; dx*dx+dy*dy > (mergeVehicleDist+3)*(mergeVehicleDist+3) {
				return
			}
			b := &tr.tracks[j]
			if !compatible(a.Class, b.Class) || seenApart(a, b) {
				return
			}
			limit := mergeVehicleDist
			if !a.Class.Vehicle() || !b.Class.Vehicle() {
				limit = mergePedDist
			}
			if dx, dy := bx-ax, by-ay; dx*dx+dy*dy > (limit+3)*(limit+3) { // cheap reject before velocities
				return
			}
			if !haveV {
				avx, avy = a.f.velocity()
				haveV = true
			}
			// Compare at a common time: b's.
			dt := float64(b.TimeNS-a.TimeNS) / 1e9
			bvx, bvy := b.f.velocity()
			dx, dy := bx-(ax+avx*dt), by-(ay+avy*dt)
			if dx*dx+dy*dy > limit*limit || math.Hypot(bvx-avx, bvy-avy) > mergeSpeedDiff {
				return
			}
			keep, drop := i, j
			if b.BornNS < a.BornNS || (b.BornNS == a.BornNS && b.Hits > a.Hits) {
				keep, drop = j, i
			}
			tr.absorb(&tr.tracks[keep], &tr.tracks[drop])
			tr.dead[drop] = true
			tr.C.Merged++
		})
	}
	for i := 0; i < len(tr.tracks); {
		if !tr.dead[i] {
			i++
			continue
		}
		tr.release(&tr.tracks[i])
		tr.g.invalidate()
		last := len(tr.tracks) - 1
		tr.tracks[i], tr.dead[i] = tr.tracks[last], tr.dead[last]
		tr.histMove(i, last)
		tr.tracks = tr.tracks[:last]
	}
}

// absorb folds track d's bookkeeping into k; k keeps its estimate, which
// the next measurements of d's sources (now associating to k) refine.
func (tr *Tracker) absorb(k, d *Track) {
	if d.LastSelf > k.LastSelf {
		k.LastSelf, k.VehicleID = d.LastSelf, d.VehicleID
		k.Class = d.Class
	}
	k.LastCam = max(k.LastCam, d.LastCam)
	k.Hits += d.Hits
	k.Confirmed = k.Confirmed || d.Confirmed
	k.srcCur |= d.srcCur
	k.Sources |= d.Sources
	tr.moved[d.ID] = k.ID
}

package trust

import (
	"math"

	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/v2x"
)

// Occlusion. A camera on a pole sees over cars but not through trucks and
// buses: a vehicle in the shadow of a tall one, as seen from the camera,
// may go undetected for as long as it stays there, however well inside
// the camera's field of view. The ghost check judges a claim only by
// cameras that can see it: a claim in the shadow of an occluder one of
// the cameras detected recently is not judged by that camera. The node
// does not know heights; a detection counts as an occluder by its class
// (truck, bus) or its length (occluderMinLength: longer than any car),
// and its shadow is the set of bearings its larger dimension spans, from
// its range on, as far as a pole camera cannot see over it: with the
// camera at least camHeightMin high, occluders at most occluderHeightMax
// tall and road users at least objectHeightMin tall, the sight line to a
// road user's top passes over an occluder nearer than shadowFrom of the
// road user's range (a bus 30 m from the camera hides nothing 80 m
// away). The claim's own uncertainty widens the shadow by what it spans
// at the occluder's range.
const (
	camHeightMin      = 6.0 // m
	occluderHeightMax = 4.0 // m
	objectHeightMin   = 1.2 // m
	shadowFrom        = (camHeightMin - occluderHeightMax) / (camHeightMin - objectHeightMin)

	occluderMinLength = 6.0          // m: cars are shorter, trucks and buses longer
	occludeRecent     = int64(500e6) // ns: an occluder seen this recently still casts its shadow
	occluderMaxHalf   = 8.0          // m: the largest half-dimension an occluder is taken with
)

// occluderHalf returns half the larger dimension of a detection that may
// hide what is behind it, else 0.
func occluderHalf(x *track.Measurement) float32 {
	l := max(x.Length, x.Width)
	if x.Class != v2x.ClassTruck && x.Class != v2x.ClassBus && l < occluderMinLength {
		return 0
	}
	if l <= 0 {
		l = occluderMinLength
	}
	return min(l/2, occluderMaxHalf)
}

// shadowed reports whether a claim at e, n (its position uncertain by sd
// metres) lies, as seen from a camera at ce, cn, behind an occluder
// detected within occludeRecent of node time now: nearer to the camera,
// with the claim's line of sight passing within the occluder's half
// dimension (plus the claim's uncertainty at that range) of its centre.
func (c *coverage) shadowed(ce, cn, e, n, sd float64, now int64) bool {
	de, dn := e-ce, n-cn
	rc := math.Hypot(de, dn)
	if rc < 1 {
		return false
	}
	ue, un := de/rc, dn/rc
	reach := occluderMaxHalf + sd
	// Cells of the bounding box of the line of sight, widened by reach.
	i0, i1 := int(math.Floor((math.Min(ce, e)-reach)/c.cell))+c.half, int(math.Floor((math.Max(ce, e)+reach)/c.cell))+c.half
	j0, j1 := int(math.Floor((math.Min(cn, n)-reach)/c.cell))+c.half, int(math.Floor((math.Max(cn, n)+reach)/c.cell))+c.half
	for j := max(j0, 0); j <= min(j1, c.w-1); j++ {
		row := c.seen[j*c.w : (j+1)*c.w]
		for i := max(i0, 0); i <= min(i1, c.w-1); i++ {
			s := &row[i]
			if s.occ == 0 || now-s.t > occludeRecent {
				continue
			}
			oe, on := float64(s.pe)-ce, float64(s.pn)-cn
			a := oe*ue + on*un // along the line of sight
			if a < shadowFrom*rc || a >= rc-float64(s.occ) {
				continue // too near the camera to hide the claim, or not in front of it
			}
			if math.Abs(oe*un-on*ue) < float64(s.occ)+sd*a/rc {
				return true
			}
		}
	}
	return false
}

// shadowedLearned reports whether a claim at e, n lies in an occluder's
// shadow as seen from any camera the node has located (apex) without a
// believed declaration: the learned coverage is one for all cameras, so
// a claim one of them cannot see there is not judged.
func (c *coverage) shadowedLearned(e, n, sd float64, now int64) bool {
	for i := range c.cams {
		cm := &c.cams[i]
		if cm.hasDecl && cm.declBelieved() {
			continue
		}
		if ae, an, ok := cm.apex.estimate(); ok && c.shadowed(ae, an, e, n, sd, now) {
			return true
		}
	}
	return false
}

// declaredSees reports whether a disc of radius r around e, n lies inside
// the believed declared sector of a running camera (as declaredCovers)
// that can see the claim there: it is not in the shadow of an occluder
// (shadowed, with the claim's uncertainty sd).
func (c *coverage) declaredSees(e, n, r, sd float64, now, alive int64) bool {
	for i := range c.cams {
		cm := &c.cams[i]
		if cm.hasDecl && cm.last != 0 && now-cm.last <= alive && cm.declBelieved() && cm.decl.contains(e, n, r) &&
			!c.shadowed(cm.decl.e, cm.decl.n, e, n, sd, now) {
			return true
		}
	}
	return false
}

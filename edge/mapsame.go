package edge

import (
	"slices"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// sameMap reports whether two MAPs describe the same intersection the
// same way: id, reference point and every lane with its geometry and
// connections. The fusion loop skips re-applying such a MAP (rebuilding
// lane geometry in the fuser is its costliest step), whatever encoding
// it came in.
func sameMap(a, b *v2x.Map) bool {
	if a.IntersectionID != b.IntersectionID || a.RefLat != b.RefLat || a.RefLon != b.RefLon ||
		a.RefElevation != b.RefElevation || len(a.Lanes) != len(b.Lanes) {
		return false
	}
	for i := range a.Lanes {
		x, y := &a.Lanes[i], &b.Lanes[i]
		if x.ID != y.ID || x.Kind != y.Kind || x.Approach != y.Approach || x.Ingress != y.Ingress ||
			x.Maneuvers != y.Maneuvers || x.Width != y.Width || x.SpeedLimit != y.SpeedLimit ||
			!slices.Equal(x.Nodes, y.Nodes) || !slices.Equal(x.Connections, y.Connections) {
			return false
		}
	}
	return true
}

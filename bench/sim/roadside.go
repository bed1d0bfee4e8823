package sim

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// RSI the roadside unit sends: one event, road works on the outer egress
// lane of the east leg, where vehicles slow to 30 km/h.
const (
	// RoadWorksType is the event type code of the road works: ITIS
	// (SAE J2540) 1025, "road construction".
	RoadWorksType uint16 = 1025
	// RoadWorksEventID is the id of the road-works event in the RSI.
	RoadWorksEventID  uint16 = 1
	roadWorksPriority        = 3
)

// roadsideRSI returns the RSI, with a fresh Events slice.
func roadsideRSI(f *geo.Frame) v2x.RSI {
	w := roadWorks
	e, n := w.centre()
	lat, lon, _ := f.FromENU(e, n, 0)
	return v2x.RSI{RSUID: RoadsideSourceID, Events: []v2x.RoadEvent{{
		ID: RoadWorksEventID, Kind: v2x.KindEvent, Type: RoadWorksType, Priority: roadWorksPriority,
		Lat: lat, Lon: lon, Radius: float32(w.radius),
		Text: fmt.Sprintf("road works on lane %d (approach %d exit, outer lane) %.0f-%.0f m from the intersection; %.0f km/h",
			laneID(w.leg, laneEgressInner+w.k), w.leg+1, w.from, w.to, w.vmax*3.6),
	}}}
}

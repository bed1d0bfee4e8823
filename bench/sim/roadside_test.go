package sim

import (
	"math"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// The RSI reports the road works once a second, located on the egress
// lane where vehicles slow down.
func TestRSI(t *testing.T) {
	s := newSim(t, func(c *Config) { c.Cameras = 0 })
	lanes := map[uint8]v2x.Lane{}
	for _, l := range s.Map().Lanes {
		lanes[l.ID] = l
	}
	var n int
	for _, o := range collect(s, 5*time.Second) {
		if o.Type != MsgRSI {
			continue
		}
		n++
		if o.Source != RoadsideSourceID || o.RSI.RSUID != RoadsideSourceID || len(o.RSI.Events) != 1 {
			t.Fatalf("RSI %+v from %d", o.RSI, o.Source)
		}
		ev := o.RSI.Events[0]
		if ev.ID != RoadWorksEventID || ev.Type != RoadWorksType || ev.Kind != v2x.KindEvent || ev.Priority > 7 ||
			ev.Radius <= 0 || ev.Text == "" || len(ev.Text) > v2x.MaxText {
			t.Fatalf("event %+v", ev)
		}
		e, n, _ := s.frame.ToENU(ev.Lat, ev.Lon, 0)
		lane := lanes[laneID(roadWorks.leg, laneEgressInner+roadWorks.k)]
		if d := distToPolyline(e, n, lane.Nodes); d > 0.01 {
			t.Errorf("road works %.2f m off lane %d", d, lane.ID)
		}
		if d := math.Hypot(e, n) - stopLine; d < roadWorks.from || d > roadWorks.to+laneWidth {
			t.Errorf("road works centre %.1f m from the box, want within %v..%v", d, roadWorks.from, roadWorks.to)
		}
	}
	if n < 5 || n > 6 {
		t.Errorf("%d RSIs in 5 s, want 1 Hz", n)
	}
}

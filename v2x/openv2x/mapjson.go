package openv2x

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// DecodeMap decodes OpenV2X MAP JSON, CSAE 53 MapData written as JSON the
// way XER writes it (cerebrum's config/map.json: lists as {"Node": […]},
// numbers as strings, enumerations and CHOICEs as one-key objects), into
// out. The intersection is the node with the most inLinks (the first of
// them on a tie); the other nodes are its neighbours, whose inLinks from
// it are its egress lanes. The conversion is csae53.MapData.ToModel's, so
// a MAP means the same over MQTT JSON as in UPER.
func DecodeMap(b []byte, out *v2x.Map) error {
	var j jMap
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("openv2x map: %w", err)
	}
	var c checker
	var m csae53.MapData
	m.MsgCnt = csae53.MsgCount(c.int(orZero(j.MsgCnt), 0, 127, "msgCnt"))
	if len(j.Nodes) == 0 {
		return fmt.Errorf("openv2x map: no nodes")
	}
	if len(j.Nodes) > 63 {
		return fmt.Errorf("openv2x map: %d nodes, more than 63", len(j.Nodes))
	}
	best := 0
	for i := range j.Nodes {
		if len(j.Nodes[i].InLinks) > len(j.Nodes[best].InLinks) {
			best = i
		}
	}
	m.Nodes = make(csae53.NodeList, 0, len(j.Nodes))
	for _, i := range append([]int{best}, seqExcept(len(j.Nodes), best)...) {
		m.Nodes = append(m.Nodes, c.node(&j.Nodes[i], fmt.Sprintf("nodes[%d]", i)))
	}
	if c.err != nil {
		return fmt.Errorf("openv2x map: %w", c.err)
	}
	if err := m.ToModel(out); err != nil {
		return fmt.Errorf("openv2x map: %w", err)
	}
	return nil
}

func orZero(n num) num {
	if !n.Set {
		return num{Set: true}
	}
	return n
}

// seqExcept returns 0..n-1 without skip.
func seqExcept(n, skip int) []int {
	s := make([]int, 0, n)
	for i := range n {
		if i != skip {
			s = append(s, i)
		}
	}
	return s
}

type jMap struct {
	MsgCnt num         `json:"msgCnt"`
	Nodes  list[jNode] `json:"nodes"`
}

type jNodeRef struct {
	Region num `json:"region"`
	ID     num `json:"id"`
}

type jNode struct {
	ID     jNodeRef `json:"id"`
	RefPos struct {
		Lat       num `json:"lat"`
		Long      num `json:"long"`
		Elevation num `json:"elevation"`
	} `json:"refPos"`
	InLinks list[jLink] `json:"inLinks"`
}

type jLink struct {
	UpstreamNodeID jNodeRef          `json:"upstreamNodeId"`
	SpeedLimits    list[jSpeedLimit] `json:"speedLimits"`
	LinkWidth      num               `json:"linkWidth"`
	Points         list[jRoadPoint]  `json:"points"`
	Lanes          list[jLane]       `json:"lanes"`
}

type jSpeedLimit struct {
	Type  choice `json:"type"`
	Speed num    `json:"speed"`
}

type jRoadPoint struct {
	PosOffset struct {
		OffsetLL choice `json:"offsetLL"`
	} `json:"posOffset"`
}

type jLane struct {
	LaneID         num `json:"laneID"`
	LaneWidth      num `json:"laneWidth"`
	LaneAttributes *struct {
		LaneType choice `json:"laneType"`
	} `json:"laneAttributes"`
	Maneuvers   *string           `json:"maneuvers"`
	ConnectsTo  list[jConnection] `json:"connectsTo"`
	SpeedLimits list[jSpeedLimit] `json:"speedLimits"`
	Points      list[jRoadPoint]  `json:"points"`
}

type jConnection struct {
	RemoteIntersection jNodeRef `json:"remoteIntersection"`
	ConnectingLane     *struct {
		Lane     num     `json:"lane"`
		Maneuver *string `json:"maneuver"`
	} `json:"connectingLane"`
	PhaseID num `json:"phaseId"`
}

func (c *checker) nodeRef(r *jNodeRef, at string) csae53.NodeReferenceID {
	id := csae53.NodeReferenceID{Id: csae53.NodeID(c.int(r.ID, 0, math.MaxUint16, at+".id"))}
	if r.Region.Set {
		id.HasRegion, id.Region = true, csae53.RoadRegulatorID(c.int(r.Region, 0, math.MaxUint16, at+".region"))
	}
	return id
}

func (c *checker) node(n *jNode, at string) csae53.Node {
	out := csae53.Node{Id: c.nodeRef(&n.ID, at+".id")}
	out.RefPos.Lat = csae53.Latitude(c.int(n.RefPos.Lat, -900000000, 900000001, at+".refPos.lat"))
	out.RefPos.Long = csae53.Longitude(c.int(n.RefPos.Long, -1799999999, 1800000001, at+".refPos.long"))
	if n.RefPos.Elevation.Set {
		out.RefPos.HasElevation = true
		out.RefPos.Elevation = csae53.Elevation(c.int(n.RefPos.Elevation, -4096, 61439, at+".refPos.elevation"))
	}
	if n.InLinks != nil {
		out.HasInLinks = true
		if len(n.InLinks) > 32 {
			c.fail("%s.inLinks: %d links, more than 32", at, len(n.InLinks))
			return out
		}
		for i := range n.InLinks {
			out.InLinks = append(out.InLinks, c.link(&n.InLinks[i], fmt.Sprintf("%s.inLinks[%d]", at, i)))
		}
	}
	return out
}

func (c *checker) link(l *jLink, at string) csae53.Link {
	out := csae53.Link{UpstreamNodeId: c.nodeRef(&l.UpstreamNodeID, at+".upstreamNodeId")}
	out.HasSpeedLimits, out.SpeedLimits = c.speedLimits(l.SpeedLimits, at+".speedLimits")
	if l.LinkWidth.Set {
		out.HasLinkWidth, out.LinkWidth = true, csae53.LaneWidth(c.int(l.LinkWidth, 0, 32767, at+".linkWidth"))
	}
	out.HasPoints, out.Points = c.points(l.Points, at+".points")
	if len(l.Lanes) > 32 {
		c.fail("%s.lanes: %d lanes, more than 32", at, len(l.Lanes))
		return out
	}
	for i := range l.Lanes {
		out.Lanes = append(out.Lanes, c.lane(&l.Lanes[i], fmt.Sprintf("%s.lanes[%d]", at, i)))
	}
	return out
}

func (c *checker) lane(l *jLane, at string) csae53.Lane {
	out := csae53.Lane{LaneID: csae53.LaneID(c.int(l.LaneID, 0, 255, at+".laneID"))}
	if l.LaneWidth.Set {
		out.HasLaneWidth, out.LaneWidth = true, csae53.LaneWidth(c.int(l.LaneWidth, 0, 32767, at+".laneWidth"))
	}
	if l.LaneAttributes != nil {
		out.HasLaneAttributes = true
		kinds := []string{"vehicle", "crosswalk", "bikeLane", "sidewalk", "median", "striping", "trackedVehicle", "parking"}
		k := l.LaneAttributes.LaneType.Name
		for i, name := range kinds {
			if k == name {
				out.LaneAttributes.LaneType.Choice = uint8(i + 1)
			}
		}
		if out.LaneAttributes.LaneType.Choice == 0 {
			c.fail("%s.laneAttributes.laneType %q is not a lane type (%s)", at, k, strings.Join(kinds, ", "))
		}
	}
	if l.Maneuvers != nil {
		out.HasManeuvers = true
		out.Maneuvers = csae53.AllowedManeuvers(c.bits(*l.Maneuvers, 12, at+".maneuvers"))
	}
	if l.ConnectsTo != nil {
		out.HasConnectsTo = true
		if len(l.ConnectsTo) > 8 {
			c.fail("%s.connectsTo: %d connections, more than 8", at, len(l.ConnectsTo))
		}
		for i := range l.ConnectsTo {
			out.ConnectsTo = append(out.ConnectsTo, c.connection(&l.ConnectsTo[i], fmt.Sprintf("%s.connectsTo[%d]", at, i)))
		}
	}
	out.HasSpeedLimits, out.SpeedLimits = c.speedLimits(l.SpeedLimits, at+".speedLimits")
	out.HasPoints, out.Points = c.points(l.Points, at+".points")
	return out
}

func (c *checker) connection(j *jConnection, at string) csae53.Connection {
	out := csae53.Connection{RemoteIntersection: c.nodeRef(&j.RemoteIntersection, at+".remoteIntersection")}
	if cl := j.ConnectingLane; cl != nil {
		out.HasConnectingLane = true
		out.ConnectingLane.Lane = csae53.LaneID(c.int(cl.Lane, 0, 255, at+".connectingLane.lane"))
		if cl.Maneuver != nil {
			out.ConnectingLane.HasManeuver = true
			out.ConnectingLane.Maneuver = csae53.AllowedManeuvers(c.bits(*cl.Maneuver, 12, at+".connectingLane.maneuver"))
		}
	}
	if j.PhaseID.Set {
		out.HasPhaseId, out.PhaseId = true, csae53.PhaseID(c.int(j.PhaseID, 0, 255, at+".phaseId"))
	}
	return out
}

func (c *checker) speedLimits(l list[jSpeedLimit], at string) (bool, csae53.SpeedLimitList) {
	if l == nil {
		return false, nil
	}
	if len(l) > 9 {
		c.fail("%s: %d limits, more than 9", at, len(l))
		return false, nil
	}
	out := make(csae53.SpeedLimitList, len(l))
	for i := range l {
		out[i].Speed = csae53.Speed(c.int(l[i].Speed, 0, 8191, fmt.Sprintf("%s[%d].speed", at, i)))
	}
	return true, out
}

// points reads a PointList: offsets from the refPos of the node whose
// link holds them (position-LL1..6), or absolute (position-LatLon).
func (c *checker) points(l list[jRoadPoint], at string) (bool, csae53.PointList) {
	if l == nil {
		return false, nil
	}
	if len(l) < 2 || len(l) > 31 {
		c.fail("%s: %d points, want 2..31", at, len(l))
		return false, nil
	}
	out := make(csae53.PointList, len(l))
	for i := range l {
		ch := l[i].PosOffset.OffsetLL
		pat := fmt.Sprintf("%s[%d].posOffset.offsetLL", at, i)
		var ll struct {
			Lon num `json:"lon"`
			Lat num `json:"lat"`
		}
		if err := json.Unmarshal(ch.Value, &ll); err != nil {
			c.fail("%s: %v", pat, err)
			continue
		}
		o := &out[i].PosOffset.OffsetLL
		bits := map[string]int64{"position-LL1": 12, "position-LL2": 14, "position-LL3": 16, "position-LL4": 18, "position-LL5": 22, "position-LL6": 24}
		if ch.Name == "position-LatLon" {
			o.Choice = csae53.PositionOffsetLLChoicePositionLatLon
			o.PositionLatLon.Lat = csae53.Latitude(c.int(ll.Lat, -900000000, 900000001, pat+".lat"))
			o.PositionLatLon.Lon = csae53.Longitude(c.int(ll.Lon, -1799999999, 1800000001, pat+".lon"))
			continue
		}
		n, ok := bits[ch.Name]
		if !ok {
			c.fail("%s %q is not a position offset (position-LL1..6, position-LatLon)", pat, ch.Name)
			continue
		}
		lim := int64(1) << (n - 1)
		dlat, dlon := c.int(ll.Lat, -lim, lim-1, pat+".lat"), c.int(ll.Lon, -lim, lim-1, pat+".lon")
		// The widest alternative holds every narrower one's values;
		// OffsetToLatLon adds them to the reference the same way.
		o.Choice = csae53.PositionOffsetLLChoicePositionLL6
		o.PositionLL6.Lat, o.PositionLL6.Lon = csae53.OffsetLLB24(dlat), csae53.OffsetLLB24(dlon)
	}
	return true, out
}

// bits reads a BIT STRING written as '0'/'1' characters, at most max.
func (c *checker) bits(s string, max int, what string) uper.BitString {
	if len(s) == 0 || len(s) > max {
		c.fail("%s %q: want 1..%d bits", what, s, max)
		return uper.BitString{Len: 1}
	}
	var b uper.BitString
	for _, ch := range s {
		if ch != '0' && ch != '1' {
			c.fail("%s %q: not a bit string of 0 and 1", what, s)
			return uper.BitString{Len: 1}
		}
		b.Bits = b.Bits<<1 | uint64(ch-'0')
	}
	b.Len = uint8(len(s))
	return b
}

package csae53

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// ToModel converts the first node (intersection) of a MAP into the node's
// intersection model.
//
// Its ingress lanes are the lanes of its inLinks (links that enter it),
// with the link's position as the approach. Its egress lanes are the lanes
// of the links that leave it: the inLinks of other nodes whose
// upstreamNodeId is the intersection; their approach is that of the
// inLink coming from the same node, else numbered after the inLinks.
// Lane points are offsets from the refPos of the node whose link holds
// them (position-LatLon is absolute); CSAE lists them from upstream
// downstream, so ingress points are reversed to run from the stop line
// outwards, as the model has them. Connections come from connectsTo
// (lane, phase as the signal group, maneuver). Lanes of kinds without a
// counterpart (median, striping, tracked vehicle, parking) are left out.
// Widths default to the link's, then 3.5 m; speed limits to the lane's
// first, then the link's.
func (m *MapData) ToModel(out *v2x.Map) error {
	if len(m.Nodes) == 0 {
		return fmt.Errorf("csae53 map: no nodes")
	}
	n := &m.Nodes[0]
	*out = v2x.Map{IntersectionID: nodeID(&n.Id), RefLat: float64(n.RefPos.Lat) * degUnit, RefLon: float64(n.RefPos.Long) * degUnit, Lanes: out.Lanes[:0]}
	if n.RefPos.HasElevation && n.RefPos.Elevation != -4096 {
		out.RefElevation = float32(n.RefPos.Elevation) / 10
	}
	frame := geo.NewFrame(out.RefLat, out.RefLon, 0)
	var inLinks LinkList
	if n.HasInLinks {
		inLinks = n.InLinks
	}
	for li := range inLinks {
		if err := addLinkLanes(out, &frame, &inLinks[li], &n.RefPos, uint8(min(li+1, 255)), true); err != nil {
			return err
		}
	}
	self, extra := nodeID(&n.Id), len(inLinks)
	for j := 1; j < len(m.Nodes); j++ {
		down := &m.Nodes[j]
		if !down.HasInLinks {
			continue
		}
		approach := 0
		for li := range inLinks {
			if nodeID(&inLinks[li].UpstreamNodeId) == nodeID(&down.Id) {
				approach = li + 1
				break
			}
		}
		for k := range down.InLinks {
			link := &down.InLinks[k]
			if nodeID(&link.UpstreamNodeId) != self {
				continue
			}
			if approach == 0 {
				extra++
				approach = extra
			}
			if err := addLinkLanes(out, &frame, link, &down.RefPos, uint8(min(approach, 255)), false); err != nil {
				return err
			}
		}
	}
	return nil
}

// addLinkLanes appends the lanes of one link, with points relative to ref.
func addLinkLanes(out *v2x.Map, frame *geo.Frame, link *Link, ref *Position3D, approach uint8, ingress bool) error {
	refLat, refLon := int64(ref.Lat), int64(ref.Long)
	for k := range link.Lanes {
		l := &link.Lanes[k]
		kind, ok := laneKind(l)
		if !ok {
			continue
		}
		if len(out.Lanes) == v2x.MaxLanes {
			return fmt.Errorf("csae53 map: more than %d lanes", v2x.MaxLanes)
		}
		lane := v2x.Lane{ID: uint8(l.LaneID), Kind: kind, Approach: approach, Ingress: ingress, Width: 3.5}
		switch {
		case l.HasLaneWidth:
			lane.Width = float32(l.LaneWidth) / 100
		case link.HasLinkWidth:
			lane.Width = float32(link.LinkWidth) / 100
		}
		switch {
		case l.HasSpeedLimits && len(l.SpeedLimits) > 0:
			lane.SpeedLimit = float32(l.SpeedLimits[0].Speed) * speedUnit
		case link.HasSpeedLimits && len(link.SpeedLimits) > 0:
			lane.SpeedLimit = float32(link.SpeedLimits[0].Speed) * speedUnit
		}
		if l.HasManeuvers {
			lane.Maneuvers = v2x.ManeuversFromBits(l.Maneuvers.Bits >> (l.Maneuvers.Len - 4))
		}
		pts := &link.Points
		has := link.HasPoints
		if l.HasPoints {
			pts, has = &l.Points, true
		}
		if has {
			if len(*pts) > v2x.MaxLaneNodes {
				return fmt.Errorf("csae53 map: lane %d has %d points, more than %d", l.LaneID, len(*pts), v2x.MaxLaneNodes)
			}
			for i := range *pts {
				p := i
				if ingress {
					p = len(*pts) - 1 - i
				}
				lat, lon, err := OffsetToLatLon(&(*pts)[p].PosOffset.OffsetLL, refLat, refLon)
				if err != nil {
					return fmt.Errorf("csae53 map: lane %d point %d: %w", l.LaneID, p, err)
				}
				e, nn, _ := frame.ToENU(float64(lat)*degUnit, float64(lon)*degUnit, 0)
				lane.Nodes = append(lane.Nodes, v2x.Point{E: float32(e), N: float32(nn)})
			}
		}
		if l.HasConnectsTo {
			for c := range l.ConnectsTo {
				ct := &l.ConnectsTo[c]
				conn := v2x.Connection{}
				if ct.HasConnectingLane {
					conn.ToLane = uint8(ct.ConnectingLane.Lane)
					if ct.ConnectingLane.HasManeuver {
						mv := ct.ConnectingLane.Maneuver
						conn.Maneuver = v2x.ManeuversFromBits(mv.Bits >> (mv.Len - 4))
					}
				}
				if ct.HasPhaseId {
					conn.SignalGroup = uint8(ct.PhaseId)
				}
				lane.Connections = append(lane.Connections, conn)
			}
		}
		out.Lanes = append(out.Lanes, lane)
	}
	return nil
}

// laneKind maps the lane type; a lane without attributes is a vehicle
// lane.
func laneKind(l *Lane) (v2x.LaneKind, bool) {
	if !l.HasLaneAttributes {
		return v2x.LaneVehicle, true
	}
	switch l.LaneAttributes.LaneType.Choice {
	case LaneTypeAttributesChoiceVehicle:
		return v2x.LaneVehicle, true
	case LaneTypeAttributesChoiceCrosswalk:
		return v2x.LaneCrosswalk, true
	case LaneTypeAttributesChoiceBikeLane:
		return v2x.LaneBike, true
	case LaneTypeAttributesChoiceSidewalk:
		return v2x.LaneSidewalk, true
	}
	return 0, false
}

// MAPFromModel fills out with the node's intersection model as CSAE
// 53-2017 MapData, reusing out's slices, so that MapData.ToModel gives the
// model back within the encoding's precision (positions 1e-7 degree,
// widths 1 cm, speed limits 0.02 m/s).
//
// The intersection is the first node. Each approach (in the order of
// their numbers) is a road to a neighbour node, which the model does not
// have: its id is the intersection's plus 1 + the approach's position in
// that order (same region), its position the far end of the approach's
// first egress lane with points. Ingress lanes become the lanes of the
// intersection's inLink from that neighbour, egress lanes the lanes of the
// neighbour's inLink from the intersection, so that points run upstream
// to downstream as CSAE wants: ingress points are reversed. Connections
// name the neighbour of the lane they lead to as remoteIntersection, the
// signal group as phaseId. ToModel numbers approaches 1, 2, … in the same
// order, so approach numbers other than 1..N come back renumbered, and it
// returns the ingress lanes before the egress lanes.
//
// It fails where the schema's limits are narrower than the model's: more
// than 32 approaches with ingress lanes, 62 with egress lanes or 32 lanes
// in one direction of an approach, a lane with 1 point or more than 31.
func MAPFromModel(in *v2x.Map, msgCnt uint8, out *MapData) error {
	var approaches [256]bool
	var ingress, egress [256]uint8 // lanes per approach and direction
	for i := range in.Lanes {
		l := &in.Lanes[i]
		if n := len(l.Nodes); n == 1 || n > 31 {
			return fmt.Errorf("csae53 map: lane %d has %d points; CSAE 53 holds 0 or 2..31", l.ID, n)
		}
		if len(l.Connections) > 16 {
			return fmt.Errorf("csae53 map: lane %d has %d connections; CSAE 53 holds 16", l.ID, len(l.Connections))
		}
		approaches[l.Approach] = true
		cnt := &egress[l.Approach]
		if l.Ingress {
			cnt = &ingress[l.Approach]
		}
		if *cnt == 32 {
			return fmt.Errorf("csae53 map: approach %d has more than 32 lanes in one direction", l.Approach)
		}
		*cnt++
	}
	// Each approach's position in number order, and the neighbour of each
	// egress lane (by lane id) for connections.
	var order [256]uint16
	var nIn, nOut, k int
	for a := range approaches {
		if !approaches[a] {
			continue
		}
		order[a] = uint16(k)
		k++
		if ingress[a] > 0 {
			nIn++
		}
		if egress[a] > 0 {
			nOut++
		}
	}
	if nIn > 32 || nOut > 62 {
		return fmt.Errorf("csae53 map: %d approaches with ingress lanes and %d with egress lanes; CSAE 53 holds 32 and 62", nIn, nOut)
	}
	var egressOf [256]int16 // approach of the egress lane with this id, -1 if none
	for i := range egressOf {
		egressOf[i] = -1
	}
	for i := range in.Lanes {
		if l := &in.Lanes[i]; !l.Ingress && egressOf[l.ID] < 0 {
			egressOf[l.ID] = int16(l.Approach)
		}
	}

	id := NodeReferenceID{HasRegion: in.IntersectionID>>16 != 0, Region: RoadRegulatorID(in.IntersectionID >> 16), Id: NodeID(in.IntersectionID)}
	neighbour := func(approach int) NodeReferenceID {
		n := id
		n.Id = NodeID(int(id.Id) + 1 + int(order[approach]))
		return n
	}
	elev := Elevation(clampInt(round(float64(in.RefElevation)*10), -4095, 61439))
	rlat, rlon := round(in.RefLat/degUnit), round(in.RefLon/degUnit)
	frame := geo.NewFrame(float64(rlat)*degUnit, float64(rlon)*degUnit, 0)

	out.MsgCnt, out.HasTimeStamp = MsgCount(msgCnt&127), false
	out.Nodes = out.Nodes[:0]
	var n0 *Node
	out.Nodes, n0 = uper.Grow(out.Nodes)
	*n0 = Node{Id: id, RefPos: Position3D{Lat: Latitude(rlat), Long: Longitude(rlon), HasElevation: true, Elevation: elev}, InLinks: n0.InLinks[:0]}
	for a := range approaches {
		if !approaches[a] {
			continue
		}
		n0 = &out.Nodes[0] // growing out.Nodes may have moved it
		if ingress[a] > 0 {
			var link *Link
			n0.InLinks, link = uper.Grow(n0.InLinks)
			*link = Link{UpstreamNodeId: neighbour(a), Lanes: link.Lanes[:0]}
			if err := linkLanes(in, a, true, &frame, &n0.RefPos, link, neighbour, &egressOf, id); err != nil {
				return err
			}
		}
		if egress[a] > 0 {
			var nb *Node
			out.Nodes, nb = uper.Grow(out.Nodes)
			*nb = Node{Id: neighbour(a), RefPos: n0.RefPos, HasInLinks: true, InLinks: nb.InLinks[:0]}
			for i := range in.Lanes {
				if l := &in.Lanes[i]; int(l.Approach) == a && !l.Ingress && len(l.Nodes) > 0 {
					end := l.Nodes[len(l.Nodes)-1]
					lat, lon, _ := frame.FromENU(float64(end.E), float64(end.N), 0)
					nb.RefPos.Lat, nb.RefPos.Long = Latitude(round(lat/degUnit)), Longitude(round(lon/degUnit))
					break
				}
			}
			var link *Link
			nb.InLinks, link = uper.Grow(nb.InLinks)
			*link = Link{UpstreamNodeId: id, Lanes: link.Lanes[:0]}
			if err := linkLanes(in, a, false, &frame, &nb.RefPos, link, neighbour, &egressOf, id); err != nil {
				return err
			}
		}
	}
	n0 = &out.Nodes[0]
	n0.HasInLinks = len(n0.InLinks) > 0
	return nil
}

// linkLanes fills link with the lanes of one approach and direction, their
// points as offsets from ref.
func linkLanes(in *v2x.Map, approach int, ingress bool, frame *geo.Frame, ref *Position3D, link *Link,
	neighbour func(int) NodeReferenceID, egressOf *[256]int16, self NodeReferenceID) error {
	for i := range in.Lanes {
		ml := &in.Lanes[i]
		if int(ml.Approach) != approach || ml.Ingress != ingress {
			continue
		}
		var l *Lane
		link.Lanes, l = uper.Grow(link.Lanes)
		*l = Lane{LaneID: LaneID(ml.ID), HasLaneWidth: true, LaneWidth: LaneWidth(clampInt(round(float64(ml.Width)*100), 0, 32767)),
			HasLaneAttributes: true, ConnectsTo: l.ConnectsTo[:0], SpeedLimits: l.SpeedLimits[:0], Points: l.Points[:0]}
		if err := setLaneType(ml.Kind, &l.LaneAttributes.LaneType); err != nil {
			return fmt.Errorf("csae53 map: lane %d: %w", ml.ID, err)
		}
		if ml.Maneuvers != 0 {
			l.HasManeuvers, l.Maneuvers = true, AllowedManeuvers{Bits: ml.Maneuvers.AllowedBits(), Len: v2x.AllowedManeuversLen}
		}
		if ml.SpeedLimit > 0 {
			l.HasSpeedLimits = true
			l.SpeedLimits = append(l.SpeedLimits, RegulatorySpeedLimit{Type: SpeedLimitTypeVehicleMaxSpeed,
				Speed: Speed(clampInt(round(float64(ml.SpeedLimit)/speedUnit), 0, 8190))})
		}
		for c := range ml.Connections {
			mc := &ml.Connections[c]
			remote := self
			if a := egressOf[mc.ToLane]; a >= 0 {
				remote = neighbour(int(a))
			}
			ct := Connection{RemoteIntersection: remote, HasConnectingLane: true, ConnectingLane: ConnectingLane{Lane: LaneID(mc.ToLane)}}
			if mc.Maneuver != 0 {
				ct.ConnectingLane.HasManeuver, ct.ConnectingLane.Maneuver = true, AllowedManeuvers{Bits: mc.Maneuver.AllowedBits(), Len: v2x.AllowedManeuversLen}
			}
			if mc.SignalGroup != 0 {
				ct.HasPhaseId, ct.PhaseId = true, PhaseID(mc.SignalGroup)
			}
			l.ConnectsTo = append(l.ConnectsTo, ct)
		}
		l.HasConnectsTo = len(l.ConnectsTo) > 0
		for k := range ml.Nodes {
			p := ml.Nodes[k]
			if ingress {
				p = ml.Nodes[len(ml.Nodes)-1-k]
			}
			lat, lon, _ := frame.FromENU(float64(p.E), float64(p.N), 0)
			var rp *RoadPoint
			l.Points, rp = uper.Grow(l.Points)
			*rp = RoadPoint{}
			LatLonToOffset(int64(round(lat/degUnit)), int64(round(lon/degUnit)), int64(ref.Lat), int64(ref.Long), &rp.PosOffset.OffsetLL)
		}
		l.HasPoints = len(l.Points) > 0
	}
	return nil
}

// setLaneType sets the lane type for a lane kind, with no attribute bits.
func setLaneType(k v2x.LaneKind, t *LaneTypeAttributes) error {
	*t = LaneTypeAttributes{}
	switch k {
	case v2x.LaneVehicle:
		t.Choice, t.Vehicle = LaneTypeAttributesChoiceVehicle, LaneAttributesVehicle{Len: 8}
	case v2x.LaneCrosswalk:
		t.Choice, t.Crosswalk = LaneTypeAttributesChoiceCrosswalk, LaneAttributesCrosswalk{Len: 16}
	case v2x.LaneBike:
		t.Choice, t.BikeLane = LaneTypeAttributesChoiceBikeLane, LaneAttributesBike{Len: 16}
	case v2x.LaneSidewalk:
		t.Choice, t.Sidewalk = LaneTypeAttributesChoiceSidewalk, LaneAttributesSidewalk{Len: 16}
	default:
		return fmt.Errorf("lane kind %d unknown", k)
	}
	return nil
}

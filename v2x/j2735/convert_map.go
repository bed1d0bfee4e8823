package j2735

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// MAPFromModel fills out with the node's intersection model as a J2735
// MapData of one IntersectionGeometry, reusing out's slices, so that
// MapData.ToModel gives the model back within the encoding's precision
// (node offsets in cm, the reference point at 1e-7 degree, speed limits
// 0.02 m/s), lanes in the same order.
//
// Lanes keep their ids, kinds, maneuvers and connections (signal group,
// maneuver). An ingress lane has directionalUse ingressPath and its
// approach as ingressApproach; any other lane egressPath and
// egressApproach (approach 0 is left out). Nodes are offsets in cm from
// the previous node (the first from the reference point), each in the
// smallest node-XY alternative that holds it, node-LatLon beyond 327 m.
// The intersection's laneWidth is the first lane's width; other widths
// are the first node's dWidth. A lane's speed limit is a vehicleMaxSpeed
// in its first node's data.
//
// It fails where the schema's limits are narrower than the model's: no
// lanes, a lane with fewer than 2 nodes or more than 63, an approach
// above 15, a width more than 5.12 m from the first lane's.
func MAPFromModel(in *v2x.Map, revision uint8, out *MapData) error {
	if len(in.Lanes) == 0 || len(in.Lanes) > 255 {
		return fmt.Errorf("j2735 map: %d lanes, want 1..255", len(in.Lanes))
	}
	width := clampInt(roundInt(float64(in.Lanes[0].Width)*100), 0, 32767)
	for i := range in.Lanes {
		l := &in.Lanes[i]
		switch {
		case len(l.Nodes) < 2 || len(l.Nodes) > 63:
			return fmt.Errorf("j2735 map: lane %d has %d nodes; J2735 holds 2..63", l.ID, len(l.Nodes))
		case l.Approach > 15:
			return fmt.Errorf("j2735 map: lane %d has approach %d; J2735 holds 0..15", l.ID, l.Approach)
		case len(l.Connections) > 16:
			return fmt.Errorf("j2735 map: lane %d has %d connections; J2735 holds 16", l.ID, len(l.Connections))
		case !l.Kind.Valid():
			return fmt.Errorf("j2735 map: lane %d: lane kind %d unknown", l.ID, l.Kind)
		}
		if d := roundInt(float64(l.Width)*100) - width; d < -512 || d > 511 {
			return fmt.Errorf("j2735 map: lane %d is %.2f m wide, more than 5.12 m from the intersection's %.2f m", l.ID, l.Width, float64(width)/100)
		}
	}
	rlat, rlon := roundInt(in.RefLat*1e7), roundInt(in.RefLon*1e7)
	frame := geo.NewFrame(float64(rlat)*1e-7, float64(rlon)*1e-7, 0)

	*out = MapData{MsgIssueRevision: MsgCount(revision & 127), HasIntersections: true, Intersections: out.Intersections[:0]}
	var g *IntersectionGeometry
	out.Intersections, g = uper.Grow(out.Intersections)
	*g = IntersectionGeometry{
		Id:       IntersectionReferenceID{HasRegion: in.IntersectionID>>16 != 0, Region: RoadRegulatorID(in.IntersectionID >> 16), Id: IntersectionID(in.IntersectionID)},
		Revision: MsgCount(revision & 127),
		RefPoint: Position3D{Lat: Latitude(rlat), Long: Longitude(rlon), HasElevation: true,
			Elevation: Elevation(clampInt(roundInt(float64(in.RefElevation)*10), -4095, 61439))},
		HasLaneWidth: true, LaneWidth: LaneWidth(width),
		LaneSet: g.LaneSet[:0],
	}
	for i := range in.Lanes {
		ml := &in.Lanes[i]
		var l *GenericLane
		g.LaneSet, l = uper.Grow(g.LaneSet)
		*l = GenericLane{LaneID: LaneID(ml.ID),
			LaneAttributes: LaneAttributes{DirectionalUse: LaneDirection{Bits: 0b01, Len: 2}, SharedWith: LaneSharing{Len: 10}},
			NodeList:       NodeListXY{Choice: NodeListXYChoiceNodes, Nodes: l.NodeList.Nodes[:0]},
			ConnectsTo:     l.ConnectsTo[:0],
		}
		setLaneType(ml.Kind, &l.LaneAttributes.LaneType)
		switch {
		case ml.Ingress:
			l.LaneAttributes.DirectionalUse.Bits = 0b10
			l.HasIngressApproach, l.IngressApproach = ml.Approach != 0, ApproachID(ml.Approach)
		default:
			l.HasEgressApproach, l.EgressApproach = ml.Approach != 0, ApproachID(ml.Approach)
		}
		if ml.Maneuvers != 0 {
			l.HasManeuvers, l.Maneuvers = true, AllowedManeuvers{Bits: ml.Maneuvers.AllowedBits(), Len: v2x.AllowedManeuversLen}
		}
		var x, y int64 // cm east and north of the reference point, as ToModel sums them
		for k := range ml.Nodes {
			p := ml.Nodes[k]
			var n *NodeXY
			l.NodeList.Nodes, n = uper.Grow(l.NodeList.Nodes)
			*n = NodeXY{Attributes: NodeAttributeSetXY{Data: n.Attributes.Data[:0]}}
			tx, ty := roundInt(float64(p.E)*100), roundInt(float64(p.N)*100)
			if setOffset(&n.Delta, tx-x, ty-y) {
				x, y = tx, ty
			} else {
				lat, lon, _ := frame.FromENU(float64(p.E), float64(p.N), 0)
				n.Delta.Choice = NodeOffsetPointXYChoiceNodeLatLon
				n.Delta.NodeLatLon = NodeLLmD64b{Lon: Longitude(roundInt(lon * 1e7)), Lat: Latitude(roundInt(lat * 1e7))}
				e, nn, _ := frame.ToENU(float64(n.Delta.NodeLatLon.Lat)*1e-7, float64(n.Delta.NodeLatLon.Lon)*1e-7, 0)
				x, y = int64(e*100), int64(nn*100)
			}
			if k > 0 {
				continue
			}
			a := &n.Attributes
			if d := roundInt(float64(ml.Width)*100) - width; d != 0 {
				a.HasDWidth, a.DWidth = true, OffsetB10(d)
			}
			if ml.SpeedLimit > 0 {
				var da *LaneDataAttribute
				a.Data, da = uper.Grow(a.Data)
				*da = LaneDataAttribute{Choice: LaneDataAttributeChoiceSpeedLimits, SpeedLimits: da.SpeedLimits[:0]}
				da.SpeedLimits = append(da.SpeedLimits, RegulatorySpeedLimit{Type: SpeedLimitTypeVehicleMaxSpeed,
					Speed: Velocity(clampInt(roundInt(float64(ml.SpeedLimit)/0.02), 0, 8190))})
				a.HasData = true
			}
			n.HasAttributes = a.HasDWidth || a.HasData
		}
		for c := range ml.Connections {
			mc := &ml.Connections[c]
			ct := Connection{ConnectingLane: ConnectingLane{Lane: LaneID(mc.ToLane)}}
			if mc.Maneuver != 0 {
				ct.ConnectingLane.HasManeuver, ct.ConnectingLane.Maneuver = true, AllowedManeuvers{Bits: mc.Maneuver.AllowedBits(), Len: v2x.AllowedManeuversLen}
			}
			if mc.SignalGroup != 0 {
				ct.HasSignalGroup, ct.SignalGroup = true, SignalGroupID(mc.SignalGroup)
			}
			l.ConnectsTo = append(l.ConnectsTo, ct)
		}
		l.HasConnectsTo = len(l.ConnectsTo) > 0
	}
	return nil
}

// setOffset sets the smallest node-XY alternative that holds (dx, dy) cm;
// false if none does.
func setOffset(d *NodeOffsetPointXY, dx, dy int64) bool {
	fits := func(bits uint) bool {
		lim := int64(1) << (bits - 1)
		return dx >= -lim && dx < lim && dy >= -lim && dy < lim
	}
	*d = NodeOffsetPointXY{}
	switch {
	case fits(10):
		d.Choice, d.NodeXY1 = NodeOffsetPointXYChoiceNodeXY1, NodeXY20b{X: OffsetB10(dx), Y: OffsetB10(dy)}
	case fits(11):
		d.Choice, d.NodeXY2 = NodeOffsetPointXYChoiceNodeXY2, NodeXY22b{X: OffsetB11(dx), Y: OffsetB11(dy)}
	case fits(12):
		d.Choice, d.NodeXY3 = NodeOffsetPointXYChoiceNodeXY3, NodeXY24b{X: OffsetB12(dx), Y: OffsetB12(dy)}
	case fits(13):
		d.Choice, d.NodeXY4 = NodeOffsetPointXYChoiceNodeXY4, NodeXY26b{X: OffsetB13(dx), Y: OffsetB13(dy)}
	case fits(14):
		d.Choice, d.NodeXY5 = NodeOffsetPointXYChoiceNodeXY5, NodeXY28b{X: OffsetB14(dx), Y: OffsetB14(dy)}
	case fits(16):
		d.Choice, d.NodeXY6 = NodeOffsetPointXYChoiceNodeXY6, NodeXY32b{X: OffsetB16(dx), Y: OffsetB16(dy)}
	default:
		return false
	}
	return true
}

// setLaneType sets the lane type for a (valid) lane kind, with no
// attribute bits.
func setLaneType(k v2x.LaneKind, t *LaneTypeAttributes) {
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
	}
}

// ToModel converts the first intersection of a MAP into the node's model.
// Lane nodes are cumulative offsets in cm from the reference point (a
// node-LatLon is absolute), already running from the stop line outwards;
// a lane is ingress when its directionalUse has the ingressPath bit, and
// its approach is its ingress (else egress) approach. Computed lanes get
// no nodes. Lanes of kinds without a counterpart (median, striping,
// tracked vehicle, parking) are left out. Widths come from the
// intersection's laneWidth (default 3.5 m) plus the first node's dWidth,
// speed limits from the first node's speedLimits data, else the
// intersection's (the vehicleMaxSpeed entry, else the first).
func (m *MapData) ToModel(out *v2x.Map) error {
	if !m.HasIntersections || len(m.Intersections) == 0 {
		return fmt.Errorf("j2735 map: no intersections")
	}
	g := &m.Intersections[0]
	*out = v2x.Map{IntersectionID: uint32(g.Id.Id), RefLat: float64(g.RefPoint.Lat) * 1e-7, RefLon: float64(g.RefPoint.Long) * 1e-7, Lanes: out.Lanes[:0]}
	if g.Id.HasRegion {
		out.IntersectionID |= uint32(g.Id.Region) << 16
	}
	if g.RefPoint.HasElevation && g.RefPoint.Elevation != -4096 {
		out.RefElevation = float32(g.RefPoint.Elevation) / 10
	}
	frame := geo.NewFrame(out.RefLat, out.RefLon, 0)
	width := float32(3.5)
	if g.HasLaneWidth {
		width = float32(g.LaneWidth) / 100
	}
	var limit float32
	if g.HasSpeedLimits {
		limit = vehicleMaxSpeed(g.SpeedLimits)
	}
	for k := range g.LaneSet {
		l := &g.LaneSet[k]
		var kind v2x.LaneKind
		switch l.LaneAttributes.LaneType.Choice {
		case LaneTypeAttributesChoiceVehicle:
			kind = v2x.LaneVehicle
		case LaneTypeAttributesChoiceCrosswalk:
			kind = v2x.LaneCrosswalk
		case LaneTypeAttributesChoiceBikeLane:
			kind = v2x.LaneBike
		case LaneTypeAttributesChoiceSidewalk:
			kind = v2x.LaneSidewalk
		default:
			continue
		}
		lane := v2x.Lane{ID: uint8(l.LaneID), Kind: kind, Width: width, SpeedLimit: limit,
			Ingress: uper.BitString(l.LaneAttributes.DirectionalUse).Bit(0)}
		switch {
		case l.HasIngressApproach:
			lane.Approach = uint8(l.IngressApproach)
		case l.HasEgressApproach:
			lane.Approach = uint8(l.EgressApproach)
		}
		if l.HasManeuvers {
			lane.Maneuvers = v2x.ManeuversFromBits(l.Maneuvers.Bits >> 8)
		}
		if l.NodeList.Choice == NodeListXYChoiceNodes {
			var x, y int64 // cm east and north of the reference point
			for n := range l.NodeList.Nodes {
				node := &l.NodeList.Nodes[n]
				d := &node.Delta
				switch d.Choice {
				case NodeOffsetPointXYChoiceNodeXY1:
					x, y = x+int64(d.NodeXY1.X), y+int64(d.NodeXY1.Y)
				case NodeOffsetPointXYChoiceNodeXY2:
					x, y = x+int64(d.NodeXY2.X), y+int64(d.NodeXY2.Y)
				case NodeOffsetPointXYChoiceNodeXY3:
					x, y = x+int64(d.NodeXY3.X), y+int64(d.NodeXY3.Y)
				case NodeOffsetPointXYChoiceNodeXY4:
					x, y = x+int64(d.NodeXY4.X), y+int64(d.NodeXY4.Y)
				case NodeOffsetPointXYChoiceNodeXY5:
					x, y = x+int64(d.NodeXY5.X), y+int64(d.NodeXY5.Y)
				case NodeOffsetPointXYChoiceNodeXY6:
					x, y = x+int64(d.NodeXY6.X), y+int64(d.NodeXY6.Y)
				case NodeOffsetPointXYChoiceNodeLatLon:
					e, nn, _ := frame.ToENU(float64(d.NodeLatLon.Lat)*1e-7, float64(d.NodeLatLon.Lon)*1e-7, 0)
					x, y = int64(e*100), int64(nn*100)
				default:
					continue // a regional node: no position
				}
				if a := &node.Attributes; n == 0 && node.HasAttributes {
					if a.HasDWidth {
						lane.Width += float32(a.DWidth) / 100
					}
					for k := range a.Data[:len(a.Data)*b2i(a.HasData)] {
						if a.Data[k].Choice == LaneDataAttributeChoiceSpeedLimits {
							lane.SpeedLimit = vehicleMaxSpeed(a.Data[k].SpeedLimits)
						}
					}
				}
				lane.Nodes = append(lane.Nodes, v2x.Point{E: float32(x) / 100, N: float32(y) / 100})
			}
		}
		if l.HasConnectsTo {
			for c := range l.ConnectsTo {
				ct := &l.ConnectsTo[c]
				conn := v2x.Connection{ToLane: uint8(ct.ConnectingLane.Lane)}
				if ct.HasSignalGroup {
					conn.SignalGroup = uint8(ct.SignalGroup)
				}
				if ct.ConnectingLane.HasManeuver {
					conn.Maneuver = v2x.ManeuversFromBits(ct.ConnectingLane.Maneuver.Bits >> 8)
				}
				lane.Connections = append(lane.Connections, conn)
			}
		}
		out.Lanes = append(out.Lanes, lane)
	}
	return nil
}

// vehicleMaxSpeed is a speed limit list's vehicleMaxSpeed (else its first
// entry) in m/s, 0 if unavailable (8191).
func vehicleMaxSpeed(l SpeedLimitList) float32 {
	if len(l) == 0 {
		return 0
	}
	v := l[0].Speed
	for i := range l {
		if l[i].Type == SpeedLimitTypeVehicleMaxSpeed {
			v = l[i].Speed
			break
		}
	}
	if v >= 8191 {
		return 0
	}
	return float32(v) * 0.02
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

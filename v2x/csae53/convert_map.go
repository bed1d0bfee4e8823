package csae53

import (
	"fmt"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
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

// ToModel converts an RSI: events (RTEs) and signs (RTSs) located at their
// offset from refPos (or refPos itself), radius 0.1 m units, priority the
// top three bits of RSIPriority, validity from timeDetails (minutes of the
// year, resolved to the year nearest refUnixNS), text from textString
// (GB2312 text is not converted and left empty).
func (m *RoadSideInformation) ToModel(refUnixNS int64, out *v2x.RSI) {
	out.RSUID = uint32(m.Id[4])<<24 | uint32(m.Id[5])<<16 | uint32(m.Id[6])<<8 | uint32(m.Id[7])
	out.Events = out.Events[:0]
	refLat, refLon := int64(m.RefPos.Lat), int64(m.RefPos.Long)
	add := func(id uint8, kind v2x.EventKind, typ uint16, pos *PositionOffsetLLV, hasPos bool, radius float32,
		desc *Description, hasDesc bool, td *RSITimeDetails, hasTD bool, prio *RSIPriority, hasPrio bool) {
		if len(out.Events) == v2x.MaxEvents {
			return
		}
		lat, lon := refLat, refLon
		if hasPos {
			var err error
			if lat, lon, err = OffsetToLatLon(&pos.OffsetLL, refLat, refLon); err != nil {
				return
			}
		}
		e := v2x.RoadEvent{ID: uint16(id), Kind: kind, Type: typ, Lat: float64(lat) * degUnit, Lon: float64(lon) * degUnit, Radius: radius}
		if hasPrio {
			e.Priority = prio[0] >> 5
		}
		if hasDesc && desc.Choice == DescriptionChoiceTextString {
			e.Text = string(desc.TextString[:min(len(desc.TextString), v2x.MaxText)])
		}
		if hasTD {
			if td.HasStartTime {
				e.StartNS, _ = v2x.MinuteOfYearNear(int64(td.StartTime), 0, refUnixNS)
			}
			if td.HasEndTime {
				e.EndNS, _ = v2x.MinuteOfYearNear(int64(td.EndTime), 0, refUnixNS)
			}
		}
		out.Events = append(out.Events, e)
	}
	for i := range m.Rtes[:len(m.Rtes)*b2i(m.HasRtes)] {
		r := &m.Rtes[i]
		radius := float32(0)
		if r.HasEventRadius {
			radius = float32(r.EventRadius) / 10
		}
		add(r.RteId, v2x.KindEvent, uint16(r.EventType), &r.EventPos, r.HasEventPos, radius,
			&r.Description, r.HasDescription, &r.TimeDetails, r.HasTimeDetails, &r.Priority, r.HasPriority)
	}
	for i := range m.Rtss[:len(m.Rtss)*b2i(m.HasRtss)] {
		r := &m.Rtss[i]
		add(r.RtsId, v2x.KindSign, uint16(r.SignType), &r.SignPos, r.HasSignPos, 0,
			&r.Description, r.HasDescription, &r.TimeDetails, r.HasTimeDetails, &r.Priority, r.HasPriority)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RSIFromModel fills out with in's events (RTEs) and signs (RTSs): at most
// 8 events and 16 signs (the schema's limits; an error beyond), located
// relative to the first one's position, radius in 0.1 m, priority in the
// top three bits, text as an IA5 textString (non-ASCII bytes become '?'),
// validity as minutes of the year (UTC).
func RSIFromModel(in *v2x.RSI, msgCnt uint8, out *RoadSideInformation) error {
	var nev, nsign int
	for i := range in.Events {
		if in.Events[i].Kind == v2x.KindSign {
			nsign++
		} else {
			nev++
		}
	}
	if nev > 8 || nsign > 16 || nev+nsign == 0 {
		return fmt.Errorf("csae53 rsi: %d events and %d signs; an RSI holds 0..8 and 0..16, at least one", nev, nsign)
	}
	*out = RoadSideInformation{MsgCnt: MsgCount(msgCnt & 127), Rtes: out.Rtes[:0], Rtss: out.Rtss[:0]}
	out.Id[4], out.Id[5], out.Id[6], out.Id[7] = byte(in.RSUID>>24), byte(in.RSUID>>16), byte(in.RSUID>>8), byte(in.RSUID)
	ref := &in.Events[0]
	rlat, rlon := int64(round(ref.Lat/degUnit)), int64(round(ref.Lon/degUnit))
	out.RefPos = Position3D{Lat: Latitude(rlat), Long: Longitude(rlon)}
	moy := func(ns int64) MinuteOfTheYear {
		t := time.Unix(0, ns).UTC()
		return MinuteOfTheYear(t.Sub(time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)) / time.Minute)
	}
	for i := range in.Events {
		e := &in.Events[i]
		var pos PositionOffsetLLV
		LatLonToOffset(int64(round(e.Lat/degUnit)), int64(round(e.Lon/degUnit)), rlat, rlon, &pos.OffsetLL)
		var desc Description
		if e.Text != "" {
			t := []byte(e.Text[:min(len(e.Text), 512)])
			for k, c := range t {
				if c >= 0x80 {
					t[k] = '?'
				}
			}
			desc = Description{Choice: DescriptionChoiceTextString, TextString: t}
		}
		var td RSITimeDetails
		if e.StartNS != 0 {
			td.HasStartTime, td.StartTime = true, moy(e.StartNS)
		}
		if e.EndNS != 0 {
			td.HasEndTime, td.EndTime = true, moy(e.EndNS)
		}
		hasTD := td.HasStartTime || td.HasEndTime
		prio := RSIPriority{min(e.Priority, 7) << 5}
		if e.Kind == v2x.KindSign {
			out.Rtss = append(out.Rtss, RTSData{RtsId: uint8(e.ID), SignType: SignType(e.Type), HasSignPos: true, SignPos: pos,
				HasDescription: e.Text != "", Description: desc, HasTimeDetails: hasTD, TimeDetails: td, HasPriority: true, Priority: prio})
			continue
		}
		out.Rtes = append(out.Rtes, RTEData{RteId: uint8(e.ID), EventType: EventType(e.Type), EventSource: EventSourceDetection,
			HasEventPos: true, EventPos: pos, HasEventRadius: true, EventRadius: Radius(clampInt(round(float64(e.Radius)*10), 0, 65535)),
			HasDescription: e.Text != "", Description: desc, HasTimeDetails: hasTD, TimeDetails: td, HasPriority: true, Priority: prio})
	}
	out.HasRtes, out.HasRtss = len(out.Rtes) > 0, len(out.Rtss) > 0
	return nil
}

package csae53

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// ToModel converts the first node (intersection) of a MAP into the node's
// intersection model. Its lanes are the lanes of its inLinks (links that
// enter it), numbered by their laneID, with the link's position as the
// approach. Lane points are offsets from the node's refPos (position-
// LatLon is absolute); CSAE lists them from upstream towards the stop
// line, so they are reversed to run from the stop line outwards.
// Connections come from connectsTo (lane, phase as the signal group,
// maneuver). Lanes of kinds without a counterpart (median, striping,
// tracked vehicle, parking) are left out. Widths default to the link's,
// speed limits to the lane's first, then the link's.
func (m *MapData) ToModel(out *v2x.Map) error {
	if len(m.Nodes) == 0 {
		return fmt.Errorf("csae53 map: no nodes")
	}
	n := &m.Nodes[0]
	refLat, refLon := int64(n.RefPos.Lat), int64(n.RefPos.Long)
	*out = v2x.Map{IntersectionID: nodeID(&n.Id), RefLat: float64(refLat) * degUnit, RefLon: float64(refLon) * degUnit, Lanes: out.Lanes[:0]}
	if n.RefPos.HasElevation && n.RefPos.Elevation != -4096 {
		out.RefElevation = float32(n.RefPos.Elevation) / 10
	}
	frame := geo.NewFrame(out.RefLat, out.RefLon, 0)
	if !n.HasInLinks {
		return nil
	}
	for li := range n.InLinks {
		link := &n.InLinks[li]
		for k := range link.Lanes {
			l := &link.Lanes[k]
			kind, ok := laneKind(l)
			if !ok {
				continue
			}
			if len(out.Lanes) == v2x.MaxLanes {
				return fmt.Errorf("csae53 map: more than %d lanes", v2x.MaxLanes)
			}
			lane := v2x.Lane{ID: uint8(l.LaneID), Kind: kind, Approach: uint8(min(li+1, 255)), Ingress: true, Width: 3.5}
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
				lane.Maneuvers = maneuvers(l.Maneuvers.Bits >> (l.Maneuvers.Len - 4))
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
				for p := len(*pts) - 1; p >= 0; p-- {
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
							conn.Maneuver = maneuvers(mv.Bits >> (mv.Len - 4))
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
	}
	return nil
}

// maneuvers maps the first four AllowedManeuvers bits (straight, left,
// right, U-turn; first bit highest of the four).
func maneuvers(b uint64) v2x.Maneuver {
	var m v2x.Maneuver
	if b&8 != 0 {
		m |= v2x.ManeuverStraight
	}
	if b&4 != 0 {
		m |= v2x.ManeuverLeft
	}
	if b&2 != 0 {
		m |= v2x.ManeuverRight
	}
	if b&1 != 0 {
		m |= v2x.ManeuverUTurn
	}
	return m
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

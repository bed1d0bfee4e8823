package j2735

import (
	"fmt"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// phaseState maps a MovementPhaseState: stop-Then-Proceed is a flashing
// red, pre-Movement (red with yellow in some countries) still a red, the
// clearances yellow and caution-Conflicting-Traffic a flashing yellow.
func phaseState(s MovementPhaseState) v2x.LightState {
	switch s {
	case MovementPhaseStateDark:
		return v2x.LightDark
	case MovementPhaseStateStopThenProceed:
		return v2x.LightRedFlashing
	case MovementPhaseStateStopAndRemain, MovementPhaseStatePreMovement:
		return v2x.LightRed
	case MovementPhaseStatePermissiveMovementAllowed:
		return v2x.LightGreenPermissive
	case MovementPhaseStateProtectedMovementAllowed:
		return v2x.LightGreen
	case MovementPhaseStatePermissiveClearance, MovementPhaseStateProtectedClearance:
		return v2x.LightYellow
	case MovementPhaseStateCautionConflictingTraffic:
		return v2x.LightYellowFlashing
	}
	return v2x.LightUnknown
}

// intervalConfidence is the probability in percent of each
// TimeIntervalConfidence value (J2735 table).
var intervalConfidence = [16]uint8{21, 36, 47, 56, 62, 68, 73, 77, 81, 85, 88, 91, 94, 96, 98, 100}

// ToModel converts intersection i of a SPAT and returns the capture time
// it used (Unix ns): the IntersectionState's moy and timeStamp, else the
// IntersectionState's timeStamp alone in the minute nearest refUnixNS,
// else the SPAT's timeStamp (a minute of the year), else refUnixNS; the
// year is the one nearest refUnixNS. Each MovementState becomes a phase whose id is
// the signal group and whose state is the first MovementEvent (the one in
// force). TimeMarks (tenths of a second past the UTC hour, rolled over to
// the hour nearest the capture time) become milliseconds relative to the
// capture time; 36001 and absent values are v2x.TimeUnknown.
func (s *SPAT) ToModel(i int, refUnixNS int64, out *v2x.SPAT) (captureUnixNS int64, err error) {
	if i < 0 || i >= len(s.Intersections) {
		return 0, fmt.Errorf("j2735 spat: no intersection %d of %d", i, len(s.Intersections))
	}
	is := &s.Intersections[i]
	capture := refUnixNS
	switch {
	case is.HasMoy:
		ds := int64(0)
		if is.HasTimeStamp {
			ds = int64(is.TimeStamp)
		}
		if t, ok := v2x.MinuteOfYearNear(int64(is.Moy), ds, refUnixNS); ok {
			capture = t
		}
	case is.HasTimeStamp:
		if t, ok := v2x.DSecondNear(int64(is.TimeStamp), refUnixNS); ok {
			capture = t
		}
	case s.HasTimeStamp:
		if t, ok := v2x.MinuteOfYearNear(int64(s.TimeStamp), 0, refUnixNS); ok {
			capture = t
		}
	}
	if len(is.States) > v2x.MaxPhases {
		return 0, fmt.Errorf("j2735 spat: %d movements, more than %d", len(is.States), v2x.MaxPhases)
	}
	out.IntersectionID = uint32(is.Id.Id)
	if is.Id.HasRegion {
		out.IntersectionID |= uint32(is.Id.Region) << 16
	}
	out.Phases = out.Phases[:0]
	rel := func(mark TimeMark) int32 {
		t, ok := v2x.TimeMarkNS(int64(mark), capture)
		if !ok {
			return v2x.TimeUnknown
		}
		return int32((t - capture) / int64(time.Millisecond))
	}
	for j := range is.States {
		ms := &is.States[j]
		p := v2x.Phase{ID: uint8(ms.SignalGroup), Start: v2x.TimeUnknown, MinEnd: v2x.TimeUnknown, LikelyEnd: v2x.TimeUnknown, MaxEnd: v2x.TimeUnknown}
		if len(ms.StateTimeSpeed) > 0 {
			ev := &ms.StateTimeSpeed[0]
			p.State = phaseState(ev.EventState)
			if ev.HasTiming {
				t := &ev.Timing
				p.MinEnd = rel(t.MinEndTime)
				if t.HasStartTime {
					p.Start = rel(t.StartTime)
				}
				if t.HasMaxEndTime {
					p.MaxEnd = rel(t.MaxEndTime)
				}
				if t.HasLikelyTime {
					p.LikelyEnd = rel(t.LikelyTime)
				}
				if t.HasConfidence {
					p.Confidence = intervalConfidence[t.Confidence&15]
				}
			}
		}
		out.Phases = append(out.Phases, p)
	}
	return capture, nil
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

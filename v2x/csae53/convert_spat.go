package csae53

import (
	"fmt"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// lightState maps a CSAE light state to the node's. flashing-green (a
// green about to end, allowed to proceed) becomes green; unavailable and
// unknown extension values become unknown.
func lightState(l LightState) v2x.LightState {
	switch l {
	case LightStateDark:
		return v2x.LightDark
	case LightStateFlashingRed:
		return v2x.LightRedFlashing
	case LightStateRed:
		return v2x.LightRed
	case LightStateFlashingGreen, LightStateProtectedGreen:
		return v2x.LightGreen
	case LightStatePermissiveGreen:
		return v2x.LightGreenPermissive
	case LightStateYellow:
		return v2x.LightYellow
	case LightStateFlashingYellow:
		return v2x.LightYellowFlashing
	}
	return v2x.LightUnknown
}

// csaeLight is the CSAE light state for the node's.
func csaeLight(l v2x.LightState) LightState {
	switch l {
	case v2x.LightDark:
		return LightStateDark
	case v2x.LightRed:
		return LightStateRed
	case v2x.LightRedFlashing:
		return LightStateFlashingRed
	case v2x.LightGreen:
		return LightStateProtectedGreen
	case v2x.LightGreenPermissive:
		return LightStatePermissiveGreen
	case v2x.LightYellow:
		return LightStateYellow
	case v2x.LightYellowFlashing:
		return LightStateFlashingYellow
	}
	return LightStateUnavailable
}

// ToModel converts intersection i of a SPAT into the node's model and
// returns the capture time it used (Unix ns).
//
// Capture time: the IntersectionState's moy and timeStamp, else the
// SPAT's, else refUnixNS; the year is the one that puts moy nearest
// refUnixNS. The current state of each phase is the PhaseState whose
// window holds the capture time: with counting timing (tenths of a second
// from the capture time) the one with startTime 0, with utcTiming
// (TimeMarks, tenths of a second past the UTC hour, rolled over to the
// hour nearest the capture time) the one that started last; without
// timing, the first. Phase times are milliseconds from the capture time;
// 36001 and absent values are v2x.TimeUnknown, and so is Start for a
// counting state already running (CSAE does not say since when).
func (s *SPAT) ToModel(i int, refUnixNS int64, out *v2x.SPAT) (captureUnixNS int64, err error) {
	if i < 0 || i >= len(s.Intersections) {
		return 0, fmt.Errorf("csae53 spat: no intersection %d of %d", i, len(s.Intersections))
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
	case s.HasMoy:
		ds := int64(0)
		if s.HasTimeStamp {
			ds = int64(s.TimeStamp)
		}
		if t, ok := v2x.MinuteOfYearNear(int64(s.Moy), ds, refUnixNS); ok {
			capture = t
		}
	}
	if len(is.Phases) > v2x.MaxPhases {
		return 0, fmt.Errorf("csae53 spat: %d phases, more than %d", len(is.Phases), v2x.MaxPhases)
	}
	out.IntersectionID = nodeID(&is.IntersectionId)
	out.Phases = out.Phases[:0]
	for j := range is.Phases {
		ph := &is.Phases[j]
		st := currentState(ph.PhaseStates, capture)
		p := v2x.Phase{ID: uint8(ph.Id), State: lightState(st.Light),
			Start: v2x.TimeUnknown, MinEnd: v2x.TimeUnknown, LikelyEnd: v2x.TimeUnknown, MaxEnd: v2x.TimeUnknown}
		if st.HasTiming {
			switch t := &st.Timing; t.Choice {
			case TimeChangeDetailsChoiceCounting:
				c := &t.Counting
				if c.StartTime != 0 {
					p.Start = relMark(int64(c.StartTime))
				}
				p.LikelyEnd = relMark(int64(c.LikelyEndTime))
				if c.HasMinEndTime {
					p.MinEnd = relMark(int64(c.MinEndTime))
				}
				if c.HasMaxEndTime {
					p.MaxEnd = relMark(int64(c.MaxEndTime))
				}
				if c.HasTimeConfidence {
					p.Confidence = uint8(c.TimeConfidence / 2)
				}
			case TimeChangeDetailsChoiceUtcTiming:
				u := &t.UtcTiming
				p.Start = absMark(int64(u.StartUTCTime), capture)
				p.LikelyEnd = absMark(int64(u.LikelyEndUTCTime), capture)
				if u.HasMinEndUTCTime {
					p.MinEnd = absMark(int64(u.MinEndUTCTime), capture)
				}
				if u.HasMaxEndUTCTime {
					p.MaxEnd = absMark(int64(u.MaxEndUTCTime), capture)
				}
				if u.HasTimeConfidence {
					p.Confidence = uint8(u.TimeConfidence / 2)
				}
			}
		}
		out.Phases = append(out.Phases, p)
	}
	return capture, nil
}

// currentState picks the PhaseState in force at the capture time.
func currentState(states PhaseStateList, capture int64) *PhaseState {
	best := -1
	var bestStart int64
	for k := range states {
		st := &states[k]
		if !st.HasTiming {
			continue
		}
		var start int64
		switch st.Timing.Choice {
		case TimeChangeDetailsChoiceCounting:
			if st.Timing.Counting.StartTime == 0 {
				return st
			}
			continue
		case TimeChangeDetailsChoiceUtcTiming:
			t, ok := v2x.TimeMarkNS(int64(st.Timing.UtcTiming.StartUTCTime), capture)
			if !ok || t > capture {
				continue
			}
			start = t
		default:
			continue
		}
		if best < 0 || start > bestStart {
			best, bestStart = k, start
		}
	}
	if best < 0 {
		return &states[0]
	}
	return &states[best]
}

// relMark is a counting TimeMark (tenths of a second from now) in ms.
func relMark(mark int64) int32 {
	if mark < 0 || mark >= v2x.TimeMarkUnknown {
		return v2x.TimeUnknown
	}
	return int32(mark * 100)
}

// absMark is a UTC TimeMark in ms relative to the capture time.
func absMark(mark, capture int64) int32 {
	t, ok := v2x.TimeMarkNS(mark, capture)
	if !ok {
		return v2x.TimeUnknown
	}
	return int32((t - capture) / int64(time.Millisecond))
}

// nodeID is an intersection id as the node keys it: region<<16 | id.
func nodeID(n *NodeReferenceID) uint32 {
	id := uint32(n.Id)
	if n.HasRegion {
		id |= uint32(n.Region) << 16
	}
	return id
}

// SPATFromModel fills out with one intersection's phases and counting
// timing (tenths of a second from the capture time; unknown times as
// 36001), stamped with the capture time's minute of the year and
// millisecond (UTC).
func SPATFromModel(in *v2x.SPAT, captureUnixNS int64, msgCnt uint8, out *SPAT) error {
	if len(in.Phases) == 0 || len(in.Phases) > 16 {
		return fmt.Errorf("csae53 spat: %d phases, want 1..16", len(in.Phases))
	}
	t := time.Unix(0, captureUnixNS).UTC()
	year := time.Date(t.Year(), time.January, 1, 0, 0, 0, 0, time.UTC)
	moy := MinuteOfTheYear(t.Sub(year) / time.Minute)
	ds := DSecond(t.Second()*1000 + t.Nanosecond()/1e6)
	out.MsgCnt = MsgCount(msgCnt & 127)
	out.HasMoy, out.Moy, out.HasTimeStamp, out.TimeStamp, out.HasName = true, moy, true, ds, false
	if cap(out.Intersections) < 1 {
		out.Intersections = make(IntersectionStateList, 1)
	}
	out.Intersections = out.Intersections[:1]
	is := &out.Intersections[0]
	*is = IntersectionState{Phases: is.Phases[:0]}
	is.IntersectionId = NodeReferenceID{HasRegion: in.IntersectionID>>16 != 0, Region: RoadRegulatorID(in.IntersectionID >> 16), Id: NodeID(in.IntersectionID)}
	is.Status.Len = 16
	is.HasMoy, is.Moy, is.HasTimeStamp, is.TimeStamp = true, moy, true, ds
	mark := func(ms int32) TimeMark {
		if ms == v2x.TimeUnknown || ms < 0 {
			return v2x.TimeMarkUnknown
		}
		return TimeMark(min(int64(ms)/100, 36000))
	}
	for _, p := range in.Phases {
		var ps PhaseState
		ps.Light = csaeLight(p.State)
		ps.HasTiming = true
		ps.Timing.Choice = TimeChangeDetailsChoiceCounting
		c := &ps.Timing.Counting
		c.StartTime = 0
		c.LikelyEndTime = mark(p.LikelyEnd)
		if p.MinEnd != v2x.TimeUnknown {
			c.HasMinEndTime, c.MinEndTime = true, mark(p.MinEnd)
		}
		if p.MaxEnd != v2x.TimeUnknown {
			c.HasMaxEndTime, c.MaxEndTime = true, mark(p.MaxEnd)
		}
		if p.Confidence > 0 {
			c.HasTimeConfidence, c.TimeConfidence = true, Confidence(min(int(p.Confidence)*2, 200))
		}
		var ph *Phase
		is.Phases, ph = uper.Grow(is.Phases)
		*ph = Phase{Id: PhaseID(p.ID), PhaseStates: append(ph.PhaseStates[:0], ps)}
	}
	return nil
}

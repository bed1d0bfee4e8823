package j2735

import (
	"fmt"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// movementPhaseState is the MovementPhaseState for a light state: the
// inverse of phaseState (a yellow is protected-clearance).
func movementPhaseState(s v2x.LightState) MovementPhaseState {
	switch s {
	case v2x.LightDark:
		return MovementPhaseStateDark
	case v2x.LightRed:
		return MovementPhaseStateStopAndRemain
	case v2x.LightRedFlashing:
		return MovementPhaseStateStopThenProceed
	case v2x.LightGreen:
		return MovementPhaseStateProtectedMovementAllowed
	case v2x.LightGreenPermissive:
		return MovementPhaseStatePermissiveMovementAllowed
	case v2x.LightYellow:
		return MovementPhaseStateProtectedClearance
	case v2x.LightYellowFlashing:
		return MovementPhaseStateCautionConflictingTraffic
	}
	return MovementPhaseStateUnavailable
}

// timeIntervalConfidence is the TimeIntervalConfidence whose probability
// is nearest a percentage (the lower one on a tie).
func timeIntervalConfidence(percent uint8) TimeIntervalConfidence {
	best := 0
	for i, p := range intervalConfidence {
		if absDiff(p, percent) < absDiff(intervalConfidence[best], percent) {
			best = i
		}
	}
	return TimeIntervalConfidence(best)
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}

const (
	hourTenths  = 36000
	tenthNS     = int64(100 * time.Millisecond)
	halfHourNS  = int64(30 * time.Minute)
	millisecond = int64(time.Millisecond)
)

// SPATFromModel fills out with one intersection's movements, reusing out's
// slices, so that SPAT.ToModel gives the model back within 50 ms.
//
// The SPAT's timeStamp is the capture time's minute of the year (UTC) and
// the IntersectionState's moy and timeStamp its minute and millisecond.
// Each phase is a MovementState of its signal group with one
// MovementEvent, the state in force, whose TimeMarks are the phase times
// as tenths of a second past the UTC hour (rounded, relative to the
// capture time at millisecond precision). Unknown times are left out,
// minEndTime (which J2735 requires) as 36001; so are times half an hour or
// more from the capture, which a TimeMark cannot place in its hour.
// Confidence becomes the nearest TimeIntervalConfidence; 0 is left out.
// It fails without phases (J2735 needs 1..255).
func SPATFromModel(in *v2x.SPAT, captureUnixNS int64, revision uint8, out *SPAT) error {
	if len(in.Phases) == 0 || len(in.Phases) > 255 {
		return fmt.Errorf("j2735 spat: %d phases, want 1..255", len(in.Phases))
	}
	capMS := floorDiv(captureUnixNS, millisecond)
	capture := capMS * millisecond // what ToModel reads back
	t := time.Unix(0, capture).UTC()
	moy := MinuteOfTheYear(t.Sub(time.Date(t.Year(), time.January, 1, 0, 0, 0, 0, time.UTC)) / time.Minute)
	ds := DSecond(t.Second()*1000 + t.Nanosecond()/1e6)
	mark := func(ms int32) (TimeMark, bool) {
		if ms == v2x.TimeUnknown {
			return v2x.TimeMarkUnknown, false
		}
		tenths := floorDiv(capture+int64(ms)*millisecond+tenthNS/2, tenthNS)
		if d := tenths*tenthNS - capture; d >= halfHourNS || d <= -halfHourNS {
			return v2x.TimeMarkUnknown, false
		}
		return TimeMark(tenths - floorDiv(tenths, hourTenths)*hourTenths), true
	}

	*out = SPAT{HasTimeStamp: true, TimeStamp: moy, Intersections: out.Intersections[:0], Regional: out.Regional[:0]}
	var is *IntersectionState
	out.Intersections, is = uper.Grow(out.Intersections)
	*is = IntersectionState{
		Id:       IntersectionReferenceID{HasRegion: in.IntersectionID>>16 != 0, Region: RoadRegulatorID(in.IntersectionID >> 16), Id: IntersectionID(in.IntersectionID)},
		Revision: MsgCount(revision & 127), Status: IntersectionStatusObject{Len: 16},
		HasMoy: true, Moy: moy, HasTimeStamp: true, TimeStamp: ds,
		States: is.States[:0],
	}
	for i := range in.Phases {
		p := &in.Phases[i]
		var ms *MovementState
		is.States, ms = uper.Grow(is.States)
		*ms = MovementState{SignalGroup: SignalGroupID(p.ID), StateTimeSpeed: ms.StateTimeSpeed[:0]}
		var ev *MovementEvent
		ms.StateTimeSpeed, ev = uper.Grow(ms.StateTimeSpeed)
		*ev = MovementEvent{EventState: movementPhaseState(p.State)}
		tc := &ev.Timing
		var known bool
		tc.MinEndTime, known = mark(p.MinEnd)
		tc.StartTime, tc.HasStartTime = mark(p.Start)
		tc.MaxEndTime, tc.HasMaxEndTime = mark(p.MaxEnd)
		tc.LikelyTime, tc.HasLikelyTime = mark(p.LikelyEnd)
		if p.Confidence > 0 {
			tc.HasConfidence, tc.Confidence = true, timeIntervalConfidence(p.Confidence)
		}
		ev.HasTiming = known || tc.HasStartTime || tc.HasMaxEndTime || tc.HasLikelyTime || tc.HasConfidence
	}
	return nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

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

package openv2x

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// DecodeSPAT decodes OpenV2X SPAT JSON into out (reused; one SPAT per
// intersection), as RSUs publish it on V2X/RSU/{id}/SPAT/UP for
// open-v2x/dandelion:
//
//	{"intersections": [{"intersectionId": 19, "status": …,
//	  "phases": [{"phaseId": 1, "phaseStates": {"light": "red", "timing": …}}]}]}
//
// "phaseStates" may also be a list (CSAE 53's PhaseStateList written as
// JSON, in a list object or not), whose first entry is taken as the
// current state. "light" is CSAE 53's LightState, by name
// ("protected-green") or number (0..8), or a plain colour ("red",
// "green", "yellow"). "timing" is read when it is CSAE 53's counting
// form, {"counting": {"startTime", "minEndTime", "maxEndTime",
// "likelyEndTime", "timeConfidence"}} in 0.1 s from now; other forms
// (dandelion's wall-clock string) leave the times unknown.
func DecodeSPAT(b []byte, out []v2x.SPAT) ([]v2x.SPAT, error) {
	var j struct {
		Intersections list[struct {
			IntersectionID json.RawMessage `json:"intersectionId"`
			Phases         list[struct {
				PhaseID     num             `json:"phaseId"`
				PhaseStates json.RawMessage `json:"phaseStates"`
			}] `json:"phases"`
		}] `json:"intersections"`
	}
	out = out[:0]
	if err := json.Unmarshal(b, &j); err != nil {
		return out, fmt.Errorf("openv2x spat: %w", err)
	}
	if len(j.Intersections) == 0 {
		return out, fmt.Errorf(`openv2x spat: no "intersections"`)
	}
	if len(j.Intersections) > 32 {
		return out, fmt.Errorf("openv2x spat: %d intersections, more than 32", len(j.Intersections))
	}
	var c checker
	for i := range j.Intersections {
		in := &j.Intersections[i]
		at := fmt.Sprintf("intersections[%d]", i)
		if len(in.Phases) > v2x.MaxPhases {
			c.fail("%s: %d phases, more than %d", at, len(in.Phases), v2x.MaxPhases)
			break
		}
		sp := v2x.SPAT{IntersectionID: c.intersectionID(in.IntersectionID, at+".intersectionId")}
		for k := range in.Phases {
			p := &in.Phases[k]
			pat := fmt.Sprintf("%s.phases[%d]", at, k)
			ph := v2x.Phase{ID: uint8(c.int(p.PhaseID, 0, 255, pat+".phaseId")), Confidence: 0,
				Start: v2x.TimeUnknown, MinEnd: v2x.TimeUnknown, LikelyEnd: v2x.TimeUnknown, MaxEnd: v2x.TimeUnknown}
			c.phaseState(p.PhaseStates, &ph, pat+".phaseStates")
			sp.Phases = append(sp.Phases, ph)
		}
		out = append(out, sp)
	}
	if c.err != nil {
		return out[:0], fmt.Errorf("openv2x spat: %w", c.err)
	}
	return out, nil
}

// intersectionID reads an intersection id: a number, a string of digits
// or CSAE 53's NodeReferenceID ({"region", "id"}: region<<16 | id, as the
// csae53 package numbers them).
func (c *checker) intersectionID(raw json.RawMessage, at string) uint32 {
	var n num
	if json.Unmarshal(raw, &n) == nil && n.Set {
		return uint32(c.int(n, 0, math.MaxUint32, at))
	}
	var ref jNodeRef
	if err := json.Unmarshal(raw, &ref); err != nil {
		c.fail("%s %s is neither a number nor a node reference", at, raw)
		return 0
	}
	r := c.nodeRef(&ref, at)
	return uint32(r.Region)<<16 | uint32(r.Id)
}

type jPhaseState struct {
	Light  json.RawMessage `json:"light"`
	Timing json.RawMessage `json:"timing"`
}

func (c *checker) phaseState(raw json.RawMessage, ph *v2x.Phase, at string) {
	var st jPhaseState
	var states list[jPhaseState]
	if err := json.Unmarshal(raw, &states); err == nil && len(states) > 0 {
		st = states[0]
		for _, s := range states { // the one running now, as csae53 picks it
			if t, ok := counting(s.Timing); ok && t.StartTime.Set && t.StartTime.V == 0 {
				st = s
				break
			}
		}
	} else if err := json.Unmarshal(raw, &st); err != nil || st.Light == nil {
		c.fail("%s: want an object with \"light\" or a list of them", at)
		return
	}
	ph.State = c.light(st.Light, at+".light")
	ct, ok := counting(st.Timing)
	if !ok {
		return
	}
	// Tenths of a second from now, in ms; 36001 and absent are unknown.
	mark := func(n num, what string) int32 {
		if !n.Set {
			return v2x.TimeUnknown
		}
		if v := c.int(n, 0, 36001, at+".timing.counting."+what); v < 36001 {
			return int32(v * 100)
		}
		return v2x.TimeUnknown
	}
	if ct.StartTime.Set && ct.StartTime.V != 0 {
		ph.Start = mark(ct.StartTime, "startTime")
	}
	ph.MinEnd, ph.MaxEnd, ph.LikelyEnd = mark(ct.MinEndTime, "minEndTime"), mark(ct.MaxEndTime, "maxEndTime"), mark(ct.LikelyEndTime, "likelyEndTime")
	if ct.TimeConfidence.Set {
		ph.Confidence = uint8(c.int(ct.TimeConfidence, 0, 200, at+".timing.counting.timeConfidence") / 2)
	}
}

// jCounting is CSAE 53's TimeCountingDown.
type jCounting struct {
	StartTime      num `json:"startTime"`
	MinEndTime     num `json:"minEndTime"`
	MaxEndTime     num `json:"maxEndTime"`
	LikelyEndTime  num `json:"likelyEndTime"`
	TimeConfidence num `json:"timeConfidence"`
}

// counting reads a timing in the counting form.
func counting(raw json.RawMessage) (jCounting, bool) {
	var t struct {
		Counting *jCounting `json:"counting"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil || t.Counting == nil {
		return jCounting{}, false
	}
	return *t.Counting, true
}

// lightNames are CSAE 53 LightState's names in the order of its numbers.
var lightNames = [...]string{"unavailable", "dark", "flashing-red", "red", "flashing-green", "permissive-green", "protected-green", "yellow", "flashing-yellow"}

var lightStates = [...]v2x.LightState{v2x.LightUnknown, v2x.LightDark, v2x.LightRedFlashing, v2x.LightRed,
	v2x.LightGreen, v2x.LightGreenPermissive, v2x.LightGreen, v2x.LightYellow, v2x.LightYellowFlashing}

func (c *checker) light(raw json.RawMessage, at string) v2x.LightState {
	var n num
	if json.Unmarshal(raw, &n) == nil && n.Set {
		if _, isString := strings.CutPrefix(string(raw), `"`); !isString {
			return lightStates[c.int(n, 0, int64(len(lightNames)-1), at)]
		}
	}
	var ch choice
	if err := json.Unmarshal(raw, &ch); err != nil {
		c.fail("%s %s is not a light state", at, raw)
		return v2x.LightUnknown
	}
	name := strings.ToLower(strings.ReplaceAll(ch.Name, "_", "-"))
	for i, l := range lightNames {
		if name == strings.ToLower(l) {
			return lightStates[i]
		}
	}
	switch name {
	case "red":
		return v2x.LightRed
	case "green":
		return v2x.LightGreen
	case "yellow", "amber":
		return v2x.LightYellow
	}
	c.fail("%s %q is not a light state (%s, or red, green, yellow)", at, ch.Name, strings.Join(lightNames[:], ", "))
	return v2x.LightUnknown
}

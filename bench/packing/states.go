// Package packing makes representative broadcast states from the
// simulator, for training the Update compression dictionary
// (v2x/wire/statedict.bin) and for measuring the compressions against each
// other by bytes and CPU.
package packing

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// States runs the simulator for warm+dur and returns the fused-state view
// of its ground truth every step after warm: the objects a subscriber of
// the whole intersection would get, with covariances and ages of the
// magnitudes the tracker reports, sorted by id, and twelve signal groups.
func States(cfg sim.Config, warm, dur, step time.Duration) ([]wire.State, error) {
	s, err := sim.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("packing: %w", err)
	}
	for s.Now() < warm {
		s.Step(step)
		s.Due(nil)
	}
	var out []wire.State
	var truth []sim.TruthObject
	for k := 0; s.Now() < warm+dur; k++ {
		s.Step(step)
		s.Due(nil)
		truth = s.Truth(truth[:0])
		st := wire.State{IngestNS: int64(s.Now()), Intersection: 1, Flags: wire.StateKeyframe}
		for _, t := range truth {
			// Plausible fused extras, varying smoothly per object.
			ph := float64(t.ID)*0.7 + float64(k)*0.05
			st.Objects = append(st.Objects, wire.StateObject{
				ID: t.ID, Class: t.Class, Sources: uint8(1 + t.ID%3), Lane: t.Lane, Approach: uint8(1 + t.ID%4),
				Lat: t.Lat, Lon: t.Lon, E: float32(t.E), N: float32(t.N), Speed: t.Speed, Heading: t.Heading,
				Length: t.Length, Width: t.Width, AgeMS: uint32(20 + 15*math.Sin(ph)),
				CovEE: float32(0.05 + 0.02*math.Sin(ph)), CovEN: float32(0.01 * math.Cos(ph)), CovNN: float32(0.05 + 0.02*math.Cos(ph)),
			})
		}
		slices.SortFunc(st.Objects, func(a, b wire.StateObject) int { return int(a.ID) - int(b.ID) })
		for g := uint8(1); g <= 12; g++ {
			st.Signals = append(st.Signals, wire.SignalState{Phase: g, State: 3, Confidence: 90,
				MinEndMS: int32(1000 * (int(g)%5 + 1)), LikelyEndMS: int32(1200 * (int(g)%5 + 1)), MaxEndMS: int32(1500 * (int(g)%5 + 1))})
		}
		out = append(out, st)
	}
	return out, nil
}

// Pack converts s to broadcast precision.
func Pack(s *wire.State, p *wire.PackedState) {
	p.IngestNS, p.Intersection, p.Flags = s.IngestNS, s.Intersection, s.Flags
	p.Objects = p.Objects[:0]
	for i := range s.Objects {
		var o wire.PackedObject
		o.Pack(&s.Objects[i])
		p.Objects = append(p.Objects, o)
	}
	p.Signals = append(p.Signals[:0], s.Signals...)
}

// Bodies returns the raw Update bodies of states: a keyframe every
// keyEvery states and deltas against the previous state between them.
func Bodies(states []wire.State, keyEvery int) (keys, deltas [][]byte) {
	var prev, cur wire.PackedState
	for i := range states {
		Pack(&states[i], &cur)
		if i%keyEvery == 0 {
			keys = append(keys, wire.AppendDelta(nil, nil, &cur))
		} else {
			deltas = append(deltas, wire.AppendDelta(nil, &prev, &cur))
		}
		prev, cur = cur, prev
	}
	return keys, deltas
}

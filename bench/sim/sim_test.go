package sim

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

const tick = 10 * time.Millisecond

// newSim returns a simulator with the default config, changed by mod.
func newSim(t testing.TB, mod func(*Config)) *Sim {
	t.Helper()
	cfg := Config{Seed: 7}
	cfg.SetDefaults()
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// collect steps s by tick for d and returns every output.
func collect(s *Sim, d time.Duration) []Output {
	var all, outs []Output
	for end := s.Now() + d; s.Now() < end; {
		s.Step(tick)
		outs = s.Due(outs[:0])
		all = append(all, outs...)
	}
	return all
}

func TestDeterminism(t *testing.T) {
	steps := []time.Duration{10 * time.Millisecond, 7 * time.Millisecond, 33 * time.Millisecond, 100 * time.Millisecond, time.Millisecond}
	run := func(seed int64) ([]Output, []TruthObject) {
		s := newSim(t, func(c *Config) { c.Seed = seed; c.CameraDropRate = 0.1 })
		var outs []Output
		for i := 0; s.Now() < 8*time.Second; i++ {
			s.Step(steps[i%len(steps)])
			outs = s.Due(outs)
		}
		return outs, s.Truth(nil)
	}
	o1, t1 := run(42)
	o2, t2 := run(42)
	if len(o1) == 0 || len(t1) == 0 {
		t.Fatalf("%d outputs, %d true objects", len(o1), len(t1))
	}
	if !reflect.DeepEqual(o1, o2) {
		t.Error("same seed and steps gave different outputs")
	}
	if !reflect.DeepEqual(t1, t2) {
		t.Error("same seed and steps gave different truth")
	}
	o3, t3 := run(43)
	if reflect.DeepEqual(o1, o3) || reflect.DeepEqual(t1, t3) {
		t.Error("different seeds gave the same scenario")
	}
}

func TestSources(t *testing.T) {
	for _, n := range []int{0, 1, 4, MaxCameras} {
		s := newSim(t, func(c *Config) { c.Cameras = n })
		srcs := s.Sources()
		if len(srcs) != 3+n {
			t.Fatalf("%d cameras: %d sources", n, len(srcs))
		}
		ids := map[uint32]bool{}
		kinds := map[SourceKind]int{}
		for _, src := range srcs {
			if ids[src.ID] {
				t.Errorf("duplicate source id %d", src.ID)
			}
			ids[src.ID] = true
			kinds[src.Kind]++
			if src.Name == "" || src.RateHz <= 0 {
				t.Errorf("source %+v lacks a name or rate", src)
			}
			if src.Kind != SourceCamera && src.ClockOffset != 0 {
				t.Errorf("%s has clock offset %v, want 0", src.Name, src.ClockOffset)
			}
			if src.Kind == SourceCamera && src.ClockOffset.Abs() > DefaultCameraClockOffsetMax {
				t.Errorf("%s clock offset %v beyond ±%v", src.Name, src.ClockOffset, DefaultCameraClockOffsetMax)
			}
		}
		if kinds[SourceCamera] != n || kinds[SourceVehicles] != 1 || kinds[SourceSignal] != 1 || kinds[SourceRoadside] != 1 {
			t.Errorf("%d cameras: source kinds %v", n, kinds)
		}
		if got := len(s.Cameras()); got != n {
			t.Errorf("Cameras() has %d entries, want %d", got, n)
		}
	}
}

// Every output is due when returned, in SendAt order, from a known source,
// and its capture time is the true capture plus the source's clock offset.
func TestOutputTiming(t *testing.T) {
	s := newSim(t, nil)
	srcs := map[uint32]Source{}
	for _, src := range s.Sources() {
		srcs[src.ID] = src
	}
	var outs []Output
	last := time.Duration(-1 << 62)
	lastCapture := map[uint32]time.Duration{}
	counts := map[MsgType]int{}
	for s.Now() < 10*time.Second {
		s.Step(tick)
		outs = s.Due(outs[:0])
		for i := range outs {
			o := &outs[i]
			counts[o.Type]++
			src, ok := srcs[o.Source]
			if !ok {
				t.Fatalf("output from unknown source %d", o.Source)
			}
			if o.SendAt > s.Now() || o.SendAt < last {
				t.Fatalf("output sent at %v returned at %v after one sent at %v", o.SendAt, s.Now(), last)
			}
			last = o.SendAt
			trueCapture := o.Capture - src.ClockOffset
			delay := o.SendAt - trueCapture
			lo, hi := infraDelayLo, infraDelayHi
			switch src.Kind {
			case SourceCamera:
				lo, hi = camDelayLo, camDelayHi
				if o.Type == MsgSensorInfo { // its declared field of view, with a frame once a second
					if o.Sensor.SensorID != src.ID {
						t.Fatalf("camera %d declared sensor %d", src.ID, o.Sensor.SensorID)
					}
					break
				}
				if o.Type != MsgObjectList || o.Objects.SensorID != src.ID {
					t.Fatalf("camera %d sent %v with sensor id %d", src.ID, o.Type, o.Objects.SensorID)
				}
				// frames leave in capture order, one period apart on the camera's clock
				if prev, ok := lastCapture[src.ID]; ok {
					period := time.Duration(float64(time.Second) / src.RateHz)
					if d := o.Capture - prev; (d - period).Abs() > time.Millisecond {
						t.Fatalf("%s: frames %v apart, want %v", src.Name, d, period)
					}
				}
				lastCapture[src.ID] = o.Capture
			case SourceVehicles:
				// the relay forwards in order of arrival, so a BSM may
				// wait behind one captured up to a step later
				lo, hi = bsmDelayLo, bsmDelayHi+maxSubstep
				if o.Type != MsgBSM {
					t.Fatalf("vehicle relay sent %v", o.Type)
				}
			}
			if delay < lo || delay > hi {
				t.Errorf("%s %v: captured at %v (true), sent at %v: delay %v outside %v..%v", src.Name, o.Type, trueCapture, o.SendAt, delay, lo, hi)
			}
			if trueCapture < 0 || trueCapture > s.Now() {
				t.Errorf("%s: true capture %v outside 0..now %v", src.Name, trueCapture, s.Now())
			}
		}
	}
	for _, typ := range []MsgType{MsgBSM, MsgSPAT, MsgMAP, MsgRSI, MsgObjectList, MsgSensorInfo} {
		if counts[typ] == 0 {
			t.Errorf("no %v in 10 s", typ)
		}
	}
	if counts[MsgSPAT] < 98 || counts[MsgSPAT] > 100 || counts[MsgMAP] < 10 || counts[MsgMAP] > 11 || counts[MsgRSI] < 10 || counts[MsgRSI] > 11 {
		t.Errorf("in 10 s: %d SPAT, %d MAP, %d RSI; want 10 Hz, 1 Hz, 1 Hz", counts[MsgSPAT], counts[MsgMAP], counts[MsgRSI])
	}
	if cams := len(s.Cameras()); counts[MsgSensorInfo] < 10*cams || counts[MsgSensorInfo] > 11*cams {
		t.Errorf("in 10 s: %d camera declarations from %d cameras; want 1 Hz each", counts[MsgSensorInfo], cams)
	}
}

func TestFirstMessagesAtTimeZero(t *testing.T) {
	s := newSim(t, nil)
	outs := collect(s, 50*time.Millisecond)
	var sawMap, sawSPAT bool
	for _, o := range outs {
		switch {
		case o.Type == MsgMAP && o.Capture == 0:
			sawMap = true
			if len(o.Map.Lanes) == 0 {
				t.Error("MAP at time 0 has no lanes")
			}
		case o.Type == MsgSPAT && o.Capture == 0:
			sawSPAT = true
			if !sawMap {
				t.Error("SPAT at time 0 left before the MAP")
			}
		}
	}
	if !sawMap || !sawSPAT {
		t.Errorf("no MAP (%v) or SPAT (%v) captured at time 0", sawMap, sawSPAT)
	}
}

// Outputs own their slices: changing one changes no other output and not
// the simulator.
func TestOutputsDoNotAlias(t *testing.T) {
	s := newSim(t, nil)
	outs := collect(s, 3*time.Second)
	seen := map[uintptr]bool{}
	claim := func(p uintptr) {
		if seen[p] {
			t.Fatalf("two outputs share memory")
		}
		seen[p] = true
	}
	var objs int
	for i := range outs {
		o := &outs[i]
		switch o.Type {
		case MsgObjectList:
			if len(o.Objects.Objects) > 0 {
				objs++
				claim(reflect.ValueOf(o.Objects.Objects).Pointer())
			}
		case MsgSPAT:
			claim(reflect.ValueOf(o.SPAT.Phases).Pointer())
		case MsgRSI:
			claim(reflect.ValueOf(o.RSI.Events).Pointer())
		case MsgMAP:
			claim(reflect.ValueOf(o.Map.Lanes).Pointer())
			for _, l := range o.Map.Lanes {
				claim(reflect.ValueOf(l.Nodes).Pointer())
			}
			o.Map.Lanes[0].Nodes[0].E = 1e6 // must not reach the simulator
		}
	}
	if objs == 0 {
		t.Fatal("no camera detections in 3 s")
	}
	if m := s.Map(); m.Lanes[0].Nodes[0].E == 1e6 {
		t.Error("changing an output's MAP changed the simulator's")
	}
}

func TestStepSubdivides(t *testing.T) {
	a := newSim(t, nil)
	b := newSim(t, nil)
	a.Step(time.Second)
	for range 100 {
		b.Step(tick)
	}
	if a.Now() != time.Second || b.Now() != time.Second {
		t.Fatalf("now %v and %v, want 1s", a.Now(), b.Now())
	}
	// Step(1s) runs the same 10 ms substeps as 100 × Step(10ms).
	if !reflect.DeepEqual(a.Due(nil), b.Due(nil)) || !reflect.DeepEqual(a.Truth(nil), b.Truth(nil)) {
		t.Error("one 1 s step differs from 100 steps of 10 ms")
	}
	a.Step(0)
	a.Step(-time.Second)
	if a.Now() != time.Second {
		t.Errorf("non-positive steps moved time to %v", a.Now())
	}
}

func TestTruth(t *testing.T) {
	s := newSim(t, nil)
	mp := s.Map()
	lanes := map[uint8]bool{0: true}
	for _, l := range mp.Lanes {
		lanes[l.ID] = true
	}
	var tr []TruthObject
	classes := map[v2x.Class]int{}
	for range 100 {
		s.Step(100 * time.Millisecond)
		tr = s.Truth(tr[:0])
		ids := map[uint32]bool{}
		for _, o := range tr {
			classes[o.Class]++
			if ids[o.ID] || o.ID == 0 {
				t.Fatalf("id %d twice or zero", o.ID)
			}
			ids[o.ID] = true
			if !lanes[o.Lane] {
				t.Fatalf("object %d on unknown lane %d", o.ID, o.Lane)
			}
			if o.Equipped != (o.VehicleID != 0) {
				t.Fatalf("object %d: equipped %v, vehicle id %d", o.ID, o.Equipped, o.VehicleID)
			}
			if o.Length <= 0 || o.Width <= 0 || o.Height <= 0 || o.Speed < 0 || o.Heading < 0 || o.Heading >= 360 {
				t.Fatalf("implausible object %+v", o)
			}
			if math.Abs(o.Lat-mp.RefLat) > 0.01 || math.Abs(o.Lon-mp.RefLon) > 0.01 {
				t.Fatalf("object %d at %v,%v, far from the intersection", o.ID, o.Lat, o.Lon)
			}
		}
	}
	for _, c := range []v2x.Class{v2x.ClassCar, v2x.ClassPedestrian} {
		if classes[c] == 0 {
			t.Errorf("no %v in 10 s", c)
		}
	}
}

func TestDense(t *testing.T) {
	s := newSim(t, func(c *Config) { c.Dense = true; c.Cameras = 0 })
	for i := range 3 {
		if n := len(s.Truth(nil)); n < 200 {
			t.Errorf("dense scenario at %v: %d true objects, want >= 200", s.Now(), n)
		}
		if i < 2 {
			s.Step(5 * time.Second)
		}
	}
}

func TestStats(t *testing.T) {
	s := newSim(t, func(c *Config) { c.CameraDropRate = 0.5 })
	collect(s, 5*time.Second)
	st := s.Stats()
	if st.VehiclesEntered == 0 || st.PedestriansArrived == 0 || st.FramesCaptured == 0 {
		t.Errorf("stats %+v", st)
	}
	if r := float64(st.FramesDropped) / float64(st.FramesCaptured); math.Abs(r-0.5) > 0.1 {
		t.Errorf("%d of %d frames dropped at drop rate 0.5", st.FramesDropped, st.FramesCaptured)
	}
}

func BenchmarkStep(b *testing.B) {
	for _, dense := range []bool{false, true} {
		name := "default"
		if dense {
			name = "dense"
		}
		b.Run(name, func(b *testing.B) {
			s := newSim(b, func(c *Config) { c.Dense = dense })
			var outs []Output
			b.ReportAllocs()
			for b.Loop() {
				s.Step(tick)
				outs = s.Due(outs[:0])
			}
		})
	}
}

// With NoSensorInfo the cameras declare nothing, and everything else is
// the same.
func TestNoSensorInfo(t *testing.T) {
	with := collect(newSim(t, nil), 3*time.Second)
	without := collect(newSim(t, func(c *Config) { c.NoSensorInfo = true }), 3*time.Second)
	k := 0
	for _, o := range with {
		if o.Type == MsgSensorInfo {
			continue
		}
		if k >= len(without) || without[k].Type != o.Type || without[k].SendAt != o.SendAt || without[k].Source != o.Source {
			t.Fatalf("output %d differs without declarations", k)
		}
		k++
	}
	if k != len(without) {
		t.Fatalf("%d outputs besides the declarations, %d without them", k, len(without))
	}
	if k == len(with) {
		t.Fatal("no declarations by default")
	}
}

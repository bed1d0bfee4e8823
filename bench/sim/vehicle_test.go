package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// No vehicle's front crosses the stop line of its lane while its signal
// group has been red for more than a second; vehicles queue at red lights
// and keep their distance.
func TestVehiclesStopOnRed(t *testing.T) {
	s := newSim(t, func(c *Config) { c.Cameras, c.EquippedShare, c.VehiclesPerMin = 0, 0, 10 })
	var crossings, onGreen, onYellow, queued int
	minGap := math.Inf(1)
	for s.Now() < 3*s.plan.Cycle {
		s.Step(tick)
		for _, v := range s.traffic.vehicles {
			st, start, _ := s.plan.State(v.mv.group, s.Now())
			if v.prevS < v.mv.inEnd && v.s >= v.mv.inEnd {
				crossings++
				switch st {
				case v2x.LightGreen:
					onGreen++
				case v2x.LightYellow:
					onYellow++
				default:
					if red := s.Now() - start; red > time.Second {
						t.Errorf("vehicle %d crossed its stop line %v into red", v.id, red)
					}
				}
			}
			if st == v2x.LightRed && v.sec == 0 && v.v == 0 && v.mv.inEnd-v.s < 2 {
				queued++
			}
		}
		for _, q := range s.traffic.sections {
			for i := 1; i < len(q); i++ {
				minGap = math.Min(minGap, q[i-1].local()-q[i-1].length-q[i].local())
			}
		}
	}
	if onGreen < 20 || queued == 0 {
		t.Errorf("%d crossings (%d on green, %d on yellow); %d vehicle-steps waiting at a red stop line", crossings, onGreen, onYellow, queued)
	}
	if minGap < 0 {
		t.Errorf("vehicles overlapped by %.2f m", -minGap)
	}
	t.Logf("%d crossings: %d on green, %d on yellow; smallest gap %.2f m", crossings, onGreen, onYellow, minGap)
}

// Positions, speeds and headings are consistent with motion: between two
// steps a vehicle moves by its speed along its heading.
func TestVehicleKinematics(t *testing.T) {
	s := newSim(t, func(c *Config) { c.Cameras, c.EquippedShare = 0, 0 })
	prev := map[uint32]TruthObject{}
	var tr []TruthObject
	checked := 0
	for s.Now() < 60*time.Second {
		s.Step(tick)
		tr = s.Truth(tr[:0])
		for _, o := range tr {
			p, ok := prev[o.ID]
			prev[o.ID] = o
			if !ok || !o.Class.Vehicle() {
				continue
			}
			if p.Class != o.Class || p.Length != o.Length || p.VehicleID != o.VehicleID {
				t.Fatalf("object %d changed identity", o.ID)
			}
			de, dn := o.E-p.E, o.N-p.N
			d := math.Hypot(de, dn)
			want := float64(o.Speed+p.Speed) / 2 * tick.Seconds()
			if math.Abs(d-want) > 0.005+0.02*want {
				t.Fatalf("vehicle %d moved %.4f m in %v at %.2f..%.2f m/s", o.ID, d, tick, p.Speed, o.Speed)
			}
			if math.Abs(float64(o.Speed-p.Speed)) > maxBrake*tick.Seconds()+1e-3 {
				t.Fatalf("vehicle %d changed speed %.2f -> %.2f in one step", o.ID, p.Speed, o.Speed)
			}
			if d > 0.05 {
				checked++
				dir := compass(math.Atan2(dn, de))
				if diff := math.Abs(wrapDeg(dir-float64(o.Heading)+180) - 180); diff > 1 {
					t.Fatalf("vehicle %d moved towards %.1f°, heading %.1f°", o.ID, dir, o.Heading)
				}
			}
		}
	}
	t.Logf("%d moving vehicle-steps", checked)
	if checked < 1000 {
		t.Errorf("only %d moving vehicle steps", checked)
	}
}

// Objects stay on their lanes' centre lines, inside the box between lanes,
// and pedestrians on their crosswalks.
func TestObjectsNearLaneCentres(t *testing.T) {
	s := newSim(t, func(c *Config) { c.Cameras, c.EquippedShare = 0, 0 })
	lanes := map[uint8]v2x.Lane{}
	for _, l := range s.Map().Lanes {
		lanes[l.ID] = l
	}
	var tr []TruthObject
	counts := map[string]int{}
	for s.Now() < 60*time.Second {
		s.Step(100 * time.Millisecond)
		tr = s.Truth(tr[:0])
		for _, o := range tr {
			switch {
			case o.Class == v2x.ClassPedestrian:
				counts["pedestrian"]++
				l, ok := lanes[o.Lane]
				if !ok || l.Kind != v2x.LaneCrosswalk {
					t.Fatalf("pedestrian %d on lane %d", o.ID, o.Lane)
				}
				c := s.lay.crosswalks[l.Approach-1]
				along, off := c.coords(o.E, o.N)
				if math.Abs(off) > crosswalkWidth/2 || math.Abs(along) > crosswalkHalfSpan+pedWaitHi+0.01 {
					t.Fatalf("pedestrian %d at %.1f across, %.1f off crosswalk %d", o.ID, along, off, o.Lane)
				}
			case o.Lane == 0:
				counts["box"]++
				if math.Abs(o.E) > stopLine || math.Abs(o.N) > stopLine {
					t.Fatalf("vehicle %d in the box at %.1f,%.1f", o.ID, o.E, o.N)
				}
			default:
				counts["lane"]++
				l, ok := lanes[o.Lane]
				if !ok || l.Kind != v2x.LaneVehicle {
					t.Fatalf("vehicle %d on lane %d", o.ID, o.Lane)
				}
				if d := distToPolyline(o.E, o.N, l.Nodes); d > 0.01 {
					t.Fatalf("vehicle %d is %.3f m off the centre line of lane %d", o.ID, d, o.Lane)
				}
			}
		}
	}
	t.Logf("object-steps %v", counts)
	if counts["pedestrian"] == 0 || counts["box"] == 0 || counts["lane"] == 0 {
		t.Errorf("object-steps %v", counts)
	}
}

// Vehicles slow down in the road works the RSI reports, and for turns.
func TestSpeedLimits(t *testing.T) {
	s := newSim(t, func(c *Config) { c.Cameras, c.EquippedShare, c.VehiclesPerMin = 0, 0, 12 })
	var inZone, turning int
	maxSpeed := 0.0
	for s.Now() < 120*time.Second {
		s.Step(tick)
		for _, v := range s.traffic.vehicles {
			maxSpeed = math.Max(maxSpeed, v.v)
			if v.sec == 1 && v.mv.turnSpeed < speedLimit {
				turning++
				if v.v > v.mv.turnSpeed*1.3 {
					t.Fatalf("vehicle %d turns at %.1f m/s, limit %.1f", v.id, v.v, v.mv.turnSpeed)
				}
			}
			if v.mv.outLane != laneID(roadWorks.leg, laneEgressInner+roadWorks.k) || v.sec != 2 {
				continue
			}
			if d := v.local(); d > roadWorks.from+10 && d < roadWorks.to {
				inZone++
				if v.v > roadWorks.vmax+0.3 {
					t.Fatalf("vehicle %d at %.1f m/s in the road works (limit %.1f)", v.id, v.v, roadWorks.vmax)
				}
			}
		}
	}
	t.Logf("%d vehicle-steps in the road works, %d turning; top speed %.1f m/s", inZone, turning, maxSpeed)
	if inZone == 0 || turning == 0 {
		t.Errorf("%d vehicle-steps in the road works, %d turning", inZone, turning)
	}
	if maxSpeed > speedLimit*1.2 {
		t.Errorf("top speed %.1f m/s, limit %.1f", maxSpeed, speedLimit)
	}
}

// A standing queue of cars discharges at a plausible saturation flow once
// the light turns green.
func TestQueueDischarge(t *testing.T) {
	lay := newLayout(legLength)
	plan := DefaultPlan()
	var id uint32
	tr := newTraffic(lay, &plan, rand.New(rand.NewPCG(1, 2)), 0, 0, 1, 0, &id)
	tr.blocked = func(int, float64, float64, float64) bool { return false }
	mv := &lay.moves[moveStraight]
	front := mv.inEnd - stopBack
	for range 12 {
		v := &vehicle{class: v2x.ClassCar, mv: mv, length: 4.6, width: 1.8, height: 1.5, v0: speedLimit,
			aMax: 2.2, bComf: 2.5, T: 1.05, minGap: 1.5, s: front, hold: math.Inf(1)}
		id++
		v.id = id
		front -= v.length + v.minGap + 0.3
		tr.vehicles = append(tr.vehicles, v)
		tr.sections[mv.sections[0]] = append(tr.sections[mv.sections[0]], v)
	}
	var times []time.Duration
	for now := tick; now < plan.Groups[0].Green; now += tick {
		tr.step(now, tick.Seconds())
		for _, v := range tr.vehicles {
			if v.prevS < mv.inEnd && v.s >= mv.inEnd {
				times = append(times, now)
			}
		}
	}
	if len(times) < 10 || times[0] > 1500*time.Millisecond {
		t.Fatalf("crossings at %v", times)
	}
	h := (times[len(times)-1] - times[2]) / time.Duration(len(times)-3)
	if h < 1500*time.Millisecond || h > 2500*time.Millisecond {
		t.Errorf("saturation headway %v, want about 2 s (crossings %v)", h, times)
	}
	t.Logf("%d cars in %v of green, saturation headway %v", len(times), plan.Groups[0].Green, h)
}

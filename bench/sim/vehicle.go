package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// Vehicle behaviour. Vehicles follow the Intelligent Driver Model in its
// IDM+ form: the acceleration is the smaller of the free-road term and the
// interaction term of the nearest obstacle ahead (the vehicle ahead, a stop
// line on red or yellow, the edge of a crosswalk with pedestrians on it).
const (
	maxBrake      = 8.0 // m/s², the hardest a vehicle brakes
	yellowDecel   = 3.0 // m/s², drivers stop on yellow when this suffices
	yieldDecel    = 4.0 // m/s², drivers yield to pedestrians when this suffices
	planDecel     = 1.5 // m/s², how drivers slow down for a lower limit ahead
	freeTau       = 0.6 // s, time constant of slowing to a lower limit
	stopBack      = 1.0 // m, vehicles stop this far before a stop line or crosswalk
	holdSlack     = 0.5 // m, beyond its stopping point a stopping vehicle is held
	departedClear = 8.0 // m past the stop line the rear of a turning vehicle stops blocking its lane
	entryClear    = 6.0 // m free at the start of a lane for a new vehicle to enter
	lookAhead     = 250 // m, the farthest a driver looks for a vehicle ahead
	maxPending    = 8   // arrivals waiting to enter one lane; more are dropped
	pedMargin     = 0.5 // m, pedestrians this close to a vehicle's body crossing a crosswalk make it yield
	pedTimeMargin = 1.5 // s, drivers cross in front of pedestrians only with this much time to spare
	bsmPeriod     = 100 * time.Millisecond
)

// Shares of the movements of arriving vehicles.
const (
	shareLeft     = 0.25
	shareStraight = 0.65
)

// classParams are the sizes and driving parameters of a vehicle class,
// each drawn uniformly between lo and hi.
type classParams struct {
	class                 v2x.Class
	share                 float64
	lenLo, lenHi          float64
	widLo, widHi          float64
	hgtLo, hgtHi          float64
	v0Lo, v0Hi            float64 // desired speed as a factor of the speed limit
	aMax, bComf, tLo, tHi float64 // IDM acceleration, deceleration, headway range
	minGap                float64
}

var vehicleClasses = [...]classParams{
	{v2x.ClassCar, 0.84, 4.2, 5.0, 1.70, 1.90, 1.40, 1.70, 0.90, 1.10, 2.2, 2.5, 0.8, 1.3, 1.5},
	{v2x.ClassTruck, 0.05, 7.0, 10.0, 2.40, 2.55, 3.0, 3.6, 0.80, 0.95, 1.2, 2.0, 1.3, 1.8, 2.5},
	{v2x.ClassBus, 0.03, 11.5, 12.5, 2.50, 2.55, 3.1, 3.3, 0.80, 0.90, 1.1, 2.0, 1.3, 1.8, 2.5},
	{v2x.ClassMotorcycle, 0.08, 1.9, 2.2, 0.70, 0.90, 1.3, 1.5, 0.95, 1.15, 2.5, 3.0, 0.8, 1.2, 1.5},
}

// vehicle is one simulated vehicle. Its position s is that of its front
// along the path of its movement.
type vehicle struct {
	id                    uint32
	vid                   uint64 // BSM temporary id, 0 when not equipped
	class                 v2x.Class
	length, width, height float64
	mv                    *movement
	sec                   int // section of the movement it is in: 0 ingress, 1 connector, 2 egress
	s, v, a               float64
	prevS                 float64
	acc                   float64 // acceleration chosen for the current step
	hold                  float64 // a stopping vehicle's front may not pass this; +Inf when not stopping
	v0, aMax, bComf, T    float64
	minGap                float64
	gone                  bool
	bsm                   *bsmState // nil when not equipped
	// handed is set on a vehicle that came from a neighbouring
	// intersection of a corridor: it keeps its id, speed and BSM phase.
	handed bool
}

// outLeg returns the leg the vehicle's movement leaves by.
func (v *vehicle) outLeg() int { return int(v.mv.outLane)/10 - 1 }

// local returns the vehicle's position within its current section.
func (v *vehicle) local() float64 { return v.s - v.mv.secStart[v.sec] }

// idm returns the interaction term for an obstacle gap metres ahead moving
// at speed lv.
func (v *vehicle) idm(gap, lv float64) float64 {
	ss := v.minGap + math.Max(0, v.v*v.T+v.v*(v.v-lv)/(2*math.Sqrt(v.aMax*v.bComf)))
	gap = math.Max(gap, 0.01)
	return v.aMax * (1 - (ss/gap)*(ss/gap))
}

// timeToCover returns how long v needs to cover d metres accelerating
// freely up to vmax.
func (v *vehicle) timeToCover(d, vmax float64) float64 {
	v0, a := v.v, v.aMax
	if v0 >= vmax {
		return d / v0
	}
	dAcc := (vmax*vmax - v0*v0) / (2 * a)
	if d <= dAcc {
		return (math.Sqrt(v0*v0+2*a*d) - v0) / a
	}
	return (vmax-v0)/a + (d-dAcc)/vmax
}

// free returns the free-road term for desired speed vf (IDM with exponent
// 4 below it; a first-order approach from above).
func (v *vehicle) free(vf float64) float64 {
	if v.v <= vf {
		r := v.v / vf
		return v.aMax * (1 - r*r*r*r)
	}
	return math.Max(-maxBrake, (vf-v.v)/freeTau)
}

// traffic is the vehicle population.
type traffic struct {
	lay         *layout
	plan        *Plan
	r           *rand.Rand
	ratePerSec  float64 // arrivals per second per approach
	equipShare  float64
	gnssSigma   float64
	vehicles    []*vehicle
	sections    [numSections][]*vehicle
	departed    [numIngress]*vehicle // the last vehicle whose front left each ingress lane
	nextArrival [4]time.Duration
	pending     [numIngress][]*vehicle // arrivals waiting to enter each ingress lane
	nextID      *uint32
	// blocked reports whether walking pedestrians are within [lo, hi]
	// across crosswalk cw or will be within horizon seconds.
	blocked func(cw int, lo, hi, horizon float64) bool

	spawned, left, dropped int

	// Corridor links (corridor.go): legs without arrivals of their own
	// (their traffic comes from the neighbour), and per leg the distance
	// from the centre at which a vehicle's rear leaving by it passes to
	// the neighbour (0: never), collected in exits.
	closed    [4]bool
	exitAt    [4]float64
	exits     []*vehicle
	handedOut int
}

func newTraffic(lay *layout, plan *Plan, r *rand.Rand, perMin, equipShare, gnssSigma float64, start time.Duration, nextID *uint32) *traffic {
	tr := &traffic{lay: lay, plan: plan, r: r, ratePerSec: perMin / 60, equipShare: equipShare, gnssSigma: gnssSigma, nextID: nextID}
	for i := range tr.nextArrival {
		tr.nextArrival[i] = start + tr.interArrival()
	}
	return tr
}

func (tr *traffic) interArrival() time.Duration {
	if tr.ratePerSec <= 0 {
		return 1 << 62
	}
	return time.Duration(tr.r.ExpFloat64() / tr.ratePerSec * float64(time.Second))
}

// step advances the vehicles from t-h to t.
func (tr *traffic) step(t time.Duration, h float64) {
	tr.arrive(t)
	tr.spawn(t)
	for sec := range tr.sections {
		q := tr.sections[sec]
		for i, v := range q {
			v.acc = tr.accel(v, q, i, t)
		}
	}
	for _, v := range tr.vehicles {
		v.prevS = v.s
		a := v.acc
		nv := v.v + a*h
		ds := (v.v + nv) / 2 * h
		if nv < 0 {
			ds, nv = v.v*v.v/(-2*a), 0
		}
		v.a = (nv - v.v) / h
		v.v = nv
		v.s += ds
		if v.prevS <= v.hold && v.s > v.hold {
			v.s, v.v = v.hold, 0
		}
	}
	// Keep vehicles in a section from overlapping (a safety net: IDM keeps
	// its gaps on its own).
	for sec := range tr.sections {
		q := tr.sections[sec]
		for i := 1; i < len(q); i++ {
			l, v := q[i-1], q[i]
			limit := l.local() - l.length - 0.1 + v.mv.secStart[v.sec]
			if v.s > limit {
				v.s = math.Max(v.prevS, limit)
				v.v = math.Min(v.v, l.v)
			}
		}
	}
	tr.advanceSections()
}

// arrive draws the arrivals up to t and queues them at their lanes.
func (tr *traffic) arrive(t time.Duration) {
	for leg := range tr.nextArrival {
		for tr.nextArrival[leg] <= t && tr.closed[leg] {
			tr.nextArrival[leg] = 1 << 62
		}
		for tr.nextArrival[leg] <= t {
			tr.nextArrival[leg] += tr.interArrival()
			mv := tr.drawMove(leg)
			v := tr.newVehicle(mv)
			lane := mv.sections[0]
			if len(tr.pending[lane]) >= maxPending {
				tr.dropped++
				continue
			}
			tr.pending[lane] = append(tr.pending[lane], v)
		}
	}
}

// spawn lets at most one waiting arrival per lane enter, entirely on the
// lane (its rear at the far end), when there is room for it.
func (tr *traffic) spawn(t time.Duration) {
	for lane := range tr.pending {
		if len(tr.pending[lane]) == 0 {
			continue
		}
		v := tr.pending[lane][0]
		v.s = v.length
		q := tr.sections[lane]
		var back *vehicle
		gap := math.Inf(1)
		if len(q) > 0 {
			back = q[len(q)-1]
			gap = back.s - back.length - v.s
		}
		if gap < entryClear {
			continue
		}
		copy(tr.pending[lane], tr.pending[lane][1:])
		tr.pending[lane][len(tr.pending[lane])-1] = nil
		tr.pending[lane] = tr.pending[lane][:len(tr.pending[lane])-1]
		speed := v.v0
		if v.handed {
			speed = v.v
		} else {
			*tr.nextID++
			v.id = *tr.nextID
		}
		v.v = speed
		if back != nil {
			eq := math.Max(0, (gap-v.minGap)/v.T) // equilibrium speed for the gap
			v.v = math.Min(speed, math.Max(eq, back.v))
		}
		if v.bsm != nil {
			v.bsm.start(t)
		}
		tr.vehicles = append(tr.vehicles, v)
		tr.sections[lane] = append(tr.sections[lane], v)
		tr.spawned++
	}
}

// drawMove draws the movement (left, straight or right) of a vehicle
// entering at leg, by the turning shares.
func (tr *traffic) drawMove(leg int) *movement {
	m := moveRight
	switch u := tr.r.Float64(); {
	case u < shareLeft:
		m = moveLeft
	case u < shareLeft+shareStraight:
		m = moveStraight
	}
	return &tr.lay.moves[leg*3+m]
}

// handIn queues a vehicle coming from a neighbouring intersection at leg's
// ingress lane of a movement drawn as for arrivals. It keeps its id, size,
// driver, speed and BSM sender; it enters when its lane has room.
func (tr *traffic) handIn(v *vehicle, leg int) {
	mv := tr.drawMove(leg)
	*v = vehicle{id: v.id, vid: v.vid, class: v.class, length: v.length, width: v.width, height: v.height,
		mv: mv, v: v.v, hold: math.Inf(1), v0: v.v0, aMax: v.aMax, bComf: v.bComf, T: v.T, minGap: v.minGap,
		bsm: v.bsm, handed: true}
	lane := mv.sections[0]
	tr.pending[lane] = append(tr.pending[lane], v) // never dropped: it is already on the road
}

// newVehicle draws an arriving vehicle; it gets its id when it enters.
func (tr *traffic) newVehicle(mv *movement) *vehicle {
	r := tr.r
	u := r.Float64()
	cp := &vehicleClasses[0]
	for i := range vehicleClasses {
		cp = &vehicleClasses[i]
		if u < cp.share {
			break
		}
		u -= cp.share
	}
	uni := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	v := &vehicle{
		class: cp.class, mv: mv, hold: math.Inf(1),
		length: uni(cp.lenLo, cp.lenHi), width: uni(cp.widLo, cp.widHi), height: uni(cp.hgtLo, cp.hgtHi),
		v0: speedLimit * uni(cp.v0Lo, cp.v0Hi), aMax: cp.aMax * uni(0.85, 1.15), bComf: cp.bComf,
		T: uni(cp.tLo, cp.tHi), minGap: cp.minGap,
	}
	if r.Float64() < tr.equipShare {
		for v.vid == 0 {
			v.vid = r.Uint64()
		}
		v.bsm = newBSMState(r, tr.gnssSigma)
	}
	return v
}

// accel returns the acceleration of v, the i-th vehicle in its section q,
// and sets v.hold.
func (tr *traffic) accel(v *vehicle, q []*vehicle, i int, t time.Duration) float64 {
	mv := v.mv
	v.hold = math.Inf(1)
	vf := v.v0
	for _, lim := range mv.limits {
		switch {
		case v.s < lim.from:
			vf = math.Min(vf, math.Sqrt(lim.vmax*lim.vmax+2*planDecel*(lim.from-v.s)))
		case v.s <= lim.to:
			vf = math.Min(vf, lim.vmax)
		}
	}
	acc := v.free(vf)
	if gap, lv, ok := tr.leader(v, q, i); ok {
		acc = math.Min(acc, v.idm(gap, lv))
	}
	if v.sec == 0 && tr.mustStop(v, t) {
		stop := mv.inEnd - stopBack
		acc = math.Min(acc, v.idm(stop-v.s+v.minGap, 0))
		v.hold = math.Min(v.hold, stop+holdSlack)
	}
	for _, c := range mv.conflicts {
		stop := c.s - stopBack
		if v.s > stop+holdSlack || stop-v.s > lookAhead/4 {
			continue
		}
		clearIn := v.timeToCover(c.exit-v.s+v.length, math.Min(v.v0, mv.turnSpeed)) + pedTimeMargin
		if !tr.blocked(c.cw, c.lo-pedMargin, c.hi+pedMargin, clearIn) {
			continue
		}
		if v.v*v.v/(2*yieldDecel) <= stop-v.s+holdSlack {
			acc = math.Min(acc, v.idm(stop-v.s+v.minGap, 0))
			v.hold = math.Min(v.hold, stop+holdSlack)
		}
	}
	return math.Max(-maxBrake, math.Min(acc, v.aMax))
}

// mustStop reports whether v stops for its signal: always on red when it
// still can, on yellow when it can do so comfortably.
func (tr *traffic) mustStop(v *vehicle, t time.Duration) bool {
	st, _, _ := tr.plan.State(v.mv.group, t)
	d := v.mv.inEnd - stopBack - v.s // to the stopping point
	switch st {
	case v2x.LightGreen, v2x.LightGreenPermissive:
		return false
	case v2x.LightYellow:
		return v.v*v.v/(2*yellowDecel) <= d+holdSlack
	default:
		return v.v*v.v/(2*maxBrake) <= d+stopBack
	}
}

// leader returns the gap to the nearest vehicle ahead of v on its path and
// that vehicle's speed.
func (tr *traffic) leader(v *vehicle, q []*vehicle, i int) (gap, speed float64, ok bool) {
	if i > 0 {
		l := q[i-1]
		return l.local() - l.length - v.local(), l.v, true
	}
	mv := v.mv
	gap = math.Inf(1)
	if v.sec == 0 {
		// A vehicle that has just turned off this lane onto another
		// connector still blocks it until its rear is clear.
		if l := tr.departed[mv.sections[0]]; l != nil && !l.gone && l.s-l.length < mv.inEnd+departedClear {
			gap, speed, ok = l.s-l.length-v.s, l.v, true
		}
	}
	for sec := v.sec + 1; sec < 3; sec++ {
		if mv.secStart[sec]-v.s > lookAhead {
			break
		}
		nq := tr.sections[mv.sections[sec]]
		if len(nq) == 0 {
			continue
		}
		l := nq[len(nq)-1]
		if g := mv.secStart[sec] + l.local() - l.length - v.s; g < gap {
			gap, speed, ok = g, l.v, true
		}
		break
	}
	return gap, speed, ok
}

// advanceSections moves vehicles whose front passed the end of their
// section into the next one and removes those at the end of their path.
func (tr *traffic) advanceSections() {
	n := 0
	for _, v := range tr.vehicles {
		for v.sec < 2 && v.s >= v.mv.secStart[v.sec+1] {
			from := v.mv.sections[v.sec]
			tr.unqueue(from, v)
			if v.sec == 0 {
				tr.departed[from] = v
			}
			v.sec++
			tr.enqueue(v.mv.sections[v.sec], v)
		}
		if leg := v.outLeg(); v.sec == 2 && tr.exitAt[leg] > 0 && stopLine+v.s-v.mv.connEnd-v.length >= tr.exitAt[leg] {
			tr.unqueue(v.mv.sections[v.sec], v)
			v.gone = true
			tr.handedOut++
			tr.exits = append(tr.exits, v)
			continue
		}
		if v.s >= v.mv.path.total {
			tr.unqueue(v.mv.sections[v.sec], v)
			v.gone = true
			tr.left++
			continue
		}
		tr.vehicles[n] = v
		n++
	}
	clear(tr.vehicles[n:])
	tr.vehicles = tr.vehicles[:n]
	for i, d := range tr.departed {
		if d != nil && d.gone {
			tr.departed[i] = nil
		}
	}
}

func (tr *traffic) unqueue(sec int, v *vehicle) {
	q := tr.sections[sec]
	for i, w := range q {
		if w == v {
			copy(q[i:], q[i+1:])
			q[len(q)-1] = nil
			tr.sections[sec] = q[:len(q)-1]
			return
		}
	}
}

// enqueue inserts v into a section, keeping it ordered front to back.
func (tr *traffic) enqueue(sec int, v *vehicle) {
	q := append(tr.sections[sec], v)
	for i := len(q) - 1; i > 0 && q[i-1].local() < v.local(); i-- {
		q[i-1], q[i] = q[i], q[i-1]
	}
	tr.sections[sec] = q
}

// state returns the true state of v at the current time.
func (v *vehicle) state(o *objState) {
	mv := v.mv
	sc := v.s - v.length/2
	e, n, th, k := mv.path.at(sc)
	sin, cos := math.Sincos(th)
	lane := uint8(0)
	switch {
	case sc < mv.inEnd:
		lane = mv.inLane
	case sc >= mv.connEnd:
		lane = mv.outLane
	}
	*o = objState{
		id: v.id, class: v.class, e: e, n: n, ve: v.v * cos, vn: v.v * sin, speed: v.v,
		heading: compass(th), yawRate: -k * v.v * 180 / math.Pi, accel: v.a, accLat: k * v.v * v.v,
		length: v.length, width: v.width, height: v.height, vid: v.vid, equipped: v.bsm != nil, lane: lane, veh: v,
	}
}

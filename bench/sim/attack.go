package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// AttackKind is a misbehaviour an Attacker injects.
type AttackKind uint8

// Attack kinds (see Attacker).
const (
	AttackNone        AttackKind = iota
	AttackGhost                  // a vehicle that does not exist, BSMs only, stopped on a lane inside camera coverage
	AttackTeleport               // a real vehicle's BSMs with its position offset by 50-500 m
	AttackConstPos               // a real vehicle's BSMs keeping one position while claiming speed
	AttackRandomSpeed            // a real vehicle's BSMs with random speeds
	AttackSybil                  // a real vehicle's BSMs also sent as three temporary ids, slightly offset
	AttackReplay                 // a real vehicle's old BSMs re-sent with their old capture times and counts
	AttackFakeGreen              // SPATs turning a red signal group green
	AttackMapSwap                // MAPs of the same intersection id with shifted lane geometry
	numAttacks
)

var attackNames = [numAttacks]string{"", "ghost", "teleport", "const-pos", "random-speed", "sybil", "replay", "fake-green", "map-swap"}

func (k AttackKind) String() string {
	if k < numAttacks {
		return attackNames[k]
	}
	return fmt.Sprintf("attack(%d)", uint8(k))
}

// AttackKinds lists every attack kind but AttackNone.
func AttackKinds() []AttackKind {
	ks := make([]AttackKind, 0, numAttacks-1)
	for k := AttackGhost; k < numAttacks; k++ {
		ks = append(ks, k)
	}
	return ks
}

// ParseAttack returns the attack kind named s ("" is AttackNone).
func ParseAttack(s string) (AttackKind, error) {
	for k, n := range attackNames {
		if n == s {
			return AttackKind(k), nil
		}
	}
	return AttackNone, fmt.Errorf("unknown attack %q: want one of %s", s, strings.Join(attackNames[1:], ", "))
}

// AttackSourceID is the source id of every forged message: the attacker
// is a producer of its own.
const AttackSourceID uint32 = 90

// Attack parameters.
const (
	DefaultAttackStart = 3 * time.Second // the honest picture is established by then
	streamAttack       = 50              // the attacker's random stream (see the stream constants in sim.go)
	attackPeriod       = 100 * time.Millisecond
	attackMapPeriod    = time.Second
	attackDelay        = 10 * time.Millisecond // capture to send
	ghostClearance     = 10.0                  // m from every real object where a ghost is placed
	ghostNear          = 6.0                   // m: a real object this close makes the ghost move elsewhere
	teleportMin        = 50.0                  // m
	teleportMax        = 500.0
	constPosMinSpeed   = 5.0  // m/s claimed by a const-pos vehicle, at least
	randomSpeedMax     = 60.0 // m/s
	sybilClones        = 3
	sybilOffMin        = 1.5 // m
	sybilOffMax        = 3.0
	replayDelay        = 3 * time.Second // an old BSM is re-sent this long after it was first sent
	mapShiftMin        = 20.0            // m
	mapShiftMax        = 100.0
	victimMinSpeed     = 3.0 // m/s: teleport, const-pos and replay pick a moving vehicle
	forgedAccuracy     = 1.0 // m, one sigma: forged BSMs claim a good fix
)

// ForgedObject is the ground truth of one object an attack makes up: where
// the forged messages claim it is at the current time.
type ForgedObject struct {
	LocalID uint64  // the BSM temporary id it is sent under
	E, N    float64 // metres from the MAP reference point
	// Of is the true object the forgery imitates or displaces (0 for a
	// ghost); OwnID says that LocalID is the attacker's own, used by no
	// real vehicle (ghost, sybil clones).
	Of    uint32
	OwnID bool
	// Speed is the speed its BSMs claim (m/s); NaN when they claim any
	// (random-speed). A track built from the forged BSMs moves at it.
	Speed float64
}

// AttackConfig configures an Attacker.
type AttackConfig struct {
	Kind  AttackKind
	Seed  int64         // the scenario's seed
	Start time.Duration // simulator time of the first forged message; DefaultAttackStart if 0
}

// Attacker forges messages about the scene of a Sim, from its ground
// truth and on its clock, into a queue of its own: it never touches the
// simulator's random streams or queue, so the honest messages of a seed
// are the same with or without it. Call Observe with every honest output
// (replay records BSMs), Step after every Sim.Step, then Due for what to
// send. Deterministic for a seed and a sequence of steps. Not safe for
// concurrent use.
type Attacker struct {
	cfg   AttackConfig
	rng   *rand.Rand
	frame geo.Frame
	cams  []Camera
	plan  Plan
	lanes []v2x.Lane // vehicle lanes of the MAP
	mp    v2x.Map
	queue outQueue

	now     time.Duration
	next    time.Duration // next forged message (capture time)
	started bool
	first   time.Duration // capture time of the first forged message
	truth   []TruthObject
	forged  []ForgedObject

	// victim (all kinds on a real vehicle)
	victim    uint32
	victimVID uint64
	counts    map[uint64]uint8 // MsgCount of the next message by temporary id

	ghostID        uint64
	ghostE, ghostN float64
	ghostHeading   float64
	offE, offN     float64 // teleport
	clones         [sybilClones]struct {
		id            uint64
		along, across float64
	}
	frozenE, frozenN float64  // const-pos
	recorded         []Output // replay: honest BSMs not yet re-sent, in order
	lastReplay       v2x.BSM  // replay: the newest re-sent BSM
	hasReplay        bool
	lastReplayAt     time.Duration
	shiftE, shiftN   float64 // map-swap
}

// NewAttacker returns an attacker on the scene of s.
func NewAttacker(s *Sim, cfg AttackConfig) (*Attacker, error) {
	if cfg.Kind == AttackNone || cfg.Kind >= numAttacks {
		return nil, fmt.Errorf("attack: kind %v: want one of %s", cfg.Kind, strings.Join(attackNames[1:], ", "))
	}
	if cfg.Start == 0 {
		cfg.Start = DefaultAttackStart
	}
	if cfg.Start < 0 {
		return nil, fmt.Errorf("attack: start %v is negative", cfg.Start)
	}
	a := &Attacker{cfg: cfg, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), streamAttack)), frame: s.frame,
		cams: s.Cameras(), plan: s.Plan(), mp: s.Map(), next: cfg.Start, counts: map[uint64]uint8{}}
	for _, ln := range a.mp.Lanes {
		if ln.Kind == v2x.LaneVehicle && len(ln.Nodes) >= 2 {
			a.lanes = append(a.lanes, ln)
		}
	}
	if cfg.Kind == AttackMapSwap {
		d := mapShiftMin + (mapShiftMax-mapShiftMin)*a.rng.Float64()
		b := 2 * math.Pi * a.rng.Float64()
		a.shiftE, a.shiftN = d*math.Sin(b), d*math.Cos(b)
	}
	return a, nil
}

// Kind returns the attack kind.
func (a *Attacker) Kind() AttackKind { return a.cfg.Kind }

// Started reports whether a forged message has been queued; First returns
// the simulator capture time of the first one.
func (a *Attacker) Started() bool        { return a.started }
func (a *Attacker) First() time.Duration { return a.first }

// Observe records an honest output (call it with every output the
// simulator emits, in order): replay re-sends BSMs from it.
func (a *Attacker) Observe(o *Output) {
	if a.cfg.Kind != AttackReplay || o.Type != MsgBSM {
		return
	}
	if a.victim != 0 && o.BSM.VehicleID != a.victimVID {
		return
	}
	a.recorded = append(a.recorded, *o)
}

// Due appends to dst and removes every forged message whose SendAt <= now
// (simulator time), in SendAt order.
func (a *Attacker) Due(dst []Output, now time.Duration) []Output { return a.queue.popDue(dst, now) }

// Forged appends the forged objects as claimed at the time of the last
// Step (nothing before the first forged message).
func (a *Attacker) Forged(dst []ForgedObject) []ForgedObject { return append(dst, a.forged...) }

// Step forges the messages due up to s.Now(), from the truth at s.Now().
func (a *Attacker) Step(s *Sim) {
	a.now = s.Now()
	a.truth = s.Truth(a.truth[:0])
	a.forged = a.forged[:0]
	if a.now < a.cfg.Start {
		if a.cfg.Kind == AttackReplay { // keep what the first replays need, no more
			a.dropRecorded(a.cfg.Start - replayDelay - time.Second)
		}
		return
	}
	period := attackPeriod
	if a.cfg.Kind == AttackMapSwap {
		period = attackMapPeriod
	}
	for a.next <= a.now {
		a.forge()
		a.next += period
	}
	a.current()
}

// forge queues the forged messages of one period, captured now.
func (a *Attacker) forge() {
	switch a.cfg.Kind {
	case AttackGhost:
		a.forgeGhost()
	case AttackTeleport, AttackConstPos, AttackRandomSpeed, AttackSybil:
		a.forgeOnVictim()
	case AttackReplay:
		a.forgeReplay()
	case AttackFakeGreen:
		a.push(Output{Type: MsgSPAT, SPAT: FakeGreen(a.plan.SPAT(a.now))})
	case AttackMapSwap:
		m := a.mp
		m.Lanes = make([]v2x.Lane, len(a.mp.Lanes))
		for i, ln := range a.mp.Lanes {
			ln.Nodes = append([]v2x.Point(nil), ln.Nodes...)
			ln.Connections = append([]v2x.Connection(nil), ln.Connections...)
			for j := range ln.Nodes {
				ln.Nodes[j].E += float32(a.shiftE)
				ln.Nodes[j].N += float32(a.shiftN)
			}
			m.Lanes[i] = ln
		}
		a.push(Output{Type: MsgMAP, Map: m})
	}
}

// push queues a forged message captured now (Capture left as set if the
// output carries one already: replay).
func (a *Attacker) push(o Output) {
	if o.Type != MsgBSM || a.cfg.Kind != AttackReplay {
		o.Capture = a.now
	}
	o.Source, o.SendAt = AttackSourceID, a.now+attackDelay
	if !a.started {
		a.started, a.first = true, a.now
	}
	a.queue.push(&o)
}

// Covered reports whether a point (metres from the MAP reference point)
// lies within some camera's range and field of view.
func Covered(cams []Camera, e, n float64) bool {
	for _, c := range cams {
		de, dn := e-c.E, n-c.N
		r := math.Hypot(de, dn)
		if r > c.Range || r < camMinRange {
			continue
		}
		bearing := math.Atan2(de, dn) * 180 / math.Pi // clockwise from north
		if d := math.Mod(bearing-c.Facing+540, 360) - 180; math.Abs(d) <= c.FOV/2 {
			return true
		}
	}
	return false
}

// clearance returns the distance from (e, n) to the nearest real object.
func (a *Attacker) clearance(e, n float64) float64 {
	d := math.Inf(1)
	for i := range a.truth {
		d = math.Min(d, math.Hypot(a.truth[i].E-e, a.truth[i].N-n))
	}
	return d
}

// forgeGhost sends the ghost's BSM, first placing it (again, under a new
// id) if it has no place yet or a real object came near.
func (a *Attacker) forgeGhost() {
	if a.ghostID == 0 || a.clearance(a.ghostE, a.ghostN) < ghostNear {
		a.ghostID = 0
		type spot struct{ e, n, heading float64 }
		var spots []spot
		for _, ln := range a.lanes {
			for i := 0; i+1 < len(ln.Nodes); i++ {
				p, q := ln.Nodes[i], ln.Nodes[i+1] // from the stop line outwards
				seg := math.Hypot(float64(q.E-p.E), float64(q.N-p.N))
				h := wrapDeg(math.Atan2(float64(q.E-p.E), float64(q.N-p.N)) * 180 / math.Pi)
				if ln.Ingress {
					h = wrapDeg(h + 180) // towards the stop line
				}
				for f := 0.0; f < seg; f += 5 {
					e := float64(p.E) + float64(q.E-p.E)*f/seg
					n := float64(p.N) + float64(q.N-p.N)*f/seg
					if Covered(a.cams, e, n) && a.clearance(e, n) >= ghostClearance {
						spots = append(spots, spot{e, n, h})
					}
				}
			}
		}
		if len(spots) == 0 {
			return // nowhere to hide this period
		}
		sp := spots[a.rng.IntN(len(spots))]
		a.ghostID, a.ghostE, a.ghostN, a.ghostHeading = a.newID(), sp.e, sp.n, sp.heading
	}
	a.push(Output{Type: MsgBSM, BSM: a.bsm(a.ghostID, a.ghostE, a.ghostN, 0, a.ghostHeading, v2x.ClassCar, 4.5, 1.8)})
}

// newID returns a fresh temporary id (32 bits, J2735's size) no real
// vehicle uses now.
func (a *Attacker) newID() uint64 {
	for {
		id := uint64(a.rng.Uint32())
		used := id == 0
		for i := range a.truth {
			used = used || a.truth[i].VehicleID == id
		}
		if !used {
			return id
		}
	}
}

// victimObj returns the victim's truth, choosing a new victim if it has
// none or it left: an equipped vehicle, preferably inside camera coverage
// (and moving, for the kinds whose forgery shows only when it moves).
func (a *Attacker) victimObj() (*TruthObject, bool) {
	for i := range a.truth {
		if a.truth[i].ID == a.victim && a.victim != 0 {
			return &a.truth[i], false
		}
	}
	moving := a.cfg.Kind == AttackTeleport || a.cfg.Kind == AttackConstPos || a.cfg.Kind == AttackReplay
	best, bestScore := -1, -1
	var cands []int
	for i := range a.truth {
		o := &a.truth[i]
		if !o.Equipped || o.VehicleID == 0 {
			continue
		}
		score := 0
		if Covered(a.cams, o.E, o.N) {
			score += 2
		}
		if !moving || o.Speed >= victimMinSpeed {
			score++
		}
		if score > bestScore {
			best, bestScore, cands = i, score, cands[:0]
		}
		if score == bestScore {
			cands = append(cands, i)
		}
	}
	if best < 0 {
		a.victim, a.victimVID = 0, 0
		return nil, false
	}
	o := &a.truth[cands[a.rng.IntN(len(cands))]]
	a.victim, a.victimVID = o.ID, o.VehicleID
	return o, true
}

// forgeOnVictim sends one period's forged BSMs about the victim.
func (a *Attacker) forgeOnVictim() {
	v, fresh := a.victimObj()
	if v == nil {
		return
	}
	cls, l, w := v.Class, float64(v.Length), float64(v.Width)
	switch a.cfg.Kind {
	case AttackTeleport:
		if fresh {
			a.offE, a.offN = a.teleportOffset(v.E, v.N)
		}
		a.push(Output{Type: MsgBSM, BSM: a.bsm(v.VehicleID, v.E+a.offE, v.N+a.offN, float64(v.Speed), float64(v.Heading), cls, l, w)})
	case AttackConstPos:
		if fresh {
			a.frozenE, a.frozenN = v.E, v.N
		}
		a.push(Output{Type: MsgBSM, BSM: a.bsm(v.VehicleID, a.frozenE, a.frozenN, math.Max(float64(v.Speed), constPosMinSpeed), float64(v.Heading), cls, l, w)})
	case AttackRandomSpeed:
		a.push(Output{Type: MsgBSM, BSM: a.bsm(v.VehicleID, v.E, v.N, randomSpeedMax*a.rng.Float64(), float64(v.Heading), cls, l, w)})
	case AttackSybil:
		if fresh {
			for k := range a.clones {
				a.clones[k].id = a.newID()
				r := sybilOffMin + (sybilOffMax-sybilOffMin)*a.rng.Float64()
				b := 2 * math.Pi * (float64(k) + a.rng.Float64()) / sybilClones // one clone per third of the circle
				a.clones[k].along, a.clones[k].across = r*math.Cos(b), r*math.Sin(b)
			}
		}
		for k := range a.clones {
			e, n := a.cloneAt(v, k)
			a.push(Output{Type: MsgBSM, BSM: a.bsm(a.clones[k].id, e, n, float64(v.Speed), float64(v.Heading), cls, l, w)})
		}
	}
}

// cloneAt returns where sybil clone k of v is claimed: offset along and
// across v's heading.
func (a *Attacker) cloneAt(v *TruthObject, k int) (e, n float64) {
	s, c := math.Sincos(float64(v.Heading) * math.Pi / 180)
	c0 := &a.clones[k]
	return v.E + c0.along*s + c0.across*c, v.N + c0.along*c - c0.across*s
}

// teleportOffset draws an offset of 50-500 m, preferring one that puts
// the vehicle inside camera coverage.
func (a *Attacker) teleportOffset(e, n float64) (de, dn float64) {
	for range 64 {
		d := teleportMin + (teleportMax-teleportMin)*a.rng.Float64()
		b := 2 * math.Pi * a.rng.Float64()
		de, dn = d*math.Sin(b), d*math.Cos(b)
		if Covered(a.cams, e+de, n+dn) {
			break
		}
	}
	return de, dn
}

// forgeReplay re-sends the victim's BSMs first sent replayDelay ago, with
// their own capture times and counts. Once the victim has left and its
// past is spent, it picks another.
func (a *Attacker) forgeReplay() {
	if a.victim == 0 {
		v, _ := a.victimObj()
		if v == nil {
			return
		}
		k := 0
		for _, o := range a.recorded {
			if o.BSM.VehicleID == a.victimVID {
				a.recorded[k] = o
				k++
			}
		}
		a.recorded = a.recorded[:k]
	}
	k := 0
	for ; k < len(a.recorded) && a.recorded[k].SendAt+replayDelay <= a.now; k++ {
		a.push(a.recorded[k])
		a.lastReplay, a.hasReplay, a.lastReplayAt = a.recorded[k].BSM, true, a.now
	}
	a.recorded = append(a.recorded[:0], a.recorded[k:]...)
	if len(a.recorded) == 0 && !a.present(a.victim) {
		a.victim, a.victimVID = 0, 0
	}
}

// present reports whether the true object id is in the scene.
func (a *Attacker) present(id uint32) bool {
	for i := range a.truth {
		if a.truth[i].ID == id {
			return true
		}
	}
	return false
}

// dropRecorded forgets recorded BSMs sent before t.
func (a *Attacker) dropRecorded(t time.Duration) {
	k := 0
	for k < len(a.recorded) && a.recorded[k].SendAt < t {
		k++
	}
	a.recorded = append(a.recorded[:0], a.recorded[k:]...)
}

// bsm returns a forged BSM at a local position; the count rolls per id.
func (a *Attacker) bsm(id uint64, e, n, speed, heading float64, cls v2x.Class, l, w float64) v2x.BSM {
	lat, lon, _ := a.frame.FromENU(e, n, 0)
	c := a.counts[id]
	a.counts[id] = (c + 1) % 128
	return v2x.BSM{VehicleID: id, MsgCount: c, Lat: lat, Lon: lon, Elevation: elevation, Speed: float32(speed),
		Heading: float32(wrapDeg(heading)), Length: float32(l), Width: float32(w), Class: cls,
		AccSemiMajor: forgedAccuracy, AccSemiMinor: forgedAccuracy}
}

// current sets the forged objects as claimed now.
func (a *Attacker) current() {
	if !a.started {
		return
	}
	switch a.cfg.Kind {
	case AttackGhost:
		if a.ghostID != 0 {
			a.forged = append(a.forged, ForgedObject{LocalID: a.ghostID, E: a.ghostE, N: a.ghostN, OwnID: true, Speed: 0})
		}
		return
	case AttackReplay:
		if a.hasReplay && a.now-a.lastReplayAt <= 2*attackPeriod {
			e, n, _ := a.frame.ToENU(a.lastReplay.Lat, a.lastReplay.Lon, 0)
			a.forged = append(a.forged, ForgedObject{LocalID: a.lastReplay.VehicleID, E: e, N: n, Of: a.victim, Speed: float64(a.lastReplay.Speed)})
		}
		return
	}
	var v *TruthObject
	for i := range a.truth {
		if a.truth[i].ID == a.victim && a.victim != 0 {
			v = &a.truth[i]
		}
	}
	if v == nil {
		return
	}
	switch a.cfg.Kind {
	case AttackTeleport:
		a.forged = append(a.forged, ForgedObject{LocalID: v.VehicleID, E: v.E + a.offE, N: v.N + a.offN, Of: v.ID, Speed: float64(v.Speed)})
	case AttackConstPos:
		a.forged = append(a.forged, ForgedObject{LocalID: v.VehicleID, E: a.frozenE, N: a.frozenN, Of: v.ID, Speed: math.Max(float64(v.Speed), constPosMinSpeed)})
	case AttackRandomSpeed:
		a.forged = append(a.forged, ForgedObject{LocalID: v.VehicleID, E: v.E, N: v.N, Of: v.ID, Speed: math.NaN()})
	case AttackSybil:
		for k := range a.clones {
			e, n := a.cloneAt(v, k)
			a.forged = append(a.forged, ForgedObject{LocalID: a.clones[k].id, E: e, N: n, Of: v.ID, OwnID: true, Speed: float64(v.Speed)})
		}
	}
}

// FakeGreen returns spat with one red signal group turned green (a through
// group if one is red): the forged SPAT of a fake-green attack. The green
// lasts until the real red would end.
func FakeGreen(spat v2x.SPAT) v2x.SPAT {
	out := spat
	out.Phases = append([]v2x.Phase(nil), spat.Phases...)
	pick := -1
	for i, p := range out.Phases {
		through := p.ID == GroupNSThrough || p.ID == GroupEWThrough
		if p.State == v2x.LightRed && (pick < 0 || through) {
			pick = i
			if through {
				break
			}
		}
	}
	if pick >= 0 {
		out.Phases[pick].State = v2x.LightGreen
		out.Phases[pick].Start = 0
	}
	return out
}

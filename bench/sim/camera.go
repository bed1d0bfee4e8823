package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// Camera is the placement and characteristics of one simulated roadside
// camera.
type Camera struct {
	Source      uint32
	E, N        float64 // position, metres from the MAP reference point
	Facing      float64 // degrees clockwise from north
	FOV         float64 // horizontal field of view, degrees
	Range       float64 // metres
	RateHz      float64
	ClockOffset time.Duration
}

// Camera model. Each frame, every object whose centre is within the field
// of view and range is detected with a probability falling linearly from
// camPDetNear at the camera to camPDetFar at its range (less when hidden
// behind a tall vehicle, see camerror.go). The random position error has
// sigma camSigma0 + camSigmaPerM·range, larger along the line of sight
// (camRadial×) than across it (camTangential×); with CameraNoiseWhite it
// is independent from frame to frame and the reported covariance is
// exactly its own; with CameraNoiseCorrelated (default) it is partly
// correlated in time, a calibration bias adds to it, and the reported
// covariance is optimistic (camerror.go). Each camera runs its own tracker:
// an object keeps its LocalID while it is seen at least every camLostAfter,
// and keeps the class it was first given (wrong with probability
// camClassError). False positives appear as a Poisson process, camFalseMean
// per frame, each lasting a few frames.
const (
	camCornerDist          = 10.5 // corner poles sit this far from both leg centre lines
	camFOVLo, camFOVHi     = 90.0, 100.0
	camRangeLo, camRangeHi = 80.0, 100.0
	camDelayLo, camDelayHi = 30 * time.Millisecond, 100 * time.Millisecond
	camMinRange            = 1.0
	camPDetNear            = 0.97
	camPDetFar             = 0.85
	camSigma0              = 0.15 // m
	camSigmaPerM           = 0.008
	camRadial              = 1.25
	camTangential          = 0.75
	camVelSigma0           = 0.2 // m/s
	camVelSigmaPerM        = 0.005
	camHeadingSigma        = 3.0  // degrees, vehicles
	camPedHeadingSigma     = 15.0 // degrees, pedestrians
	camSizeSigma           = 0.05 // relative
	camConfSigma           = 0.03
	camLostAfter           = time.Second
	camClassError          = 0.02
	camFalseMean           = 0.1
	camClutterLife         = 3.0 // mean frames
)

var camRates = [...]float64{10, 15, 20, 30}

// cameraSlot returns where camera i (0..11) stands and the point it looks
// at: cameras 0-3 on the corner behind and to the left of approaches 1-4,
// looking up the approach over the box; 4-7 on the other far corner,
// looking up the same approaches; 8-11 beside the ingress lanes 70 m out,
// looking back at the box.
func cameraSlot(i int) (e, n, te, tn float64) {
	leg := i % 4
	switch i / 4 {
	case 0:
		e, n = legPoint(leg, -camCornerDist, camCornerDist)
		te, tn = legPoint(leg, 55, laneWidth)
	case 1:
		e, n = legPoint(leg, -camCornerDist, -camCornerDist)
		te, tn = legPoint(leg, 55, 0)
	default:
		e, n = legPoint(leg, 70, 3*laneWidth)
	}
	return e, n, te, tn
}

type camTrack struct {
	local uint32
	last  time.Duration
	class v2x.Class
	noise corrNoise
}

type clutter struct {
	local                 uint32
	e, n                  float64
	class                 v2x.Class
	life                  int
	length, width, height float64
}

type camera struct {
	Camera
	r         *rand.Rand
	halfFOV   float64
	phase     time.Duration
	k         int64
	next      time.Duration // true capture time of the next frame
	lastSend  time.Duration
	tracks    map[uint32]camTrack // by true object id
	nextLocal uint32
	clutter   []clutter
	lastPrune time.Duration
	scratch   []v2x.DetectedObject
	falseMean float64       // false positives per frame
	declared  time.Duration // true time of its last SensorInfo
	frames    int           // frames captured (sent or dropped)
	dropped   int
	// The error model (camerror.go); its own random stream, so that the
	// detections (which objects, when) are the same under either model.
	model CameraNoise
	nr    *rand.Rand
	bias  camBias
	occ   []occluder
	// truthOcc: the occluders at the current true time, for Sim.Truth.
	truthOcc []occluder
	// oracle: also make each detection without the bias (Config.OracleNoBias).
	oracle bool
	noBias []v2x.DetectedObject
}

func newCamera(i int, seed int64, offsetMax time.Duration, model CameraNoise) *camera {
	r := rand.New(rand.NewPCG(uint64(seed), streamCamera+uint64(i)))
	e, n, te, tn := cameraSlot(i)
	c := &camera{r: r, tracks: map[uint32]camTrack{}, falseMean: camFalseMean,
		model: model, nr: rand.New(rand.NewPCG(uint64(seed), streamCameraNoise+uint64(i)))}
	c.Camera = Camera{
		Source: FirstCameraID + uint32(i), E: e, N: n,
		Facing: compass(math.Atan2(tn-n, te-e)),
		FOV:    camFOVLo + (camFOVHi-camFOVLo)*r.Float64(),
		Range:  camRangeLo + (camRangeHi-camRangeLo)*r.Float64(),
		RateHz: camRates[r.IntN(len(camRates))],
	}
	c.ClockOffset = time.Duration((2*r.Float64() - 1) * float64(offsetMax))
	c.halfFOV = c.FOV / 2
	c.phase = time.Duration(r.Float64() * float64(time.Second) / c.RateHz)
	c.next = c.phase
	c.nextLocal = uint32(1 + r.IntN(1000))
	return c
}

// sensorInfoEvery is how often a camera repeats the declaration of its
// field of view (MsgSensorInfo): with its first frame, then every second,
// so that a node it reconnects to has it at once.
const sensorInfoEvery = time.Second

// sensorInfo returns the declaration of the camera's detection area, sent
// with the frame captured at true time te: exactly its field of view and
// range (a camera declaring more than it sees would make the node take
// honest vehicles at the fringe for ghosts).
func (c *camera) sensorInfo(te time.Duration, f *geo.Frame) Output {
	c.declared = te
	lat, lon, _ := f.FromENU(c.E, c.N, 0)
	h := float32(c.Facing)
	if h >= 360 {
		h = 0
	}
	return Output{
		SendAt: max(te+camDelayLo, c.lastSend), Source: c.Source, Capture: te + c.ClockOffset, Type: MsgSensorInfo,
		Sensor: v2x.SensorInfo{SensorID: c.Source, Lat: lat, Lon: lon, Heading: h, Opening: float32(c.FOV),
			Range: float32(c.Range), MinRange: camMinRange},
	}
}

// advance moves to the next frame time.
func (c *camera) advance() {
	c.k++
	c.next = c.phase + time.Duration(float64(c.k)*float64(time.Second)/c.RateHz)
}

// sees reports whether a point is in the field of view and range, and
// returns its range and bearing from the camera.
func (c *camera) sees(e, n float64) (rng, bearing float64, ok bool) {
	de, dn := e-c.E, n-c.N
	rng = math.Hypot(de, dn)
	if rng > c.Range || rng < camMinRange {
		return rng, 0, false
	}
	bearing = compass(math.Atan2(dn, de))
	diff := math.Abs(wrapDeg(bearing-c.Facing+180) - 180)
	return rng, bearing, diff <= c.halfFOV
}

// sigma returns the one-sigma position error along and across the line of
// sight at a range.
func camSigmas(rng float64) (radial, tangential float64) {
	s := camSigma0 + camSigmaPerM*rng
	return camRadial * s, camTangential * s
}

// capture makes the frame captured at true time te from the objects objs,
// which are the true states at time now (>= te). It returns false when the
// frame is dropped.
func (c *camera) capture(te, now time.Duration, objs []objState, dropRate float64, f *geo.Frame) (Output, bool) {
	c.frames++
	r := c.r
	if dropRate > 0 && r.Float64() < dropRate {
		c.dropped++
		return Output{}, false
	}
	back := (now - te).Seconds()
	dets := c.scratch[:0]
	c.noBias = c.noBias[:0]
	correlated := c.model == CameraNoiseCorrelated
	if correlated {
		c.bias.step(c.nr, te)
		c.occ = c.occluders(c.occ[:0], objs, back)
	}
	for i := range objs {
		o := &objs[i]
		e, n := o.e-o.ve*back, o.n-o.vn*back
		rng, bearing, ok := c.sees(e, n)
		if !ok {
			continue
		}
		pd := camPDetNear - (camPDetNear-camPDetFar)*rng/c.Range
		if correlated && occluded(c.occ, rng, bearing, o.height) {
			pd *= camOccludedPDet
		}
		if r.Float64() >= pd {
			continue
		}
		tr, found := c.tracks[o.id]
		fresh := !found || te-tr.last > camLostAfter
		if fresh {
			tr = camTrack{local: c.nextLocal, class: o.class}
			c.nextLocal++
			if r.Float64() < camClassError {
				tr.class = confusedClass(o.class)
			}
		}
		var cn *corrNoise
		if correlated {
			tr.noise.step(c.nr, te, fresh)
			cn = &tr.noise
		}
		tr.last = te
		c.tracks[o.id] = tr
		st := o.back(back)
		d := c.detect(&st, rng, bearing, f, cn)
		d.LocalID, d.Class = tr.local, tr.class
		d.Confidence = confidence(pd + camConfSigma*r.NormFloat64())
		dets = append(dets, d)
	}
	dets = c.clutterFrame(dets, f)
	c.scratch = dets[:0]
	if te-c.lastPrune >= time.Second {
		c.lastPrune = te
		for id, tr := range c.tracks {
			if te-tr.last > camLostAfter {
				delete(c.tracks, id)
			}
		}
	}
	sendAt := max(te+camDelayLo+time.Duration(r.Int64N(int64(camDelayHi-camDelayLo))), c.lastSend)
	c.lastSend = sendAt
	objsOut := make([]v2x.DetectedObject, len(dets))
	copy(objsOut, dets)
	var noBias []v2x.DetectedObject
	if c.oracle {
		noBias = make([]v2x.DetectedObject, len(dets))
		for i := range dets {
			noBias[i] = dets[i]
			noBias[i].Lat, noBias[i].Lon = c.noBias[i].Lat, c.noBias[i].Lon
		}
	}
	return Output{
		SendAt: sendAt, Source: c.Source, Capture: te + c.ClockOffset, Type: MsgObjectList,
		Objects: v2x.ObjectList{SensorID: c.Source, Objects: objsOut}, NoBias: noBias,
	}, true
}

// detect returns the noisy measurement of a true state at a range and
// bearing from the camera: white noise when cn is nil (CameraNoiseWhite),
// else cn's correlated part, white noise for the rest, and the camera's
// bias, reported optimistically.
func (c *camera) detect(o *objState, rng, bearing float64, f *geo.Frame, cn *corrNoise) v2x.DetectedObject {
	r := c.r
	sr, st := camSigmas(rng)
	ue, un := math.Sincos(bearing * math.Pi / 180) // unit line of sight (east, north)
	nr, nt := sr*r.NormFloat64(), st*r.NormFloat64()
	repR, repT := sr, st // reported sigmas
	var be, bn float64
	if cn != nil {
		w, k := math.Sqrt(1-camNoiseCorrShare), math.Sqrt(camNoiseCorrShare)
		nr, nt = w*nr+k*sr*cn.r, w*nt+k*st*cn.t
		be, bn = c.bias.at(rng, ue, un)
		repR, repT = camCovReported*sr, camCovReported*st
	}
	// tangential unit vector (un, -ue)
	e := o.e + nr*ue + nt*un + be
	n := o.n + nr*un - nt*ue + bn
	lat, lon, _ := f.FromENU(e, n, 0)
	if c.oracle {
		la, lo, _ := f.FromENU(e-be, n-bn, 0)
		c.noBias = append(c.noBias, v2x.DetectedObject{Lat: la, Lon: lo})
	}
	sv := camVelSigma0 + camVelSigmaPerM*rng
	hs := camHeadingSigma
	if o.class == v2x.ClassPedestrian {
		hs = camPedHeadingSigma
	}
	size := func(x float64) float32 { return float32(math.Max(0.1, x*(1+camSizeSigma*r.NormFloat64()))) }
	return v2x.DetectedObject{
		Lat: lat, Lon: lon,
		VelE:    float32(o.ve + sv*r.NormFloat64()),
		VelN:    float32(o.vn + sv*r.NormFloat64()),
		Heading: float32(wrapDeg(o.heading + hs*r.NormFloat64())),
		Length:  size(o.length), Width: size(o.width), Height: size(o.height),
		HasCov: true,
		CovEE:  float32(repR*repR*ue*ue + repT*repT*un*un),
		CovEN:  float32((repR*repR - repT*repT) * ue * un),
		CovNN:  float32(repR*repR*un*un + repT*repT*ue*ue),
	}
}

// clutterFrame ages the false positives, draws new ones and appends their
// detections.
func (c *camera) clutterFrame(dets []v2x.DetectedObject, f *geo.Frame) []v2x.DetectedObject {
	r := c.r
	n := 0
	for _, cl := range c.clutter {
		if cl.life--; cl.life > 0 {
			c.clutter[n] = cl
			n++
		}
	}
	c.clutter = c.clutter[:n]
	for range poisson(r, c.falseMean) {
		rng := camMinRange + 4 + (c.Range-camMinRange-4)*r.Float64()
		b := c.Facing + c.FOV*(r.Float64()-0.5)
		s, co := math.Sincos(b * math.Pi / 180)
		cl := clutter{local: c.nextLocal, e: c.E + rng*s, n: c.N + rng*co, class: v2x.ClassCar,
			life: 1 + int(r.ExpFloat64()*(camClutterLife-1)), length: 4.5, width: 1.8, height: 1.5}
		c.nextLocal++
		if r.IntN(2) == 0 {
			cl.class, cl.length, cl.width, cl.height = v2x.ClassPedestrian, 0.4, 0.5, 1.7
		}
		c.clutter = append(c.clutter, cl)
	}
	for _, cl := range c.clutter {
		rng, bearing, _ := c.sees(cl.e, cl.n)
		o := objState{class: cl.class, e: cl.e, n: cl.n, length: cl.length, width: cl.width, height: cl.height,
			heading: 360 * r.Float64()}
		var cn *corrNoise
		if c.model == CameraNoiseCorrelated {
			cn = &corrNoise{} // a false detection: no error history, the camera's bias
		}
		d := c.detect(&o, rng, bearing, f, cn)
		d.LocalID, d.Class = cl.local, cl.class
		d.Confidence = confidence(0.2 + 0.3*r.Float64())
		dets = append(dets, d)
	}
	return dets
}

// confusedClass is the class a camera mistakes c for.
func confusedClass(c v2x.Class) v2x.Class {
	switch c {
	case v2x.ClassCar:
		return v2x.ClassTruck
	case v2x.ClassTruck:
		return v2x.ClassBus
	case v2x.ClassBus:
		return v2x.ClassTruck
	case v2x.ClassMotorcycle:
		return v2x.ClassBicycle
	case v2x.ClassPedestrian:
		return v2x.ClassBicycle
	}
	return v2x.ClassUnknown
}

func confidence(p float64) uint8 {
	return uint8(math.Round(100 * math.Max(0.01, math.Min(1, p))))
}

// poisson draws a Poisson variate with a small mean.
func poisson(r *rand.Rand, mean float64) int {
	l := math.Exp(-mean)
	k := 0
	for p := r.Float64(); p > l; p *= r.Float64() {
		k++
	}
	return k
}

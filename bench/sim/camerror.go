package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// CameraNoise selects the camera error model.
type CameraNoise uint8

// Camera error models.
const (
	// CameraNoiseCorrelated (the default) errs like a roadside camera: a
	// slowly drifting calibration bias per camera, noise correlated in
	// time per object (the camera's own tracker smooths), a reported
	// covariance that is optimistic and knows nothing of the bias, and
	// objects hidden behind tall vehicles.
	CameraNoiseCorrelated CameraNoise = iota
	// CameraNoiseWhite is the earlier model: independent Gaussian errors
	// every frame, reported with their exact covariance, no occlusion.
	CameraNoiseWhite
)

var cameraNoiseNames = [...]string{CameraNoiseCorrelated: "correlated", CameraNoiseWhite: "white"}

func (n CameraNoise) String() string {
	if int(n) < len(cameraNoiseNames) {
		return cameraNoiseNames[n]
	}
	return fmt.Sprintf("camera-noise(%d)", uint8(n))
}

// ParseCameraNoise parses a model name: correlated or white.
func ParseCameraNoise(s string) (CameraNoise, error) {
	for i, name := range cameraNoiseNames {
		if s == name {
			return CameraNoise(i), nil
		}
	}
	return 0, fmt.Errorf("sim: camera noise %q: want correlated or white", s)
}

// The correlated camera error model (docs/fusion.md, "Simulated
// sensors"). The random error keeps the white model's range-dependent
// sigmas (camSigmas); it is split into a part that follows a first-order
// Gauss-Markov (AR(1)) process per object and camera, time constant
// camNoiseTau, holding camNoiseCorrShare of its variance, and white noise
// for the rest. On top, each camera has a calibration bias, also
// Gauss-Markov with the slow time constant camBiasTau: a ground-plane
// offset (camBiasOffset per axis), a yaw error (camBiasYawDeg, an error
// across the line of sight growing with range) and a range scale error
// (camBiasScale, along it). The reported covariance is the random error's
// scaled by camCovReported² (optimistic) and ignores the bias. An object
// whose top is hidden, as seen from the camera at camHeight, behind a tall
// object (camOccluderHeight or more) nearer on the same line of sight is
// detected with probability camOccludedPDet times the usual one.
const (
	camNoiseTau       = 500 * time.Millisecond
	camNoiseCorrShare = 0.7 // of the random error's variance
	camBiasTau        = 300 * time.Second
	camBiasOffset     = 0.15  // m, one sigma per axis
	camBiasYawDeg     = 0.1   // degrees, one sigma
	camBiasScale      = 0.003 // relative range error, one sigma
	camCovReported    = 0.7   // reported sigma / true random sigma
	camHeight         = 6.0   // m, pole-mounted
	camOccluderHeight = 2.5   // m: trucks and buses
	camOccludedPDet   = 0.2
)

// camBias is a camera's calibration error: ground-plane offset (m), yaw
// (radians) and range scale, each in its own Gauss-Markov process.
type camBias struct {
	offE, offN, yaw, scale float64
	last                   time.Duration
	started                bool
}

// step advances the bias to time t.
func (b *camBias) step(r *rand.Rand, t time.Duration) {
	yawSigma := camBiasYawDeg * math.Pi / 180
	if !b.started {
		b.started, b.last = true, t
		b.offE, b.offN = camBiasOffset*r.NormFloat64(), camBiasOffset*r.NormFloat64()
		b.yaw, b.scale = yawSigma*r.NormFloat64(), camBiasScale*r.NormFloat64()
		return
	}
	phi := math.Exp(-(t - b.last).Seconds() / camBiasTau.Seconds())
	b.last = t
	k := math.Sqrt(1 - phi*phi)
	b.offE = phi*b.offE + k*camBiasOffset*r.NormFloat64()
	b.offN = phi*b.offN + k*camBiasOffset*r.NormFloat64()
	b.yaw = phi*b.yaw + k*yawSigma*r.NormFloat64()
	b.scale = phi*b.scale + k*camBiasScale*r.NormFloat64()
}

// at returns the bias (m, east and north) at a range along the unit line
// of sight (ue, un).
func (b *camBias) at(rng, ue, un float64) (de, dn float64) {
	rad, tan := b.scale*rng, b.yaw*rng // tangential unit vector (un, -ue)
	return b.offE + rad*ue + tan*un, b.offN + rad*un - tan*ue
}

// corrNoise is the time-correlated part of one object's error as one
// camera sees it, along and across the line of sight, in units of the
// sigmas there.
type corrNoise struct {
	r, t float64
	last time.Duration
}

// step advances the noise to time t (fresh when new).
func (c *corrNoise) step(r *rand.Rand, t time.Duration, fresh bool) {
	if fresh {
		c.r, c.t, c.last = r.NormFloat64(), r.NormFloat64(), t
		return
	}
	phi := math.Exp(-(t - c.last).Seconds() / camNoiseTau.Seconds())
	c.last = t
	k := math.Sqrt(1 - phi*phi)
	c.r = phi*c.r + k*r.NormFloat64()
	c.t = phi*c.t + k*r.NormFloat64()
}

// occluder is a tall object as one camera sees it in one frame.
type occluder struct {
	rng, bearing, halfAngle, height float64
}

// occluders returns the tall objects in view from c.
func (c *camera) occluders(dst []occluder, objs []objState, back float64) []occluder {
	for i := range objs {
		o := &objs[i]
		if o.height < camOccluderHeight {
			continue
		}
		rng, bearing, ok := c.sees(o.e-o.ve*back, o.n-o.vn*back)
		if !ok {
			continue
		}
		half := math.Atan2(math.Max(o.length, o.width)/2, rng) * 180 / math.Pi
		dst = append(dst, occluder{rng: rng, bearing: bearing, halfAngle: half, height: o.height})
	}
	return dst
}

// occluded reports whether an object of height h at a range and bearing
// has its top hidden behind one of occ: nearer, within its angular width,
// and with the sight line to the object's top passing below the
// occluder's top.
func occluded(occ []occluder, rng, bearing, h float64) bool {
	for _, q := range occ {
		if q.rng >= rng-0.5 || math.Abs(wrapDeg(bearing-q.bearing+180)-180) > q.halfAngle {
			continue
		}
		// height of the sight line from the camera to the object's top
		// where it passes the occluder
		if camHeight-(camHeight-h)*q.rng/rng < q.height {
			return true
		}
	}
	return false
}

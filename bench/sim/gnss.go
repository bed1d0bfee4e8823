package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// GNSS error model of an equipped vehicle. Each receiver has its own
// quality (a factor on Config.GNSSSigma) and a slightly elongated error
// ellipse with a random orientation. Along each axis of the ellipse the
// error is a slowly varying bias (first-order Gauss-Markov, time constant
// gnssTau) plus white noise; their variances add up to the axis' sigma²,
// which is what the BSM reports in AccSemiMajor and AccSemiMinor.
const (
	gnssTau                = 30 * time.Second
	gnssBias               = 0.8 // bias sigma, as a share of the axis sigma
	gnssWhite              = 0.6 // white-noise sigma, as a share (0.8² + 0.6² = 1)
	gnssQualityLo          = 0.7
	gnssQualityHi          = 1.3
	gnssElongation         = 0.15 // semi-major = (1+this)·sigma, semi-minor = (1-this)·sigma
	gnssMinReported        = 0.01 // m; zero would mean "unknown"
	bsmSpeedSigma          = 0.1  // m/s
	bsmHeadingSigma        = 0.5  // degrees
	bsmAccelSigma          = 0.05 // m/s²
	bsmYawSigma            = 0.2  // degrees/s
	bsmDelayLo, bsmDelayHi = 5 * time.Millisecond, 20 * time.Millisecond
)

// bsmState is what an equipped vehicle keeps between BSMs.
type bsmState struct {
	phase        time.Duration // BSMs are sent at phase + k·bsmPeriod
	next         time.Duration // true time of the next BSM
	count        uint8         // MsgCount of the next BSM
	major, minor float64       // one-sigma error along the ellipse axes, m
	orient       float64       // orientation of the major axis, degrees from north
	sinO, cosO   float64
	bias         [2]float64 // slowly varying error along the axes, in units of their sigma
}

func newBSMState(r *rand.Rand, sigma float64) *bsmState {
	q := gnssQualityLo + (gnssQualityHi-gnssQualityLo)*r.Float64()
	b := &bsmState{
		phase:  time.Duration(r.Int64N(int64(bsmPeriod))),
		count:  uint8(r.IntN(128)),
		major:  q * sigma * (1 + gnssElongation),
		minor:  q * sigma * (1 - gnssElongation),
		orient: 180 * r.Float64(),
		bias:   [2]float64{gnssBias * r.NormFloat64(), gnssBias * r.NormFloat64()},
	}
	b.sinO, b.cosO = math.Sincos(b.orient * math.Pi / 180)
	return b
}

// start schedules the first BSM at or after t.
func (b *bsmState) start(t time.Duration) {
	d := (b.phase - t) % bsmPeriod
	if d < 0 {
		d += bsmPeriod
	}
	b.next = t + d
}

// gnssPhi is the bias correlation from one BSM to the next.
var gnssPhi = math.Exp(-bsmPeriod.Seconds() / gnssTau.Seconds())

// gnssError draws the position error of the next fix in metres east and
// north.
func (b *bsmState) gnssError(r *rand.Rand) (de, dn float64) {
	k := gnssBias * math.Sqrt(1-gnssPhi*gnssPhi)
	b.bias[0] = gnssPhi*b.bias[0] + k*r.NormFloat64()
	b.bias[1] = gnssPhi*b.bias[1] + k*r.NormFloat64()
	x := (b.bias[0] + gnssWhite*r.NormFloat64()) * b.major
	y := (b.bias[1] + gnssWhite*r.NormFloat64()) * b.minor
	// major axis (sin o, cos o) in east/north; minor axis 90° clockwise of it
	return x*b.sinO + y*b.cosO, x*b.cosO - y*b.sinO
}

// makeBSM returns the BSM of a vehicle whose true state at capture is o,
// and advances its message counter.
func makeBSM(o *objState, b *bsmState, r *rand.Rand, f *geo.Frame) v2x.BSM {
	de, dn := b.gnssError(r)
	lat, lon, _ := f.FromENU(o.e+de, o.n+dn, 0)
	speed := 0.0
	if o.speed > 0 {
		speed = math.Max(0, o.speed+bsmSpeedSigma*r.NormFloat64())
	}
	m := v2x.BSM{
		VehicleID:      o.vid,
		MsgCount:       b.count,
		Lat:            lat,
		Lon:            lon,
		Elevation:      elevation,
		Speed:          float32(speed),
		Heading:        float32(wrapDeg(o.heading + bsmHeadingSigma*r.NormFloat64())),
		AccelLon:       float32(o.accel + bsmAccelSigma*r.NormFloat64()),
		AccelLat:       float32(o.accLat + bsmAccelSigma*r.NormFloat64()),
		YawRate:        float32(o.yawRate + bsmYawSigma*r.NormFloat64()),
		Length:         float32(o.length),
		Width:          float32(o.width),
		Class:          o.class,
		AccSemiMajor:   float32(math.Max(b.major, gnssMinReported)),
		AccSemiMinor:   float32(math.Max(b.minor, gnssMinReported)),
		AccOrientation: float32(b.orient),
	}
	b.count = (b.count + 1) % 128
	return m
}

package sim

import (
	"fmt"
	"math"
	"time"
)

// Config describes a simulated scenario. New uses it as given: call
// SetDefaults first to fill the zero fields with the defaults (so that a
// zero left in place after SetDefaults, e.g. Cameras = 0 set by a flag, is
// honoured).
type Config struct {
	Seed              int64
	RefLat, RefLon    float64 // intersection reference point; default 22.5431, 114.0579 (Shenzhen)
	VehiclesPerMin    float64 // arrivals per minute per approach; default 8
	PedestriansPerMin float64 // per crosswalk; default 2
	EquippedShare     float64 // share of vehicles sending BSM; default 0.3
	Cameras           int     // default 4; 0..12
	// Each camera's clock offset is drawn uniformly within ±this; default
	// 500ms.
	CameraClockOffsetMax time.Duration
	// GNSSSigma is the BSM position noise, metres (one sigma, on average:
	// each receiver's quality scales it by 0.7..1.3, and its error ellipse
	// has semi-axes 1.15 and 0.85 times that; BSMs report the receiver's
	// own ellipse); default 1.0.
	GNSSSigma      float64
	CameraDropRate float64 // extra share of camera frames dropped; default 0
	// CameraNoise is the camera error model: CameraNoiseCorrelated (the
	// zero value and default: calibration bias, time-correlated noise,
	// optimistic covariance, occlusion) or CameraNoiseWhite.
	CameraNoise CameraNoise
	// Dense makes a congested scenario with 200+ simultaneous objects:
	// legs of 300 m instead of 150 m, vehicle arrivals raised to at least
	// DenseVehiclesPerMin and pedestrian arrivals to at least
	// DensePedestriansPerMin, and a longer warm-up.
	Dense bool
	// RoadWorksEnd makes the roadside unit's road-works event end this
	// long after the start (its RSI then carries the end; the node
	// withdraws the event from subscribers when it passes); 0: open-ended.
	RoadWorksEnd time.Duration
	// NoSensorInfo keeps the cameras from declaring their fields of view
	// (MsgSensorInfo): the node must learn their coverage from what they
	// detect.
	NoSensorInfo bool
	// OracleNoBias (a diagnostic, not a scenario) has every camera
	// Output carry, in NoBias, its detections without the camera's
	// calibration bias: the judged node can be fed those (feed.Options
	// OracleNoBias) while the single-source shadows get the biased ones,
	// which measures what removing the biases exactly could reach.
	OracleNoBias bool
}

// Defaults.
const (
	DefaultRefLat               = 22.5431
	DefaultRefLon               = 114.0579
	DefaultVehiclesPerMin       = 8.0
	DefaultPedestriansPerMin    = 2.0
	DefaultEquippedShare        = 0.3
	DefaultCameras              = 4
	DefaultCameraClockOffsetMax = 500 * time.Millisecond
	DefaultGNSSSigma            = 1.0

	// Arrival rates a Dense scenario raises the configured ones to.
	DenseVehiclesPerMin    = 40.0
	DensePedestriansPerMin = 6.0
)

// Limits checked by Validate.
const (
	MaxCameras              = 12
	MaxVehiclesPerMin       = 120.0
	MaxPedestriansPerMin    = 60.0
	MaxGNSSSigma            = 100.0
	MaxCameraClockOffsetMax = time.Hour
)

// SetDefaults fills the zero fields with the defaults. The reference point
// is only filled when both RefLat and RefLon are zero.
func (c *Config) SetDefaults() {
	if c.RefLat == 0 && c.RefLon == 0 {
		c.RefLat, c.RefLon = DefaultRefLat, DefaultRefLon
	}
	if c.VehiclesPerMin == 0 {
		c.VehiclesPerMin = DefaultVehiclesPerMin
	}
	if c.PedestriansPerMin == 0 {
		c.PedestriansPerMin = DefaultPedestriansPerMin
	}
	if c.EquippedShare == 0 {
		c.EquippedShare = DefaultEquippedShare
	}
	if c.Cameras == 0 {
		c.Cameras = DefaultCameras
	}
	if c.CameraClockOffsetMax == 0 {
		c.CameraClockOffsetMax = DefaultCameraClockOffsetMax
	}
	if c.GNSSSigma == 0 {
		c.GNSSSigma = DefaultGNSSSigma
	}
}

// Validate reports the first field outside its allowed range.
func (c Config) Validate() error {
	in := func(v, lo, hi float64) bool { return v >= lo && v <= hi } // false for NaN
	switch {
	case !in(c.RefLat, -90, 90):
		return fmt.Errorf("sim: reference latitude %v outside -90..90", c.RefLat)
	case !in(c.RefLon, -180, 180):
		return fmt.Errorf("sim: reference longitude %v outside -180..180", c.RefLon)
	case !in(c.VehiclesPerMin, 0, MaxVehiclesPerMin):
		return fmt.Errorf("sim: vehicles per minute %v outside 0..%v", c.VehiclesPerMin, MaxVehiclesPerMin)
	case !in(c.PedestriansPerMin, 0, MaxPedestriansPerMin):
		return fmt.Errorf("sim: pedestrians per minute %v outside 0..%v", c.PedestriansPerMin, MaxPedestriansPerMin)
	case !in(c.EquippedShare, 0, 1):
		return fmt.Errorf("sim: equipped share %v outside 0..1", c.EquippedShare)
	case c.Cameras < 0 || c.Cameras > MaxCameras:
		return fmt.Errorf("sim: %d cameras outside 0..%d", c.Cameras, MaxCameras)
	case c.CameraClockOffsetMax < 0 || c.CameraClockOffsetMax > MaxCameraClockOffsetMax:
		return fmt.Errorf("sim: camera clock offset bound %v outside 0..%v", c.CameraClockOffsetMax, MaxCameraClockOffsetMax)
	case !in(c.GNSSSigma, 0, MaxGNSSSigma):
		return fmt.Errorf("sim: gnss sigma %v m outside 0..%v", c.GNSSSigma, MaxGNSSSigma)
	case !in(c.CameraDropRate, 0, 1):
		return fmt.Errorf("sim: camera drop rate %v outside 0..1", c.CameraDropRate)
	case c.CameraNoise > CameraNoiseWhite:
		return fmt.Errorf("sim: unknown camera noise model %d", c.CameraNoise)
	case c.RoadWorksEnd < 0:
		return fmt.Errorf("sim: road works end %v before the start", c.RoadWorksEnd)
	}
	return nil
}

// effective returns the rates and leg length the scenario runs with.
func (c *Config) effective() (vehPerMin, pedPerMin, legLen float64) {
	vehPerMin, pedPerMin, legLen = c.VehiclesPerMin, c.PedestriansPerMin, legLength
	if c.Dense {
		vehPerMin = math.Max(vehPerMin, DenseVehiclesPerMin)
		pedPerMin = math.Max(pedPerMin, DensePedestriansPerMin)
		legLen = denseLegLength
	}
	return vehPerMin, pedPerMin, legLen
}

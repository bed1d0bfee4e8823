package trust

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Config tunes the checks. Zero fields take the defaults in SetDefaults;
// thresholds follow from physical limits and from the noise the messages
// themselves report, not from any one scenario.
type Config struct {
	// Disabled turns every check off (the node believes everything, as
	// before trust existed); for comparison and benchmarks.
	Disabled bool `json:"disabled"`

	MaxSpeedVehicle   float64 `json:"max_speed_vehicle"`   // m/s: no road vehicle reports more (70)
	MaxSpeedSlow      float64 `json:"max_speed_slow"`      // m/s: pedestrians and cyclists (15)
	SpeedLimitFactor  float64 `json:"speed_limit_factor"`  // a speed above factor × the MAP's limit + margin is implausible (2)
	SpeedLimitMargin  float64 `json:"speed_limit_margin"`  // m/s (5)
	MaxAccel          float64 `json:"max_accel"`           // m/s²: beyond 1.2 g no car brakes or accelerates (12)
	PosSigmas         float64 `json:"pos_sigmas"`          // consistency tolerances are this many reported sigmas (6)
	PosMargin         float64 `json:"pos_margin"`          // m added to every position tolerance (2)
	ReplayAge         Dur     `json:"replay_age"`          // a message this much older than the newest of its vehicle is a replay (2 s)
	IDLinger          Dur     `json:"id_linger"`           // how long a vehicle id's last state is kept (30 s)
	OffRoadMargin     float64 `json:"off_road_margin"`     // m beyond a lane's edge (plus PosSigmas sigmas) still on the road (3)
	AppearanceWarmup  Dur     `json:"appearance_warmup"`   // a source's new ids count as appearing only after it sent this long (3 s)
	CoverageCell      float64 `json:"coverage_cell"`       // m, side of a camera coverage cell (4)
	CoverageMemory    Dur     `json:"coverage_memory"`     // a cell is covered while cameras detected something in it this recently (60 s)
	CameraAlive       Dur     `json:"camera_alive"`        // cameras count as running while a detection arrived this recently (1 s)
	CoverageLearn     Dur     `json:"coverage_learn"`      // a camera's coverage is being learned this long after its first detection: claims where cameras may see are held (5 s)
	AppearanceSettle  Dur     `json:"appearance_settle"`   // a vehicle id first claimed inside a declared sector of a camera running this long appeared there, and is judged up to the sector's edge (1 s)
	GhostAfter        Dur     `json:"ghost_after"`         // time inside coverage without a camera detection near a claimed vehicle that appeared there (400 ms)
	GhostAfterEntered Dur     `json:"ghost_after_entered"` // ... and near one that came in from outside every declared sector (800 ms)
	GhostRadius       float64 `json:"ghost_radius"`        // m, plus half the vehicle's length: a camera detection this near a claimed vehicle supports it (5: 3 sigmas of a poor GNSS fix, 1.5 m, and the camera's error)
	SybilWindow       Dur     `json:"sybil_window"`        // two ids updating one track within this are one vehicle (300 ms)
	SignalTolerance   Dur     `json:"signal_tolerance"`    // SPAT timing slack (500 ms)
	BlockFor          Dur     `json:"block_for"`           // an object id with a finding is refused this long (10 s)
	QuarantineBelow   float64 `json:"quarantine_below"`    // trust score below which a source is quarantined (0.5)
	ReleaseAbove      float64 `json:"release_above"`       // ... and released when it recovers to this or above (0.7)
	RecoverPerSecond  float64 `json:"recover_per_second"`  // trust regained per second without findings (0.01)
	MaxExportedTrusts int     `json:"max_exported_trusts"` // sources in v2x_source_trust at most (32)

	// Cameras declares the detection areas of cameras that do not send
	// their own (SensorInfo frames); a camera's own declaration wins.
	Cameras []Camera `json:"cameras"`
}

// Dur is a time.Duration in configuration; it is the same as
// time.Duration in JSON (nanoseconds) and in code.
type Dur = time.Duration

// SetDefaults fills zero fields.
func (c *Config) SetDefaults() {
	f := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	d := func(p *Dur, v Dur) {
		if *p == 0 {
			*p = v
		}
	}
	f(&c.MaxSpeedVehicle, 70)
	f(&c.MaxSpeedSlow, 15)
	f(&c.SpeedLimitFactor, 2)
	f(&c.SpeedLimitMargin, 5)
	f(&c.MaxAccel, 12)
	f(&c.PosSigmas, 6)
	f(&c.PosMargin, 2)
	d(&c.ReplayAge, 2*time.Second)
	d(&c.IDLinger, 30*time.Second)
	f(&c.OffRoadMargin, 3)
	d(&c.AppearanceWarmup, 3*time.Second)
	f(&c.CoverageCell, 4)
	d(&c.CoverageMemory, 60*time.Second)
	d(&c.CameraAlive, time.Second)
	d(&c.CoverageLearn, 5*time.Second)
	d(&c.AppearanceSettle, time.Second)
	d(&c.GhostAfter, 400*time.Millisecond)
	d(&c.GhostAfterEntered, 800*time.Millisecond)
	f(&c.GhostRadius, 5)
	d(&c.SybilWindow, 300*time.Millisecond)
	d(&c.SignalTolerance, 500*time.Millisecond)
	d(&c.BlockFor, 10*time.Second)
	f(&c.QuarantineBelow, 0.5)
	f(&c.ReleaseAbove, 0.7)
	f(&c.RecoverPerSecond, 0.01)
	if c.MaxExportedTrusts == 0 {
		c.MaxExportedTrusts = 32
	}
}

// Camera is a camera's detection area declared by the operator, for a
// camera that cannot declare it itself (docs/protocol.md §5.15): the
// object lists with source id Sensor from producers of identity Identity
// (any identity allowed the camera kind when ""), a sector of an annulus
// around the camera, as a SensorInfo frame gives it. Declare no more than
// the camera reliably sees: inside a declared area, an equipped vehicle
// no camera detects is a ghost.
type Camera struct {
	Identity string  `json:"identity"`  // the camera producer's identity name; "": any
	Sensor   uint32  `json:"sensor"`    // its frames' Source
	Lat      float64 `json:"lat"`       // the camera's position, degrees
	Lon      float64 `json:"lon"`       // ...
	Heading  float64 `json:"heading"`   // degrees clockwise from north, [0, 360): where the sector is centred
	Opening  float64 `json:"opening"`   // degrees, (0, 360]: the horizontal opening angle
	Range    float64 `json:"range"`     // metres, (0, 1000]: the farthest it detects reliably
	MinRange float64 `json:"min_range"` // metres, [0, range): its blind zone
}

// maxCameraDecls bounds Config.Cameras.
const maxCameraDecls = 256

// Validate checks the declared cameras; the thresholds are taken as given
// (zero: default).
func (c *Config) Validate() error {
	var errs []error
	if len(c.Cameras) > maxCameraDecls {
		errs = append(errs, fmt.Errorf("cameras: %d declared, at most %d", len(c.Cameras), maxCameraDecls))
	}
	type key struct {
		id     string
		sensor uint32
	}
	seen := map[key]int{}
	for i, cm := range c.Cameras {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("cameras[%d] (identity %q, sensor %d): %s", i, cm.Identity, cm.Sensor, fmt.Sprintf(format, args...)))
		}
		if j, dup := seen[key{cm.Identity, cm.Sensor}]; dup {
			bad("declared again (cameras[%d])", j)
		}
		seen[key{cm.Identity, cm.Sensor}] = i
		for _, v := range []float64{cm.Lat, cm.Lon, cm.Heading, cm.Opening, cm.Range, cm.MinRange} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				bad("not finite")
				break
			}
		}
		switch {
		case !(math.Abs(cm.Lat) <= 90) || !(math.Abs(cm.Lon) <= 180) || (cm.Lat == 0 && cm.Lon == 0):
			bad("lat %v, lon %v is no position (want -90..90, -180..180, not 0, 0)", cm.Lat, cm.Lon)
		case !(cm.Heading >= 0 && cm.Heading < 360):
			bad("heading %v outside [0, 360)", cm.Heading)
		case !(cm.Opening > 0 && cm.Opening <= 360):
			bad("opening %v outside (0, 360]", cm.Opening)
		case !(cm.Range > 0 && cm.Range <= 1000):
			bad("range %v outside (0, 1000]", cm.Range)
		case !(cm.MinRange >= 0 && cm.MinRange < cm.Range):
			bad("min_range %v outside [0, range)", cm.MinRange)
		}
	}
	return errors.Join(errs...)
}

// UnmarshalJSON decodes a declared camera, refusing unknown fields (a
// misspelt "min_range" would otherwise declare a blind zone of 0).
func (c *Camera) UnmarshalJSON(b []byte) error {
	type plain Camera
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var p plain
	if err := d.Decode(&p); err != nil {
		return fmt.Errorf("camera: %w", err)
	}
	*c = Camera(p)
	return nil
}

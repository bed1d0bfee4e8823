package trust

import "time"

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
	GhostAfter        Dur     `json:"ghost_after"`         // camera time inside coverage without a detection near a claimed vehicle (350 ms)
	GhostRadius       float64 `json:"ghost_radius"`        // m: a camera detection this near a claimed vehicle supports it (8)
	SybilWindow       Dur     `json:"sybil_window"`        // two ids updating one track within this are one vehicle (300 ms)
	SignalTolerance   Dur     `json:"signal_tolerance"`    // SPAT timing slack (500 ms)
	BlockFor          Dur     `json:"block_for"`           // an object id with a finding is refused this long (10 s)
	QuarantineBelow   float64 `json:"quarantine_below"`    // trust score below which a source is quarantined (0.5)
	ReleaseAbove      float64 `json:"release_above"`       // ... and released when it recovers above (0.7)
	RecoverPerSecond  float64 `json:"recover_per_second"`  // trust regained per second without findings (0.01)
	MaxExportedTrusts int     `json:"max_exported_trusts"` // sources in v2x_source_trust at most (32)
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
	d(&c.GhostAfter, 400*time.Millisecond)
	f(&c.GhostRadius, 8)
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

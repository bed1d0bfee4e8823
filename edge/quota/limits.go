package quota

import (
	"errors"
	"fmt"
)

// Limits are one role's quotas. A zero field means no limit.
type Limits struct {
	FramesPerSec     float64 `json:"frames_per_sec"`     // frames of any type read
	ObjectsPerSec    float64 `json:"objects_per_sec"`    // measurements offered to fusion (objects, BSMs)
	BytesInFlight    int64   `json:"bytes_in_flight"`    // frame buffer bytes held by the identity's streams, beyond 4 KiB each
	Connections      int     `json:"connections"`        // open at once
	Streams          int     `json:"streams"`            // open at once, over all connections
	Subscriptions    int     `json:"subscriptions"`      // open at once
	SubscribesPerSec float64 `json:"subscribes_per_sec"` // Subscribe and Resync frames; bursts of up to max(this, subscriptions)
	// SubscribesPerStream bounds the Subscribe and Resync frames of one
	// stream (a second's worth of burst), within SubscribesPerSec: a
	// subscription changes its region or asks for a keyframe now and
	// then, while a thousand subscriptions under one identity each
	// subscribe once, so one stream cannot spend the identity's rate on
	// keyframes of ever new views.
	SubscribesPerStream float64 `json:"subscribes_per_stream"`
	MapsPerSec          float64 `json:"maps_per_sec"` // MAP frames
	// LiveObjects is how many objects the identity's measurements may
	// keep in the fused world at once: tracks they started that are still
	// alive. Past it, its measurements still update the objects it holds,
	// but start no new ones, so that one identity cannot fill the world
	// (and every subscriber's state) with objects of its own.
	LiveObjects int `json:"live_objects"`
}

// Union is the most generous of a and b, field by field (0, no limit,
// wins).
func (a Limits) Union(b Limits) Limits {
	f := func(x, y float64) float64 {
		if x == 0 || y == 0 {
			return 0
		}
		return max(x, y)
	}
	i := func(x, y int64) int64 {
		if x == 0 || y == 0 {
			return 0
		}
		return max(x, y)
	}
	return Limits{
		FramesPerSec: f(a.FramesPerSec, b.FramesPerSec), ObjectsPerSec: f(a.ObjectsPerSec, b.ObjectsPerSec),
		BytesInFlight: i(a.BytesInFlight, b.BytesInFlight), Connections: int(i(int64(a.Connections), int64(b.Connections))),
		Streams: int(i(int64(a.Streams), int64(b.Streams))), Subscriptions: int(i(int64(a.Subscriptions), int64(b.Subscriptions))),
		SubscribesPerSec: f(a.SubscribesPerSec, b.SubscribesPerSec), SubscribesPerStream: f(a.SubscribesPerStream, b.SubscribesPerStream),
		MapsPerSec:  f(a.MapsPerSec, b.MapsPerSec),
		LiveObjects: int(i(int64(a.LiveObjects), int64(b.LiveObjects))),
	}
}

// Validate reports the fields that are negative.
func (a Limits) Validate() error {
	var errs []error
	for _, v := range []struct {
		name string
		v    float64
	}{{"frames_per_sec", a.FramesPerSec}, {"objects_per_sec", a.ObjectsPerSec}, {"bytes_in_flight", float64(a.BytesInFlight)},
		{"connections", float64(a.Connections)}, {"streams", float64(a.Streams)}, {"subscriptions", float64(a.Subscriptions)},
		{"subscribes_per_sec", a.SubscribesPerSec}, {"subscribes_per_stream", a.SubscribesPerStream}, {"maps_per_sec", a.MapsPerSec}, {"live_objects", float64(a.LiveObjects)}} {
		if !(v.v >= 0) {
			errs = append(errs, fmt.Errorf("%s must be 0 (no limit) or positive, is %v", v.name, v.v))
		}
	}
	return errors.Join(errs...)
}

// Config is the quotas of each role and the bound on identity labels.
type Config struct {
	Producer   Limits `json:"producer"`
	Subscriber Limits `json:"subscriber"`
	Operator   Limits `json:"operator"`
	// Anonymous applies to an identity without roles (a connection without
	// a client certificate, where the node accepts those).
	Anonymous Limits `json:"anonymous"`
	// LabelLimit is how many distinct identities get their own label in
	// v2x_quota_exceeded_total; later ones count as "other".
	LabelLimit int `json:"label_limit"`
}

// DefaultConfig is the quotas a node applies unless configured. They are
// generous for honest use of one identity, which may be a whole fleet: an
// RSU or a simulator standing in for all of an intersection's sources, a
// benchmark's thousand subscribers under one subscriber certificate. What
// they stop is one identity taking the node: unbounded frame and object
// floods, MAPs in a loop, Subscribe/Resync storms, connection and stream
// hoarding, large frames held half-sent.
//
// The producer's objects and live objects are sized from what real
// sources send (README, "Floods"): a roadside camera reports about 100
// objects at 10–30 Hz (up to 3 000 objects/s), so 20 000 objects/s is six
// such cameras under one identity with room to spare, and ten times
// v2x-sim's whole intersection (its default scenario peaks at 1 200
// measurements/s, the dense one at 4 100); 500 live objects is more than
// the dense scenario's busiest moment (343 road users at once) and five
// cameras' worth. Raise them in the config file's "quotas" for an
// identity that stands for more.
func DefaultConfig() Config {
	producer := Limits{FramesPerSec: 10000, ObjectsPerSec: 20000, BytesInFlight: 32 << 20, Connections: 64, Streams: 1024,
		Subscriptions: 64, SubscribesPerSec: 50, SubscribesPerStream: 10, MapsPerSec: 2, LiveObjects: 500}
	subscriber := Limits{FramesPerSec: 2000, ObjectsPerSec: 1, BytesInFlight: 4 << 20, Connections: 2048, Streams: 4096,
		Subscriptions: 4096, SubscribesPerSec: 200, SubscribesPerStream: 10, MapsPerSec: 1, LiveObjects: 1}
	operator := Limits{FramesPerSec: 100, ObjectsPerSec: 1, BytesInFlight: 1 << 20, Connections: 16, Streams: 64,
		Subscriptions: 16, SubscribesPerSec: 10, SubscribesPerStream: 10, MapsPerSec: 1, LiveObjects: 1}
	return Config{
		Producer:   producer,
		Subscriber: subscriber,
		Operator:   operator,
		Anonymous:  producer.Union(subscriber),
		LabelLimit: 32,
	}
}

// SetDefaults fills a zero Config with DefaultConfig and a zero LabelLimit
// with its default. Fields of a configured role are kept as given (0: no
// limit).
func (c *Config) SetDefaults() {
	d := DefaultConfig()
	if *c == (Config{}) {
		*c = d
		return
	}
	if c.LabelLimit == 0 {
		c.LabelLimit = d.LabelLimit
	}
}

// Validate reports every problem.
func (c *Config) Validate() error {
	var errs []error
	for _, r := range []struct {
		name string
		l    Limits
	}{{"producer", c.Producer}, {"subscriber", c.Subscriber}, {"operator", c.Operator}, {"anonymous", c.Anonymous}} {
		if err := r.l.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.name, err))
		}
	}
	if c.LabelLimit < 1 || c.LabelLimit > 1000 {
		errs = append(errs, fmt.Errorf("label_limit %d outside 1..1000", c.LabelLimit))
	}
	return errors.Join(errs...)
}

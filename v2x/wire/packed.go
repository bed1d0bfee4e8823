package wire

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// Broadcast precision. Update frames carry objects as integers at these
// resolutions (J2735 and CSAE 53 use the same 1e-7 degree and centimetre
// steps); a subscriber rebuilds each value as float(q)·resolution.
const (
	ResLatLon  = 1e-7 // degrees
	ResMetre   = 0.01 // E, N, length, width: metres
	ResSpeed   = 0.01 // m/s
	ResHeading = 0.01 // degrees
	ResCov     = 1e-4 // m²
)

// Fields of a PackedObject, in the order a delta record lists them.
const (
	PFMeta    = iota // class<<24 | sources<<16 | lane<<8 | approach
	PFLat            // ResLatLon
	PFLon            // ResLatLon
	PFE              // ResMetre
	PFN              // ResMetre
	PFSpeed          // ResSpeed
	PFHeading        // ResHeading
	PFLength         // ResMetre
	PFWidth          // ResMetre
	PFAge            // milliseconds
	PFCovEE          // ResCov
	PFCovEN          // ResCov
	PFCovNN          // ResCov
	NumPackedFields
)

var packedRes = [NumPackedFields]float64{1, ResLatLon, ResLatLon, ResMetre, ResMetre, ResSpeed, ResHeading,
	ResMetre, ResMetre, 1, ResCov, ResCov, ResCov}

// fullCircle is 360 degrees at ResHeading: a packed heading is below it.
const fullCircle = 36000

// maxPacked bounds every packed field, so that a hostile delta cannot
// overflow the sums a subscriber computes.
const maxPacked = 1 << 52

// PackedObject is a StateObject at broadcast precision.
type PackedObject struct {
	ID uint32
	F  [NumPackedFields]int64
}

func quant(v float64, res float64) int64 {
	q := math.Round(v / res)
	switch {
	case q != q: // NaN
		return 0
	case q > maxPacked:
		return maxPacked
	case q < -maxPacked:
		return -maxPacked
	}
	return int64(q)
}

// Pack sets p to o at broadcast precision.
func (p *PackedObject) Pack(o *StateObject) {
	p.ID = o.ID
	p.F[PFMeta] = int64(uint32(o.Class)<<24 | uint32(o.Sources)<<16 | uint32(o.Lane)<<8 | uint32(o.Approach))
	p.F[PFLat] = quant(o.Lat, ResLatLon)
	p.F[PFLon] = quant(o.Lon, ResLatLon)
	for i, v := range [...]float32{o.E, o.N, o.Speed, WrapHeading(o.Heading), o.Length, o.Width} {
		p.F[PFE+i] = quant(float64(v), packedRes[PFE+i])
	}
	if p.F[PFHeading] == fullCircle { // 359.995 and above round up to 360
		p.F[PFHeading] = 0
	}
	p.F[PFAge] = int64(o.AgeMS)
	p.F[PFCovEE] = quant(float64(o.CovEE), ResCov)
	p.F[PFCovEN] = quant(float64(o.CovEN), ResCov)
	p.F[PFCovNN] = quant(float64(o.CovNN), ResCov)
}

// Unpack sets o to the values p stands for.
func (p *PackedObject) Unpack(o *StateObject) {
	m := uint32(p.F[PFMeta])
	o.ID = p.ID
	o.Class, o.Sources, o.Lane, o.Approach = v2x.Class(m>>24), uint8(m>>16), uint8(m>>8), uint8(m)
	o.Lat = float64(p.F[PFLat]) * ResLatLon
	o.Lon = float64(p.F[PFLon]) * ResLatLon
	f := func(i int) float32 { return float32(float64(p.F[i]) * packedRes[i]) }
	o.E, o.N, o.Speed, o.Heading, o.Length, o.Width = f(PFE), f(PFN), f(PFSpeed), f(PFHeading), f(PFLength), f(PFWidth)
	o.AgeMS = uint32(p.F[PFAge])
	o.CovEE, o.CovEN, o.CovNN = f(PFCovEE), f(PFCovEN), f(PFCovNN)
}

// PackedState is a State at broadcast precision, objects sorted by ID.
type PackedState struct {
	IngestNS     int64
	Intersection uint32
	Flags        uint32
	Objects      []PackedObject
	Signals      []SignalState
}

// Unpack sets s to the state p stands for, reusing s's slices.
func (p *PackedState) Unpack(s *State) {
	s.IngestNS, s.Intersection, s.Flags = p.IngestNS, p.Intersection, p.Flags
	s.Objects = grow(s.Objects, len(p.Objects))
	for i := range p.Objects {
		p.Objects[i].Unpack(&s.Objects[i])
	}
	s.Signals = append(s.Signals[:0], p.Signals...)
}

// AppendDelta appends the encoding of cur relative to base; with a nil base
// it encodes a keyframe. Both must have their objects sorted by ascending,
// unique ID (the encoder does not check). Each object is its ID (as the
// difference from the previous one), a bit mask of the fields that differ
// from the base object with the same ID (or from zero when the base has
// none), and those differences as zig-zag varints. Objects missing from
// cur are gone. Signals follow in full.
func AppendDelta(b []byte, base, cur *PackedState) []byte {
	b = appendU64(b, uint64(cur.IngestNS))
	b = appendU32(b, cur.Intersection)
	b = appendU32(b, cur.Flags)
	b = binary.AppendUvarint(b, uint64(len(cur.Objects)))
	b = binary.AppendUvarint(b, uint64(len(cur.Signals)))
	var zero PackedObject
	var prev uint32
	j := 0
	for i := range cur.Objects {
		o := &cur.Objects[i]
		ref := &zero
		if base != nil {
			for j < len(base.Objects) && base.Objects[j].ID < o.ID {
				j++
			}
			if j < len(base.Objects) && base.Objects[j].ID == o.ID {
				ref = &base.Objects[j]
			}
		}
		b = binary.AppendUvarint(b, uint64(o.ID-prev))
		prev = o.ID
		var mask uint64
		for k := range o.F {
			if o.F[k] != ref.F[k] {
				mask |= 1 << k
			}
		}
		b = binary.AppendUvarint(b, mask)
		for k := range o.F {
			if mask&(1<<k) != 0 {
				b = binary.AppendVarint(b, o.F[k]-ref.F[k])
			}
		}
	}
	for i := range cur.Signals {
		b = appendSignal(b, &cur.Signals[i])
	}
	return b
}

func appendSignal(b []byte, g *SignalState) []byte {
	b = append(b, g.Phase, byte(g.State), g.Confidence, 0)
	b = appendU32(b, uint32(g.MinEndMS))
	b = appendU32(b, uint32(g.LikelyEndMS))
	return appendU32(b, uint32(g.MaxEndMS))
}

// ApplyDelta decodes a body made by AppendDelta against base (nil for a
// keyframe) into out, reusing out's slices. out must not be base.
func ApplyDelta(p []byte, base, out *PackedState) error {
	d := dec{b: p}
	out.IngestNS = d.i64()
	out.Intersection = d.u32()
	out.Flags = d.u32()
	if d.bad {
		return fmt.Errorf("delta: %w: %d-byte head", ErrTruncated, len(p))
	}
	no, err := d.uvarint()
	if err != nil {
		return fmt.Errorf("delta: object count: %w", err)
	}
	ns, err := d.uvarint()
	if err != nil {
		return fmt.Errorf("delta: signal count: %w", err)
	}
	if no > MaxStateObjects || ns > MaxSignals {
		return fmt.Errorf("delta: %w: %d objects, %d signals (max %d, %d)", ErrInvalid, no, ns, MaxStateObjects, MaxSignals)
	}
	out.Objects = grow(out.Objects, int(no))
	var zero PackedObject
	var id uint64
	j := 0
	for i := range out.Objects {
		o := &out.Objects[i]
		step, err := d.uvarint()
		if err != nil {
			return fmt.Errorf("delta: object %d id: %w", i, err)
		}
		if i > 0 && step == 0 {
			return fmt.Errorf("delta: %w: object %d repeats id %d", ErrInvalid, i, id)
		}
		if id += step; id > math.MaxUint32 {
			return fmt.Errorf("delta: %w: object %d id beyond 32 bits", ErrInvalid, i)
		}
		o.ID = uint32(id)
		ref := &zero
		if base != nil {
			for j < len(base.Objects) && base.Objects[j].ID < o.ID {
				j++
			}
			if j < len(base.Objects) && base.Objects[j].ID == o.ID {
				ref = &base.Objects[j]
			}
		}
		mask, err := d.uvarint()
		if err != nil {
			return fmt.Errorf("delta: object %d mask: %w", o.ID, err)
		}
		if mask >= 1<<NumPackedFields {
			return fmt.Errorf("delta: %w: object %d field mask %#x", ErrInvalid, o.ID, mask)
		}
		o.F = ref.F
		for k := range o.F {
			if mask&(1<<k) == 0 {
				continue
			}
			v, err := d.varint()
			if err != nil {
				return fmt.Errorf("delta: object %d field %d: %w", o.ID, k, err)
			}
			if v > 2*maxPacked || v < -2*maxPacked {
				return fmt.Errorf("delta: %w: object %d field %d step %d", ErrInvalid, o.ID, k, v)
			}
			if o.F[k] += v; o.F[k] > maxPacked || o.F[k] < -maxPacked {
				return fmt.Errorf("delta: %w: object %d field %d value %d", ErrInvalid, o.ID, k, o.F[k])
			}
		}
		if m := o.F[PFMeta]; m < 0 || m > math.MaxUint32 || o.F[PFAge] < 0 || o.F[PFAge] > math.MaxUint32 {
			return fmt.Errorf("delta: %w: object %d class/age out of range", ErrInvalid, o.ID)
		}
	}
	if len(d.b) != int(ns)*SignalLen {
		return checkLen(fmt.Sprintf("delta: %d signals", ns), len(d.b), int(ns)*SignalLen)
	}
	out.Signals = grow(out.Signals, int(ns))
	for i := range out.Signals {
		g := &out.Signals[i]
		g.Phase = d.u8()
		g.State = v2x.LightState(d.u8())
		g.Confidence = d.u8()
		d.u8()
		g.MinEndMS = d.i32()
		g.LikelyEndMS = d.i32()
		g.MaxEndMS = d.i32()
	}
	return nil
}

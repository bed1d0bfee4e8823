package j2735

import (
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// BSMFromModel fills m from the node's model (for simulators and tests):
// the low 32 bits of VehicleID as the TemporaryID, secMark the
// milliseconds within the minute of the capture; brakes and transmission
// unavailable; no Part II.
func BSMFromModel(in *v2x.BSM, secMark int, m *BSM) {
	r := func(v float64) int { return int(math.Round(v)) }
	clamp := func(v, lo, hi int) int { return max(lo, min(v, hi)) }
	c := &m.Core
	*c = BSMCore{
		MsgCnt:       int(in.MsgCount & 127),
		ID:           [4]byte{byte(in.VehicleID >> 24), byte(in.VehicleID >> 16), byte(in.VehicleID >> 8), byte(in.VehicleID)},
		SecMark:      clamp(secMark, 0, 65535),
		Lat:          int64(r(in.Lat * 1e7)),
		Long:         int64(r(in.Lon * 1e7)),
		Elev:         clamp(r(float64(in.Elevation)*10), -4095, 61439),
		SemiMajor:    255,
		SemiMinor:    255,
		Orientation:  65535,
		Transmission: 7, // unavailable
		Speed:        clamp(r(float64(in.Speed)/0.02), 0, 8190),
		Heading:      clamp(r(math.Mod(float64(in.Heading)+360, 360)/0.0125), 0, 28799),
		Angle:        127,
		AccLong:      clamp(r(float64(in.AccelLon)*100), -2000, 2000),
		AccLat:       clamp(r(float64(in.AccelLat)*100), -2000, 2000),
		AccVert:      clamp(r(float64(in.AccelVert)/(0.02*9.80665)), -126, 127),
		Yaw:          clamp(r(float64(in.YawRate)*100), -32767, 32767),
		Width:        clamp(r(float64(in.Width)*100), 0, 1023),
		Length:       clamp(r(float64(in.Length)*100), 0, 4095),
	}
	if in.AccSemiMajor > 0 {
		c.SemiMajor = clamp(r(float64(in.AccSemiMajor)/0.05), 0, 254)
		c.SemiMinor = clamp(r(float64(in.AccSemiMinor)/0.05), 0, 254)
		c.Orientation = clamp(r(float64(in.AccOrientation)*65535/360), 0, 65534)
	}
	m.PartII, m.Regional = m.PartII[:0], m.Regional[:0]
}

// ToModel converts the core data to the node's BSM. Unavailable values
// become zero (speed, accelerations, size) or NaN (position); the caller's
// validation refuses a BSM without a position.
func (m *BSM) ToModel(out *v2x.BSM) {
	c := &m.Core
	*out = v2x.BSM{MsgCount: uint8(c.MsgCnt), Class: v2x.ClassCar}
	out.VehicleID = uint64(c.ID[0])<<24 | uint64(c.ID[1])<<16 | uint64(c.ID[2])<<8 | uint64(c.ID[3])
	out.Lat, out.Lon = math.NaN(), math.NaN()
	if c.Lat != 900000001 && c.Long != 1800000001 {
		out.Lat, out.Lon = float64(c.Lat)*1e-7, float64(c.Long)*1e-7
	}
	if c.Elev != -4096 {
		out.Elevation = float32(c.Elev) * 0.1
	}
	if c.Speed != 8191 {
		out.Speed = float32(c.Speed) * 0.02
	}
	if c.Heading != 28800 {
		out.Heading = float32(c.Heading) * 0.0125
	}
	if c.AccLong != 2001 {
		out.AccelLon = float32(c.AccLong) * 0.01
	}
	if c.AccLat != 2001 {
		out.AccelLat = float32(c.AccLat) * 0.01
	}
	if c.AccVert != -127 {
		out.AccelVert = float32(c.AccVert) * 0.02 * 9.80665
	}
	out.YawRate = float32(c.Yaw) * 0.01
	out.Width, out.Length = float32(c.Width)*0.01, float32(c.Length)*0.01
	if c.SemiMajor != 255 {
		out.AccSemiMajor, out.AccSemiMinor = float32(c.SemiMajor)*0.05, float32(c.SemiMinor)*0.05
		if c.Orientation != 65535 {
			out.AccOrientation = float32(float64(c.Orientation) * 360 / 65535)
		}
	}
}

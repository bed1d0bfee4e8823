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

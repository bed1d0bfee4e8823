package j2735

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// BSM is a BasicSafetyMessage: the core data decoded, Part II and regional
// extensions kept as their open types so that re-encoding is exact.
type BSM struct {
	Core     BSMCore
	PartII   []Extension // SEQUENCE (SIZE(1..8)) OF PartIIcontent; nil if absent
	Regional []Extension // SEQUENCE (SIZE(1..4)) OF RegionalExtension; nil if absent
}

// Extension is a PartIIcontent or RegionalExtension: an id and its value's
// UPER.
type Extension struct {
	ID    int
	Value []byte
}

// BSMcore is BSMcoreData, in J2735 units.
type BSMCore struct {
	MsgCnt                         int     // 0..127
	ID                             [4]byte // TemporaryID
	SecMark                        int     // ms within the minute, 65535 unavailable
	Lat, Long                      int64   // 1e-7 degree; 900000001 / 1800000001 unavailable
	Elev                           int     // 0.1 m; -4096 unavailable
	SemiMajor, SemiMinor           int     // 0.05 m; 255 unavailable
	Orientation                    int     // 360/65535 degree; 65535 unavailable
	Transmission                   int     // TransmissionState
	Speed                          int     // 0.02 m/s; 8191 unavailable
	Heading                        int     // 0.0125 degree; 28800 unavailable
	Angle                          int     // 1.5 degree; 127 unavailable
	AccLong, AccLat                int     // 0.01 m/s²; 2001 unavailable
	AccVert                        int     // 0.02 G; -127 unavailable
	Yaw                            int     // 0.01 degree/s
	WheelBrakes                    uint8   // BIT STRING (SIZE(5)), first bit highest
	Traction, ABS, SCS, BrakeBoost int     // enumerations
	AuxBrakes                      int
	Width, Length                  int // cm
}

// Enumeration names, as XER and v2x-decode spell them.
var (
	TransmissionNames = []string{"neutral", "park", "forwardGears", "reverseGears", "reserved1", "reserved2", "reserved3", "unavailable"}
	TractionNames     = []string{"unavailable", "off", "on", "engaged"} // also abs and scs
	BrakeBoostNames   = []string{"unavailable", "off", "on"}
	AuxBrakesNames    = []string{"unavailable", "off", "on", "reserved"}
)

// DecodeBSM decodes a BasicSafetyMessage value into m; see
// Decoder.DecodeBSM.
func DecodeBSM(b []byte, m *BSM) error {
	var d Decoder
	return d.DecodeBSM(b, m)
}

// DecodeBSM decodes a BasicSafetyMessage value (a MessageFrame's Value
// with id IDBSM) into m, reusing its slices.
func (dec *Decoder) DecodeBSM(b []byte, m *BSM) error {
	d := &dec.d
	d.Reset(b)
	ext, opt := d.Preamble("BasicSafetyMessage", true, 2)
	decodeCore(d, &m.Core)
	m.PartII = decodeExtensions(d, &partIIFields, opt&2 != 0, 8, 63, m.PartII)
	m.Regional = decodeExtensions(d, &regionalFields, opt&1 != 0, 4, 255, m.Regional)
	if ext {
		d.SkipExtensions("BasicSafetyMessage.<extensions>")
	}
	if err := d.Err(); err != nil {
		return fmt.Errorf("j2735 bsm: %w", err)
	}
	if d.BytesUsed() != len(b) {
		return fmt.Errorf("j2735 bsm: %d bytes after the message", len(b)-d.BytesUsed())
	}
	return nil
}

// extFields names a list of extensions' components in errors.
type extFields struct{ list, id, value string }

var (
	partIIFields   = extFields{"partII", "partII.partII-Id", "partII.partII-Value"}
	regionalFields = extFields{"regional", "regional.regionId", "regional.regExtValue"}
)

func decodeExtensions(d *uper.Decoder, names *extFields, present bool, maxN int, maxID int64, dst []Extension) []Extension {
	field := names.list
	if !present {
		return dst[:0:0]
	}
	n := d.SizedLength(field, 1, maxN, false)
	if d.Err() != nil {
		return dst[:0]
	}
	if cap(dst) < n {
		dst = append(dst[:cap(dst)], make([]Extension, n-cap(dst))...)
	}
	dst = dst[:n] // reuse the values' storage from an earlier decode
	for i := range dst {
		x := &dst[i]
		x.ID = int(d.Constrained(names.id, 0, maxID))
		x.Value = d.OpenType(names.value, x.Value[:0])
	}
	return dst
}

func decodeCore(d *uper.Decoder, c *BSMCore) {
	c.MsgCnt = int(d.Constrained("coreData.msgCnt", 0, 127))
	d.Octets("coreData.id", 4, c.ID[:0])
	c.SecMark = int(d.Constrained("coreData.secMark", 0, 65535))
	c.Lat = d.Constrained("coreData.lat", -900000000, 900000001)
	c.Long = d.Constrained("coreData.long", -1799999999, 1800000001)
	c.Elev = int(d.Constrained("coreData.elev", -4096, 61439))
	c.SemiMajor = int(d.Constrained("coreData.accuracy.semiMajor", 0, 255))
	c.SemiMinor = int(d.Constrained("coreData.accuracy.semiMinor", 0, 255))
	c.Orientation = int(d.Constrained("coreData.accuracy.orientation", 0, 65535))
	c.Transmission, _ = d.Enum("coreData.transmission", 8, false)
	c.Speed = int(d.Constrained("coreData.speed", 0, 8191))
	c.Heading = int(d.Constrained("coreData.heading", 0, 28800))
	c.Angle = int(d.Constrained("coreData.angle", -126, 127))
	c.AccLong = int(d.Constrained("coreData.accelSet.long", -2000, 2001))
	c.AccLat = int(d.Constrained("coreData.accelSet.lat", -2000, 2001))
	c.AccVert = int(d.Constrained("coreData.accelSet.vert", -127, 127))
	c.Yaw = int(d.Constrained("coreData.accelSet.yaw", -32767, 32767))
	c.WheelBrakes = uint8(d.BitString("coreData.brakes.wheelBrakes", 5))
	c.Traction, _ = d.Enum("coreData.brakes.traction", 4, false)
	c.ABS, _ = d.Enum("coreData.brakes.abs", 4, false)
	c.SCS, _ = d.Enum("coreData.brakes.scs", 4, false)
	c.BrakeBoost, _ = d.Enum("coreData.brakes.brakeBoost", 3, false)
	c.AuxBrakes, _ = d.Enum("coreData.brakes.auxBrakes", 4, false)
	c.Width = int(d.Constrained("coreData.size.width", 0, 1023))
	c.Length = int(d.Constrained("coreData.size.length", 0, 4095))
}

// AppendBSM appends the UPER of m (a MessageFrame value).
func AppendBSM(b []byte, m *BSM) ([]byte, error) {
	var e uper.Encoder
	e.Reset(b[len(b):])
	var opt uint64
	if m.PartII != nil {
		opt |= 2
	}
	if m.Regional != nil {
		opt |= 1
	}
	e.Preamble(true, false, 2, opt)
	c := &m.Core
	e.Constrained("msgCnt", int64(c.MsgCnt), 0, 127)
	e.Octets(c.ID[:])
	e.Constrained("secMark", int64(c.SecMark), 0, 65535)
	e.Constrained("lat", c.Lat, -900000000, 900000001)
	e.Constrained("long", c.Long, -1799999999, 1800000001)
	e.Constrained("elev", int64(c.Elev), -4096, 61439)
	e.Constrained("semiMajor", int64(c.SemiMajor), 0, 255)
	e.Constrained("semiMinor", int64(c.SemiMinor), 0, 255)
	e.Constrained("orientation", int64(c.Orientation), 0, 65535)
	e.Enum("transmission", c.Transmission, 8, false)
	e.Constrained("speed", int64(c.Speed), 0, 8191)
	e.Constrained("heading", int64(c.Heading), 0, 28800)
	e.Constrained("angle", int64(c.Angle), -126, 127)
	e.Constrained("accelSet.long", int64(c.AccLong), -2000, 2001)
	e.Constrained("accelSet.lat", int64(c.AccLat), -2000, 2001)
	e.Constrained("accelSet.vert", int64(c.AccVert), -127, 127)
	e.Constrained("accelSet.yaw", int64(c.Yaw), -32767, 32767)
	e.Bits(uint64(c.WheelBrakes), 5)
	e.Enum("traction", c.Traction, 4, false)
	e.Enum("abs", c.ABS, 4, false)
	e.Enum("scs", c.SCS, 4, false)
	e.Enum("brakeBoost", c.BrakeBoost, 3, false)
	e.Enum("auxBrakes", c.AuxBrakes, 4, false)
	e.Constrained("size.width", int64(c.Width), 0, 1023)
	e.Constrained("size.length", int64(c.Length), 0, 4095)
	for _, l := range []struct {
		xs    []Extension
		max   int
		maxID int64
	}{{m.PartII, 8, 63}, {m.Regional, 4, 255}} {
		if l.xs == nil {
			continue
		}
		e.SizedLength("extensions", len(l.xs), 1, l.max, false)
		for _, x := range l.xs {
			e.Constrained("extension id", int64(x.ID), 0, l.maxID)
			e.OpenType("extension value", x.Value)
		}
	}
	out, err := e.Bytes()
	return append(b, out...), err
}

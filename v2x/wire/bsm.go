package wire

import "github.com/v2x-edge/v2x-edge/v2x"

// BSMLen is the size of a native BSM payload.
const BSMLen = 76

// AppendBSM appends the native encoding of m.
func AppendBSM(b []byte, m *v2x.BSM) []byte {
	b = appendU64(b, m.VehicleID)
	b = append(b, m.MsgCount, byte(m.Class), 0, 0)
	b = appendF64(b, m.Lat)
	b = appendF64(b, m.Lon)
	for _, f := range [...]float32{m.Elevation, m.Speed, m.Heading, m.AccelLon, m.AccelLat,
		m.AccelVert, m.YawRate, m.Length, m.Width, m.AccSemiMajor, m.AccSemiMinor, m.AccOrientation} {
		b = appendF32(b, f)
	}
	return b
}

// DecodeBSM decodes a native BSM payload into m.
func DecodeBSM(p []byte, m *v2x.BSM) error {
	if err := checkLen("bsm", len(p), BSMLen); err != nil {
		return err
	}
	d := dec{b: p}
	m.VehicleID = d.u64()
	m.MsgCount = d.u8()
	m.Class = v2x.Class(d.u8())
	d.u16()
	m.Lat = d.f64()
	m.Lon = d.f64()
	m.Elevation = d.f32()
	m.Speed = d.f32()
	m.Heading = d.f32()
	m.AccelLon = d.f32()
	m.AccelLat = d.f32()
	m.AccelVert = d.f32()
	m.YawRate = d.f32()
	m.Length = d.f32()
	m.Width = d.f32()
	m.AccSemiMajor = d.f32()
	m.AccSemiMinor = d.f32()
	m.AccOrientation = d.f32()
	return nil
}

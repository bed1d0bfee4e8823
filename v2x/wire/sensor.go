package wire

import "github.com/v2x-edge/v2x-edge/v2x"

// SensorInfoLen is the size of a native SensorInfo payload.
const SensorInfoLen = 40

// AppendSensorInfo appends the native encoding of m.
func AppendSensorInfo(b []byte, m *v2x.SensorInfo) []byte {
	b = appendU32(b, m.SensorID)
	b = append(b, 0, 0, 0, 0)
	b = appendF64(b, m.Lat)
	b = appendF64(b, m.Lon)
	for _, f := range [...]float32{m.Heading, m.Opening, m.Range, m.MinRange} {
		b = appendF32(b, f)
	}
	return b
}

// DecodeSensorInfo decodes a native SensorInfo payload into m.
func DecodeSensorInfo(p []byte, m *v2x.SensorInfo) error {
	if err := checkLen("sensor", len(p), SensorInfoLen); err != nil {
		return err
	}
	d := dec{b: p}
	m.SensorID = d.u32()
	d.u32()
	m.Lat = d.f64()
	m.Lon = d.f64()
	m.Heading = d.f32()
	m.Opening = d.f32()
	m.Range = d.f32()
	m.MinRange = d.f32()
	return nil
}

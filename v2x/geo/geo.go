// Package geo converts between WGS84 geodetic coordinates and a local
// east-north-up (ENU) tangent frame about a reference point, such as an
// intersection's MAP reference point.
//
// The conversion is exact (through earth-centred earth-fixed coordinates),
// not a flat-earth approximation, so it holds to well under a centimetre
// anywhere within tens of kilometres of the reference point.
package geo

import "math"

// WGS84 ellipsoid.
const (
	wgs84A  = 6378137.0
	wgs84F  = 1 / 298.257223563
	wgs84E2 = wgs84F * (2 - wgs84F)
	wgs84B  = wgs84A * (1 - wgs84F)
	wgs84P2 = wgs84E2 / (1 - wgs84E2) // second eccentricity squared
)

// Frame is a local ENU tangent frame. The zero value is not usable; create
// one with NewFrame. A Frame is immutable and safe for concurrent use.
type Frame struct {
	lat0, lon0, h0                 float64 // degrees, degrees, metres
	x0, y0, z0                     float64 // ECEF of the origin
	sinLat, cosLat, sinLon, cosLon float64
}

// NewFrame returns the ENU frame whose origin is the given WGS84 point
// (degrees, metres above the ellipsoid).
func NewFrame(lat, lon, h float64) Frame {
	f := Frame{lat0: lat, lon0: lon, h0: h}
	f.x0, f.y0, f.z0 = ToECEF(lat, lon, h)
	f.sinLat, f.cosLat = math.Sincos(lat * math.Pi / 180)
	f.sinLon, f.cosLon = math.Sincos(lon * math.Pi / 180)
	return f
}

// Origin returns the frame's reference point.
func (f *Frame) Origin() (lat, lon, h float64) { return f.lat0, f.lon0, f.h0 }

// ToENU returns the east, north and up offsets in metres of the WGS84 point
// from the frame origin.
func (f *Frame) ToENU(lat, lon, h float64) (e, n, u float64) {
	x, y, z := ToECEF(lat, lon, h)
	dx, dy, dz := x-f.x0, y-f.y0, z-f.z0
	e = -f.sinLon*dx + f.cosLon*dy
	t := f.cosLon*dx + f.sinLon*dy
	n = -f.sinLat*t + f.cosLat*dz
	u = f.cosLat*t + f.sinLat*dz
	return e, n, u
}

// FromENU returns the WGS84 point at the given east, north, up offsets in
// metres from the frame origin.
func (f *Frame) FromENU(e, n, u float64) (lat, lon, h float64) {
	t := -f.sinLat*n + f.cosLat*u
	dx := -f.sinLon*e + f.cosLon*t
	dy := f.cosLon*e + f.sinLon*t
	dz := f.cosLat*n + f.sinLat*u
	return FromECEF(f.x0+dx, f.y0+dy, f.z0+dz)
}

// ToECEF converts a WGS84 point (degrees, metres) to earth-centred
// earth-fixed coordinates in metres.
func ToECEF(lat, lon, h float64) (x, y, z float64) {
	sinLat, cosLat := math.Sincos(lat * math.Pi / 180)
	sinLon, cosLon := math.Sincos(lon * math.Pi / 180)
	nu := wgs84A / math.Sqrt(1-wgs84E2*sinLat*sinLat)
	x = (nu + h) * cosLat * cosLon
	y = (nu + h) * cosLat * sinLon
	z = (nu*(1-wgs84E2) + h) * sinLat
	return x, y, z
}

// FromECEF converts earth-centred earth-fixed coordinates in metres to a
// WGS84 point (degrees, metres). It uses Bowring's method refined by two
// iterations, which is accurate to well below a millimetre at terrestrial
// heights.
func FromECEF(x, y, z float64) (lat, lon, h float64) {
	p := math.Hypot(x, y)
	lon = math.Atan2(y, x)
	if p < 1e-9 { // on the polar axis
		lat = math.Copysign(math.Pi/2, z)
		return lat * 180 / math.Pi, 0, math.Abs(z) - wgs84B
	}
	// Bowring's initial estimate through the parametric latitude.
	beta := math.Atan2(z*wgs84A, p*wgs84B)
	var phi float64
	for i := 0; i < 3; i++ {
		sb, cb := math.Sincos(beta)
		phi = math.Atan2(z+wgs84P2*wgs84B*sb*sb*sb, p-wgs84E2*wgs84A*cb*cb*cb)
		beta = math.Atan2((1-wgs84F)*math.Sin(phi), math.Cos(phi))
	}
	sinPhi, cosPhi := math.Sincos(phi)
	nu := wgs84A / math.Sqrt(1-wgs84E2*sinPhi*sinPhi)
	if math.Abs(cosPhi) > 1e-3 {
		h = p/cosPhi - nu
	} else {
		h = z/sinPhi - nu*(1-wgs84E2)
	}
	return phi * 180 / math.Pi, lon * 180 / math.Pi, h
}

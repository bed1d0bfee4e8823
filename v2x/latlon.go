package v2x

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseLatLon parses "lat,lon" in decimal degrees and checks the range.
func ParseLatLon(s string) (lat, lon float64, err error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not lat,lon", s)
	}
	if lat, err = strconv.ParseFloat(strings.TrimSpace(a), 64); err != nil {
		return 0, 0, fmt.Errorf("latitude: %w", err)
	}
	if lon, err = strconv.ParseFloat(strings.TrimSpace(b), 64); err != nil {
		return 0, 0, fmt.Errorf("longitude: %w", err)
	}
	if !(math.Abs(lat) <= 90 && math.Abs(lon) <= 180) {
		return 0, 0, fmt.Errorf("%v,%v is not a WGS84 position", lat, lon)
	}
	return lat, lon, nil
}

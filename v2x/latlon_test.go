package v2x

import "testing"

func TestParseLatLon(t *testing.T) {
	tests := []struct {
		in       string
		lat, lon float64
		ok       bool
	}{
		{"22.5431,114.0579", 22.5431, 114.0579, true},
		{" -33.9 , 151.2 ", -33.9, 151.2, true},
		{"90,180", 90, 180, true},
		{"91,0", 0, 0, false},
		{"0,-181", 0, 0, false},
		{"NaN,0", 0, 0, false},
		{"22.5", 0, 0, false},
		{"a,b", 0, 0, false},
	}
	for _, tc := range tests {
		lat, lon, err := ParseLatLon(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseLatLon(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && (lat != tc.lat || lon != tc.lon) {
			t.Errorf("ParseLatLon(%q) = %v,%v, want %v,%v", tc.in, lat, lon, tc.lat, tc.lon)
		}
	}
}

func TestClassNamesRoundTrip(t *testing.T) {
	for c := Class(0); c.Valid(); c++ {
		got, err := ParseClass(c.String())
		if err != nil || got != c {
			t.Errorf("ParseClass(%q) = %v, %v", c.String(), got, err)
		}
	}
	if _, err := ParseClass("spaceship"); err == nil {
		t.Error("ParseClass accepted an unknown name")
	}
	if Class(200).Valid() || Class(200).String() != "class(200)" {
		t.Error("class 200 should be invalid and named class(200)")
	}
}

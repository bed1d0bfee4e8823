package geo

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Tolerances. The package requirement is 1 cm within 2 km of the reference
// point; the tests hold it to a tenth of that.
const (
	tolMetre  = 1e-3 // 1 mm
	tolDegree = 1e-9 // about 0.1 mm on the ground
)

// readTSV parses a whitespace-separated table of floats, skipping blank lines
// and lines starting with '#'. Every row must have cols columns.
func readTSV(t *testing.T, path string, cols int) [][]float64 {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var rows [][]float64
	sc := bufio.NewScanner(fh)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != cols {
			t.Fatalf("%s:%d: %d columns, want %d", path, line, len(fields), cols)
		}
		row := make([]float64, cols)
		for i, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s:%d: column %d: %v", path, line, i+1, err)
			}
			row[i] = v
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no data rows", path)
	}
	return rows
}

// lonDiff returns the absolute difference of two longitudes in degrees,
// taking the wrap at ±180 into account.
func lonDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 360)
	return math.Min(d, 360-d)
}

func isFinite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func TestToENUMatchesPROJ(t *testing.T) {
	rows := readTSV(t, "testdata/enu_proj.tsv", 9)
	var worst float64
	for _, r := range rows {
		f := NewFrame(r[0], r[1], r[2])
		e, n, u := f.ToENU(r[3], r[4], r[5])
		d := max(math.Abs(e-r[6]), math.Abs(n-r[7]), math.Abs(u-r[8]))
		worst = max(worst, d)
		if !(d <= tolMetre) {
			t.Errorf("ref (%v, %v, %v) point (%v, %v, %v): ToENU = (%.7f, %.7f, %.7f), PROJ (%.7f, %.7f, %.7f), off by %.3g m",
				r[0], r[1], r[2], r[3], r[4], r[5], e, n, u, r[6], r[7], r[8], d)
		}
	}
	t.Logf("%d points, worst ENU difference from PROJ %.3g m", len(rows), worst)
}

func TestFromENUMatchesPROJ(t *testing.T) {
	rows := readTSV(t, "testdata/enu_proj.tsv", 9)
	var worstDeg, worstH float64
	for _, r := range rows {
		f := NewFrame(r[0], r[1], r[2])
		lat, lon, h := f.FromENU(r[6], r[7], r[8])
		dLat, dLon, dH := math.Abs(lat-r[3]), lonDiff(lon, r[4]), math.Abs(h-r[5])
		worstDeg = max(worstDeg, dLat, dLon)
		worstH = max(worstH, dH)
		if !(dLat <= tolDegree && dLon <= tolDegree && dH <= tolMetre) {
			t.Errorf("ref (%v, %v, %v) ENU (%v, %v, %v): FromENU = (%.11f, %.11f, %.5f), PROJ (%.10f, %.10f, %.4f)",
				r[0], r[1], r[2], r[6], r[7], r[8], lat, lon, h, r[3], r[4], r[5])
		}
	}
	t.Logf("%d points, worst lat/lon difference %.3g deg, worst height difference %.3g m", len(rows), worstDeg, worstH)
}

func TestToECEFMatchesPROJ(t *testing.T) {
	rows := readTSV(t, "testdata/ecef_proj.tsv", 6)
	for _, r := range rows {
		x, y, z := ToECEF(r[0], r[1], r[2])
		d := max(math.Abs(x-r[3]), math.Abs(y-r[4]), math.Abs(z-r[5]))
		if !(d <= tolMetre) {
			t.Errorf("ToECEF(%v, %v, %v) = (%.7f, %.7f, %.7f), PROJ (%.7f, %.7f, %.7f), off by %.3g m",
				r[0], r[1], r[2], x, y, z, r[3], r[4], r[5], d)
		}
	}
}

func TestFromECEFMatchesPROJ(t *testing.T) {
	rows := readTSV(t, "testdata/ecef_proj.tsv", 6)
	for _, r := range rows {
		lat, lon, h := FromECEF(r[3], r[4], r[5])
		if !isFinite(lat, lon, h) {
			t.Errorf("FromECEF(%v, %v, %v) = (%v, %v, %v), not finite", r[3], r[4], r[5], lat, lon, h)
			continue
		}
		// Compare longitude as a distance on the ground: the file's ECEF
		// values are rounded to 0.1 um, which near the poles is a visible
		// fraction of a degree of longitude. On the polar axis longitude is
		// arbitrary and this term vanishes.
		dLon := lonDiff(lon, r[1]) * math.Cos(r[0]*math.Pi/180)
		if math.Abs(lat-r[0]) > tolDegree || dLon > tolDegree || math.Abs(h-r[2]) > tolMetre {
			t.Errorf("FromECEF(%v, %v, %v) = (%.11f, %.11f, %.5f), want (%v, %v, %v)",
				r[3], r[4], r[5], lat, lon, h, r[0], r[1], r[2])
		}
	}
}

// randomOffset returns an ENU offset at most 2 km horizontally from the
// origin, uniformly over the disc, and 50 m below to 100 m above it.
func randomOffset(rng *rand.Rand) (e, n, u float64) {
	r := 2000 * math.Sqrt(rng.Float64())
	s, c := math.Sincos(2 * math.Pi * rng.Float64())
	return r * s, r * c, -50 + 150*rng.Float64()
}

func TestRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(20240601, 1))
	type ref struct{ lat, lon, h float64 }
	refs := []ref{
		{90, 0, 0}, {-90, 30, 10}, {89.99, 45, 0}, {-89.995, -120, 2000},
		{0, 180, 0}, {0, -180, 0}, {0.0001, 179.9999, -30}, {0, 0, 0},
	}
	for range 200 {
		refs = append(refs, ref{
			lat: -89.5 + 179*rng.Float64(),
			lon: -180 + 360*rng.Float64(),
			h:   -100 + 3100*rng.Float64(),
		})
	}
	var worstENU, worstDeg float64
	for _, rf := range refs {
		f := NewFrame(rf.lat, rf.lon, rf.h)
		for range 50 {
			e, n, u := randomOffset(rng)
			lat, lon, h := f.FromENU(e, n, u)
			e2, n2, u2 := f.ToENU(lat, lon, h)
			d := max(math.Abs(e2-e), math.Abs(n2-n), math.Abs(u2-u))
			worstENU = max(worstENU, d)
			if !(d <= tolMetre) {
				t.Fatalf("ref %+v: ENU (%v, %v, %v) -> (%v, %v, %v) -> ENU (%v, %v, %v), off by %.3g m",
					rf, e, n, u, lat, lon, h, e2, n2, u2, d)
			}
			// And geodetic -> ENU -> geodetic from the generated point.
			lat2, lon2, h2 := f.FromENU(e2, n2, u2)
			dLon := lonDiff(lon2, lon) * math.Cos(lat*math.Pi/180) // scaled to the ground
			dDeg := max(math.Abs(lat2-lat), dLon)
			worstDeg = max(worstDeg, dDeg)
			if !(dDeg <= tolDegree && math.Abs(h2-h) <= tolMetre) {
				t.Fatalf("ref %+v: (%v, %v, %v) -> ENU -> (%v, %v, %v)", rf, lat, lon, h, lat2, lon2, h2)
			}
		}
	}
	t.Logf("%d reference points x 50 offsets: worst ENU round trip %.3g m, worst geodetic round trip %.3g deg",
		len(refs), worstENU, worstDeg)
}

func TestOriginIsZero(t *testing.T) {
	for _, p := range [][3]float64{
		{22.5431, 114.0579, 12}, {39.79, 116.51, 35.5}, {-33.8688, 151.2093, 40},
		{60.1699, 24.9384, 18}, {90, 0, 0}, {-90, 0, -10}, {0, 180, 0}, {0, 0, 0},
	} {
		f := NewFrame(p[0], p[1], p[2])
		if lat, lon, h := f.Origin(); lat != p[0] || lon != p[1] || h != p[2] {
			t.Errorf("Origin() = (%v, %v, %v), want %v", lat, lon, h, p)
		}
		e, n, u := f.ToENU(p[0], p[1], p[2])
		if e != 0 || n != 0 || u != 0 {
			t.Errorf("frame at %v: ToENU(origin) = (%v, %v, %v), want (0, 0, 0)", p, e, n, u)
		}
		lat, lon, h := f.FromENU(0, 0, 0)
		if math.Abs(lat-p[0]) > tolDegree || math.Abs(h-p[2]) > tolMetre ||
			(math.Abs(p[0]) != 90 && lonDiff(lon, p[1]) > tolDegree) {
			t.Errorf("frame at %v: FromENU(0, 0, 0) = (%v, %v, %v)", p, lat, lon, h)
		}
	}
}

func TestENUAxes(t *testing.T) {
	// A small step north, east or up must show up on that axis alone.
	f := NewFrame(39.79, 116.51, 35.5)
	const step = 1e-6 // degrees, about 0.1 m
	if e, n, u := f.ToENU(39.79+step, 116.51, 35.5); !(n > 0.1 && math.Abs(e) < 1e-6 && math.Abs(u) < 1e-3) {
		t.Errorf("north step: (%v, %v, %v)", e, n, u)
	}
	if e, n, u := f.ToENU(39.79, 116.51+step, 35.5); !(e > 0.05 && math.Abs(n) < 1e-6 && math.Abs(u) < 1e-3) {
		t.Errorf("east step: (%v, %v, %v)", e, n, u)
	}
	if e, n, u := f.ToENU(39.79, 116.51, 36.5); math.Abs(e) > 1e-9 || math.Abs(n) > 1e-9 || math.Abs(u-1) > 1e-9 {
		t.Errorf("up step: (%v, %v, %v)", e, n, u)
	}
}

func TestFromECEFPoles(t *testing.T) {
	cases := []struct {
		name         string
		x, y, z      float64
		wantLat      float64
		wantH        float64
		checkH       bool
		skipAccuracy bool
	}{
		{name: "north pole", z: wgs84B, wantLat: 90, checkH: true},
		{name: "south pole", z: -wgs84B, wantLat: -90, checkH: true},
		{name: "above north pole", z: wgs84B + 1000, wantLat: 90, wantH: 1000, checkH: true},
		{name: "below south pole", z: -wgs84B + 50, wantLat: -90, wantH: -50, checkH: true},
		{name: "just off axis", x: 1e-10, y: -1e-10, z: wgs84B, wantLat: 90, checkH: true},
		{name: "1 um off axis", x: 1e-6, z: -wgs84B, wantLat: -90, checkH: true},
		{name: "1 mm off axis", x: 0, y: 1e-3, z: wgs84B + 10, wantLat: 90, wantH: 10, checkH: true},
		{name: "1 m off axis", x: -1, y: 0, z: wgs84B, wantLat: 90, checkH: true},
		{name: "earth centre", skipAccuracy: true},
	}
	for _, c := range cases {
		lat, lon, h := FromECEF(c.x, c.y, c.z)
		if !isFinite(lat, lon, h) {
			t.Errorf("%s: FromECEF(%v, %v, %v) = (%v, %v, %v), not finite", c.name, c.x, c.y, c.z, lat, lon, h)
			continue
		}
		if c.skipAccuracy {
			continue
		}
		// 1e-5 deg of latitude is about 1 m: the off-axis cases are up to
		// 1 m from the pole.
		if math.Abs(lat-c.wantLat) > 1e-5 {
			t.Errorf("%s: lat = %v, want %v", c.name, lat, c.wantLat)
		}
		if c.checkH && math.Abs(h-c.wantH) > tolMetre {
			t.Errorf("%s: h = %v, want %v", c.name, h, c.wantH)
		}
		// Round trip back to ECEF.
		x, y, z := ToECEF(lat, lon, h)
		if d := math.Max(math.Hypot(x-c.x, y-c.y), math.Abs(z-c.z)); d > tolMetre {
			t.Errorf("%s: ToECEF(FromECEF) off by %v m", c.name, d)
		}
	}
}

func TestFromECEFNearPoleSweep(t *testing.T) {
	// Latitudes close to the poles, where FromECEF switches its height
	// formula, across a range of heights.
	for _, lat := range []float64{89.9, 89.94, 89.95, 89.99, 89.9999, 89.9999999, -89.9, -89.95, -89.9999} {
		for _, h := range []float64{-100, 0, 50, 3000, 1e5} {
			x, y, z := ToECEF(lat, 17, h)
			lat2, lon2, h2 := FromECEF(x, y, z)
			if !isFinite(lat2, lon2, h2) || math.Abs(lat2-lat) > tolDegree || math.Abs(h2-h) > tolMetre {
				t.Errorf("FromECEF(ToECEF(%v, 17, %v)) = (%v, %v, %v)", lat, h, lat2, lon2, h2)
			}
		}
	}
}

var sinkF float64

func TestZeroAllocs(t *testing.T) {
	f := NewFrame(22.5431, 114.0579, 12)
	if a := testing.AllocsPerRun(100, func() {
		e, n, u := f.ToENU(22.55, 114.06, 30)
		sinkF = e + n + u
	}); a != 0 {
		t.Errorf("ToENU allocates %v times per call, want 0", a)
	}
	if a := testing.AllocsPerRun(100, func() {
		lat, lon, h := f.FromENU(500, -1200, 20)
		sinkF = lat + lon + h
	}); a != 0 {
		t.Errorf("FromENU allocates %v times per call, want 0", a)
	}
}

func BenchmarkToENU(b *testing.B) {
	f := NewFrame(22.5431, 114.0579, 12)
	b.ReportAllocs()
	var acc float64
	for i := 0; b.Loop(); i++ {
		e, n, u := f.ToENU(22.55+float64(i&1023)*1e-6, 114.06, 30)
		acc += e + n + u
	}
	sinkF = acc
}

func BenchmarkFromENU(b *testing.B) {
	f := NewFrame(22.5431, 114.0579, 12)
	b.ReportAllocs()
	var acc float64
	for i := 0; b.Loop(); i++ {
		lat, lon, h := f.FromENU(500+float64(i&1023)*1e-3, -1200, 20)
		acc += lat + lon + h
	}
	sinkF = acc
}

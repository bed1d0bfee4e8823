package wire

import (
	"bytes"
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// sampleBSM is a car approaching the intersection from the west, heading
// east at 40 km/h.
func sampleBSM() v2x.BSM {
	return v2x.BSM{
		VehicleID: 0x00000000a1b2c3d4, MsgCount: 87, Class: v2x.ClassCar,
		Lat: 22.543085, Lon: 114.057412, Elevation: 12.5,
		Speed: 11.11, Heading: 87.5, AccelLon: 0.35, AccelLat: -0.12, AccelVert: 0.02, YawRate: 1.5,
		Length: 4.8, Width: 1.85,
		AccSemiMajor: 1.2, AccSemiMinor: 0.8, AccOrientation: 30,
	}
}

var bsmCodec = payloadCodec{
	typ:    TypeBSM,
	header: Header{Source: 0x0101, Seq: 4242, Capture: captureNS},
	sample: func() []byte { m := sampleBSM(); return AppendBSM(nil, &m) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		var m v2x.BSM
		if err := DecodeBSM(p, &m); err != nil {
			return nil, err
		}
		return AppendBSM(nil, &m), nil
	},
	canon: func(p []byte) []byte {
		q := cloneBytes(p)
		q[10], q[11] = 0, 0 // reserved
		return q
	},
}

func TestBSMRoundTrip(t *testing.T) {
	nan := math.Float32frombits(0x7fa00001) // signalling NaN with a payload
	cases := []struct {
		name string
		m    v2x.BSM
	}{
		{"typical", sampleBSM()},
		{"zero", v2x.BSM{}},
		{"stopped pedestrian-sized", v2x.BSM{VehicleID: 1, Class: v2x.ClassMotorcycle, Lat: refLat, Lon: refLon, Heading: 359.99}},
		{"extremes", v2x.BSM{VehicleID: math.MaxUint64, MsgCount: 127, Class: v2x.ClassPedestrian,
			Lat: -90, Lon: 180, Elevation: -400, Speed: 100, Heading: 0, AccelLon: -9.81, YawRate: -180,
			Length: 25, Width: 2.6}},
		// The codec carries raw IEEE-754 bits; rejecting NaN is ingest's job.
		{"non-finite", v2x.BSM{Lat: math.NaN(), Lon: math.Inf(-1), Speed: nan, Heading: float32(math.Inf(1)),
			Elevation: float32(math.Copysign(0, -1))}},
		{"unknown class kept", v2x.BSM{Class: 200}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := AppendBSM(nil, &c.m)
			if len(p) != BSMLen {
				t.Fatalf("encoded %d bytes, want %d", len(p), BSMLen)
			}
			var got v2x.BSM
			if err := DecodeBSM(p, &got); err != nil {
				t.Fatal(err)
			}
			if !sameValue(got, c.m) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c.m)
			}
			if q := AppendBSM(nil, &got); !bytes.Equal(q, p) {
				t.Fatalf("re-encoding differs:\n%x\n%x", q, p)
			}
		})
	}
}

// TestBSMLayout pins field offsets independently of the golden file.
func TestBSMLayout(t *testing.T) {
	m := sampleBSM()
	p := AppendBSM([]byte{0xee}, &m)[1:] // appends after existing bytes
	if len(p) != 76 {
		t.Fatalf("BSM payload is %d bytes, want 76", len(p))
	}
	checks := []struct {
		off       int
		got, want uint64
	}{
		{0, be64(p, 0), m.VehicleID},
		{8, uint64(p[8]), uint64(m.MsgCount)},
		{9, uint64(p[9]), uint64(m.Class)},
		{10, uint64(p[10]) | uint64(p[11]), 0}, // reserved
		{12, be64(p, 12), math.Float64bits(m.Lat)},
		{20, be64(p, 20), math.Float64bits(m.Lon)},
	}
	for i, f := range []float32{m.Elevation, m.Speed, m.Heading, m.AccelLon, m.AccelLat, m.AccelVert,
		m.YawRate, m.Length, m.Width, m.AccSemiMajor, m.AccSemiMinor, m.AccOrientation} {
		off := 28 + 4*i
		checks = append(checks, struct {
			off       int
			got, want uint64
		}{off, uint64(be32(p, off)), uint64(math.Float32bits(f))})
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("offset %d: %#x, want %#x", c.off, c.got, c.want)
		}
	}
}

func TestDecodeBSMErrors(t *testing.T) {
	m := sampleBSM()
	p := AppendBSM(nil, &m)
	decode := func(q []byte) error { var m v2x.BSM; return DecodeBSM(q, &m) }
	checkPrefixes(t, p, decode)
	checkTrailing(t, p, decode)
}

func TestBSMAllocs(t *testing.T) {
	m := sampleBSM()
	buf := make([]byte, 0, 256)
	h := bsmCodec.header
	h.Type = TypeBSM
	if n := testing.AllocsPerRun(100, func() {
		buf = AppendHeader(buf[:0], &h)
		buf = AppendBSM(buf, &m)
		FinishFrame(buf, 0)
	}); n != 0 {
		t.Errorf("encoding a BSM frame: %v allocs, want 0", n)
	}
	var got v2x.BSM
	if n := testing.AllocsPerRun(100, func() {
		hh, err := ParseHeader(buf, DefaultMaxFrame)
		if err != nil || DecodeBSM(buf[HeaderLen:HeaderLen+hh.Length], &got) != nil {
			t.Fatal("decode failed")
		}
	}); n != 0 {
		t.Errorf("decoding a BSM frame: %v allocs, want 0", n)
	}
}

func FuzzDecodeBSM(f *testing.F) {
	nan := v2x.BSM{Lat: math.Float64frombits(0x7ff0000000000001), Speed: math.Float32frombits(0xffbfffff)}
	zero := v2x.BSM{}
	fuzzPayload(f, &bsmCodec, AppendBSM(nil, &nan), AppendBSM(nil, &zero), make([]byte, BSMLen-1))
}

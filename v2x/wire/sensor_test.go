package wire

import (
	"bytes"
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// sampleSensorInfo is camera 3 on the north-east pole, looking south-west
// over the box: 95° wide, 1.5 to 90 m.
func sampleSensorInfo() v2x.SensorInfo {
	return v2x.SensorInfo{SensorID: 3, Lat: 22.543195, Lon: 114.058002, Heading: 225.5, Opening: 95, Range: 90, MinRange: 1.5}
}

var sensorCodec = payloadCodec{
	typ:    TypeSensorInfo,
	header: Header{Source: 3, Seq: 1, Capture: captureNS},
	sample: func() []byte { m := sampleSensorInfo(); return AppendSensorInfo(nil, &m) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		var m v2x.SensorInfo
		if err := DecodeSensorInfo(p, &m); err != nil {
			return nil, err
		}
		return AppendSensorInfo(nil, &m), nil
	},
	canon: func(p []byte) []byte {
		q := cloneBytes(p)
		q[4], q[5], q[6], q[7] = 0, 0, 0, 0 // reserved
		return q
	},
}

func TestSensorInfoRoundTrip(t *testing.T) {
	for _, m := range []v2x.SensorInfo{
		sampleSensorInfo(),
		{},
		{SensorID: math.MaxUint32, Lat: -90, Lon: 180, Heading: 359.99, Opening: 360, Range: 1000, MinRange: 999},
		{Lat: math.NaN(), Heading: float32(math.Inf(-1))}, // raw bits; refusing them is ingest's job
	} {
		p := AppendSensorInfo(nil, &m)
		if len(p) != SensorInfoLen {
			t.Fatalf("encoded %d bytes, want %d", len(p), SensorInfoLen)
		}
		var got v2x.SensorInfo
		if err := DecodeSensorInfo(p, &got); err != nil {
			t.Fatal(err)
		}
		if !sameValue(got, m) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
		}
		if q := AppendSensorInfo(nil, &got); !bytes.Equal(q, p) {
			t.Fatalf("re-encoding differs:\n%x\n%x", q, p)
		}
	}
}

func TestDecodeSensorInfoErrors(t *testing.T) {
	m := sampleSensorInfo()
	p := AppendSensorInfo(nil, &m)
	decode := func(q []byte) error { var m v2x.SensorInfo; return DecodeSensorInfo(q, &m) }
	checkPrefixes(t, p, decode)
	checkTrailing(t, p, decode)
}

func TestSensorInfoAllocs(t *testing.T) {
	m := sampleSensorInfo()
	p := AppendSensorInfo(make([]byte, 0, 64), &m)
	var got v2x.SensorInfo
	if n := testing.AllocsPerRun(100, func() {
		p = AppendSensorInfo(p[:0], &m)
		if DecodeSensorInfo(p, &got) != nil {
			t.Fatal("decode failed")
		}
	}); n != 0 {
		t.Errorf("encoding and decoding a SensorInfo: %v allocs, want 0", n)
	}
}

func FuzzDecodeSensorInfo(f *testing.F) {
	zero := v2x.SensorInfo{}
	fuzzPayload(f, &sensorCodec, AppendSensorInfo(nil, &zero), make([]byte, SensorInfoLen-1))
}

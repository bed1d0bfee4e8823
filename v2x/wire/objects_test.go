package wire

import (
	"bytes"
	"math"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// sampleObjectList is one frame of camera 3 on the north-east pole: a car
// leaving southbound, a pedestrian on the north crosswalk and a bus waiting
// on the south approach (no covariance reported for it).
func sampleObjectList() v2x.ObjectList {
	return v2x.ObjectList{SensorID: 3, Objects: []v2x.DetectedObject{
		{LocalID: 5012, Class: v2x.ClassCar, Confidence: 92, Lat: 22.543391, Lon: 114.057853,
			VelE: -0.4, VelN: -9.6, Heading: 182.4, Length: 4.6, Width: 1.8, Height: 1.5,
			HasCov: true, CovEE: 0.36, CovEN: 0.05, CovNN: 0.81},
		{LocalID: 5013, Class: v2x.ClassPedestrian, Confidence: 78, Lat: 22.543212, Lon: 114.058012,
			VelE: 1.2, VelN: 0.1, Heading: 85, Length: 0.5, Width: 0.6, Height: 1.7,
			HasCov: true, CovEE: 0.09, CovNN: 0.09},
		{LocalID: 5020, Class: v2x.ClassBus, Confidence: 85, Lat: 22.542905, Lon: 114.05779,
			VelE: 0, VelN: 0, Heading: 1.5, Length: 12, Width: 2.55, Height: 3.2},
	}}
}

// sampleRSM is the RSU's own fused view of two participants.
func sampleRSM() v2x.RSM {
	return v2x.RSM{RSUID: 0x1001, Source: v2x.SourceIntegrated, Participants: []v2x.DetectedObject{
		{LocalID: 77, Class: v2x.ClassTruck, Confidence: 95, Lat: 22.543502, Lon: 114.057561,
			VelE: 6.9, VelN: 0.3, Heading: 87.5, Length: 9.5, Width: 2.5, Height: 3.4,
			HasCov: true, CovEE: 0.25, CovEN: -0.02, CovNN: 0.16},
		{LocalID: 78, Class: v2x.ClassBicycle, Confidence: 64, Lat: 22.542977, Lon: 114.058104,
			VelE: -0.1, VelN: 4.2, Heading: 358.6, Length: 1.8, Width: 0.6, Height: 1.6},
	}}
}

// genObjects returns n distinct detected objects spread over the
// intersection, with every class and with and without covariance.
func genObjects(n int) []v2x.DetectedObject {
	objs := make([]v2x.DetectedObject, n)
	for i := range objs {
		a := float64(i) * 2.399963 // golden angle: spread without repeating
		r := 5 + float64(i%60)     // metres from the centre
		e, nn := r*math.Sin(a), r*math.Cos(a)
		speed := float32(i % 17)
		o := v2x.DetectedObject{
			LocalID: uint32(10_000 + i), Class: v2x.Class(i % v2x.NumClasses), Confidence: uint8(50 + i%51),
			Lat: refLat + nn/mPerDegLat, Lon: refLon + e/mPerDegLon,
			VelE: speed * float32(math.Cos(a)), VelN: -speed * float32(math.Sin(a)),
			Heading: float32(i*37%360) + 0.5, Length: 4.5, Width: 1.8, Height: 1.5,
		}
		if i%3 != 2 {
			o.HasCov, o.CovEE, o.CovEN, o.CovNN = true, 0.3, 0.01*float32(i%5), 0.4
		}
		objs[i] = o
	}
	return objs
}

var objectsCodec = payloadCodec{
	typ:    TypeObjectList,
	header: Header{Source: 3, Seq: 88012, Capture: captureNS},
	sample: func() []byte { m := sampleObjectList(); return AppendObjectList(nil, &m) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		var m v2x.ObjectList
		if err := DecodeObjectList(p, &m); err != nil {
			return nil, err
		}
		checkObjectLimits(t, p, 8, m.Objects)
		dirty := v2x.ObjectList{SensorID: 9, Objects: genObjects(8)}
		if err := DecodeObjectList(p, &dirty); err != nil {
			t.Fatalf("decoding into a used struct failed: %v", err)
		}
		q := AppendObjectList(nil, &m)
		if !bytes.Equal(AppendObjectList(nil, &dirty), q) {
			t.Fatal("decoding into a used struct gives a different message")
		}
		return q, nil
	},
	canon: func(p []byte) []byte {
		q := cloneBytes(p)
		q[6], q[7] = 0, 0
		canonObjects(q[8:])
		return q
	},
}

var rsmCodec = payloadCodec{
	typ:    TypeRSM,
	header: Header{Source: 0x1001, Seq: 512, Capture: captureNS},
	sample: func() []byte { m := sampleRSM(); return AppendRSM(nil, &m) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		var m v2x.RSM
		if err := DecodeRSM(p, &m); err != nil {
			return nil, err
		}
		checkObjectLimits(t, p, 8, m.Participants)
		dirty := v2x.RSM{RSUID: 9, Source: v2x.SourceLidar, Participants: genObjects(8)}
		if err := DecodeRSM(p, &dirty); err != nil {
			t.Fatalf("decoding into a used struct failed: %v", err)
		}
		q := AppendRSM(nil, &m)
		if !bytes.Equal(AppendRSM(nil, &dirty), q) {
			t.Fatal("decoding into a used struct gives a different message")
		}
		return q, nil
	},
	canon: func(p []byte) []byte {
		q := cloneBytes(p)
		q[5] = 0
		canonObjects(q[8:])
		return q
	},
}

// checkObjectLimits asserts the bounds a decoded object list must keep.
func checkObjectLimits(t testing.TB, p []byte, head int, objs []v2x.DetectedObject) {
	t.Helper()
	if len(objs) > v2x.MaxObjects || head+len(objs)*ObjectLen != len(p) || cap(objs) > v2x.MaxObjects {
		t.Fatalf("%d objects (cap %d) from %d bytes", len(objs), cap(objs), len(p))
	}
}

// canonObjects clears the reserved bits of a run of object records.
func canonObjects(q []byte) {
	for off := 0; off+ObjectLen <= len(q); off += ObjectLen {
		q[off+6] &= objHasCov
		q[off+7] = 0
	}
}

func TestObjectListRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		m    v2x.ObjectList
	}{
		{"typical", sampleObjectList()},
		{"empty", v2x.ObjectList{SensorID: 3}},
		{"one without covariance", v2x.ObjectList{SensorID: math.MaxUint32, Objects: genObjects(3)[2:]}},
		{"50 objects", v2x.ObjectList{SensorID: 4, Objects: genObjects(50)}},
		{"maximum", v2x.ObjectList{SensorID: 5, Objects: genObjects(v2x.MaxObjects)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := AppendObjectList(nil, &c.m)
			if want := 8 + ObjectLen*len(c.m.Objects); len(p) != want {
				t.Fatalf("encoded %d bytes, want %d", len(p), want)
			}
			var got v2x.ObjectList
			if err := DecodeObjectList(p, &got); err != nil {
				t.Fatal(err)
			}
			if !sameValue(got, c.m) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c.m)
			}
		})
	}
}

func TestRSMRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		m    v2x.RSM
	}{
		{"typical", sampleRSM()},
		{"empty", v2x.RSM{RSUID: 0x1001, Source: v2x.SourceVideo}},
		{"radar", v2x.RSM{RSUID: 1, Source: v2x.SourceRadar, Participants: genObjects(7)}},
		{"maximum", v2x.RSM{RSUID: 2, Source: v2x.SourceLidar, Participants: genObjects(v2x.MaxObjects)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := AppendRSM(nil, &c.m)
			if want := 8 + ObjectLen*len(c.m.Participants); len(p) != want {
				t.Fatalf("encoded %d bytes, want %d", len(p), want)
			}
			var got v2x.RSM
			if err := DecodeRSM(p, &got); err != nil {
				t.Fatal(err)
			}
			if !sameValue(got, c.m) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c.m)
			}
		})
	}
}

// TestObjectLayout pins the offsets of the list headers and of an object
// record.
func TestObjectLayout(t *testing.T) {
	m := sampleObjectList()
	p := AppendObjectList(nil, &m)
	if be32(p, 0) != m.SensorID || be32(p, 4) != uint32(len(m.Objects))<<16 {
		t.Errorf("object list header % x", p[:8])
	}
	r := sampleRSM()
	q := AppendRSM(nil, &r)
	if be32(q, 0) != r.RSUID || q[4] != byte(r.Source) || q[5] != 0 || be32(q, 4)&0xffff != uint32(len(r.Participants)) {
		t.Errorf("rsm header % x", q[:8])
	}
	o := &m.Objects[0]
	rec := p[8 : 8+ObjectLen]
	want := []struct {
		off       int
		got, want uint64
	}{
		{0, uint64(be32(rec, 0)), uint64(o.LocalID)},
		{4, uint64(rec[4]), uint64(o.Class)},
		{5, uint64(rec[5]), uint64(o.Confidence)},
		{6, uint64(rec[6]), 1}, // flags: HasCov
		{7, uint64(rec[7]), 0},
		{8, be64(rec, 8), math.Float64bits(o.Lat)},
		{16, be64(rec, 16), math.Float64bits(o.Lon)},
	}
	for i, f := range []float32{o.VelE, o.VelN, o.Heading, o.Length, o.Width, o.Height, o.CovEE, o.CovEN, o.CovNN} {
		want = append(want, struct {
			off       int
			got, want uint64
		}{24 + 4*i, uint64(be32(rec, 24+4*i)), uint64(math.Float32bits(f))})
	}
	for _, c := range want {
		if c.got != c.want {
			t.Errorf("object offset %d: %#x, want %#x", c.off, c.got, c.want)
		}
	}
	if p[8+2*ObjectLen+6] != 0 {
		t.Errorf("object without covariance has flags %#x", p[8+2*ObjectLen+6])
	}
}

// objectListWithCount returns an ObjectList payload whose count field says n
// and that carries body bytes after the header.
func objectListWithCount(n uint16, body int) []byte {
	p := appendU32(nil, 3)
	p = appendU16(p, n)
	p = appendU16(p, 0)
	return append(p, make([]byte, body)...)
}

func TestDecodeObjectListErrors(t *testing.T) {
	decode := func(q []byte) error { var m v2x.ObjectList; return DecodeObjectList(q, &m) }
	for _, m := range []v2x.ObjectList{sampleObjectList(), {SensorID: 1}} {
		p := AppendObjectList(nil, &m)
		checkPrefixes(t, p, decode)
		checkTrailing(t, p, decode)
	}
	// A count above MaxObjects is invalid even when the bytes are there.
	checkDecodeErr(t, "1025 objects", decode(objectListWithCount(v2x.MaxObjects+1, (v2x.MaxObjects+1)*ObjectLen)), ErrInvalid)
	checkDecodeErr(t, "65535 objects", decode(objectListWithCount(math.MaxUint16, 0)), ErrInvalid)
	// A count the payload cannot hold is truncated.
	checkDecodeErr(t, "1024 objects claimed, 1 present", decode(objectListWithCount(v2x.MaxObjects, ObjectLen)), ErrTruncated)
	// Exactly MaxObjects is fine.
	if err := decode(objectListWithCount(v2x.MaxObjects, v2x.MaxObjects*ObjectLen)); err != nil {
		t.Errorf("1024 zero objects: %v", err)
	}
}

func TestDecodeRSMErrors(t *testing.T) {
	decode := func(q []byte) error { var m v2x.RSM; return DecodeRSM(q, &m) }
	for _, m := range []v2x.RSM{sampleRSM(), {RSUID: 1}} {
		p := AppendRSM(nil, &m)
		checkPrefixes(t, p, decode)
		checkTrailing(t, p, decode)
	}
	withCount := func(n uint16, body int) []byte {
		p := appendU32(nil, 0x1001)
		p = append(p, byte(v2x.SourceVideo), 0)
		p = appendU16(p, n)
		return append(p, make([]byte, body)...)
	}
	checkDecodeErr(t, "1025 participants", decode(withCount(v2x.MaxObjects+1, (v2x.MaxObjects+1)*ObjectLen)), ErrInvalid)
	checkDecodeErr(t, "65535 participants", decode(withCount(math.MaxUint16, 0)), ErrInvalid)
	checkDecodeErr(t, "2 claimed, 1 present", decode(withCount(2, ObjectLen)), ErrTruncated)
}

// TestDecodeObjectListReuse checks that decoding reuses the destination's
// slice and leaves no stale objects behind.
func TestDecodeObjectListReuse(t *testing.T) {
	big := v2x.ObjectList{SensorID: 4, Objects: genObjects(50)}
	small := sampleObjectList()
	var m v2x.ObjectList
	if err := DecodeObjectList(AppendObjectList(nil, &big), &m); err != nil {
		t.Fatal(err)
	}
	first := &m.Objects[0]
	if err := DecodeObjectList(AppendObjectList(nil, &small), &m); err != nil {
		t.Fatal(err)
	}
	if &m.Objects[0] != first || cap(m.Objects) < 50 {
		t.Error("decoding a shorter list did not reuse the slice")
	}
	if !sameValue(m, small) {
		t.Errorf("after reuse: %+v", m)
	}
	// A failed decode leaves an empty list, not stale objects.
	if err := DecodeObjectList(objectListWithCount(2, 10), &m); err == nil || len(m.Objects) != 0 {
		t.Errorf("failed decode: err %v, %d objects left", err, len(m.Objects))
	}
}

func TestObjectListAllocs(t *testing.T) {
	m := v2x.ObjectList{SensorID: 3, Objects: genObjects(50)}
	h := objectsCodec.header
	h.Type = TypeObjectList
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() {
		buf = AppendHeader(buf[:0], &h)
		buf = AppendObjectList(buf, &m)
		FinishFrame(buf, 0)
	}); n != 0 {
		t.Errorf("encoding a 50-object ObjectList frame: %v allocs, want 0", n)
	}
	got := v2x.ObjectList{Objects: make([]v2x.DetectedObject, 0, 64)}
	if n := testing.AllocsPerRun(100, func() {
		hh, err := ParseHeader(buf, DefaultMaxFrame)
		if err != nil || DecodeObjectList(buf[HeaderLen:HeaderLen+hh.Length], &got) != nil {
			t.Fatal("decode failed")
		}
	}); n != 0 {
		t.Errorf("decoding a 50-object ObjectList frame: %v allocs, want 0", n)
	}
	if len(got.Objects) != 50 {
		t.Fatalf("decoded %d objects", len(got.Objects))
	}
}

func FuzzDecodeObjectList(f *testing.F) {
	empty := v2x.ObjectList{SensorID: 3}
	many := v2x.ObjectList{SensorID: 4, Objects: genObjects(4)}
	nan := v2x.ObjectList{Objects: []v2x.DetectedObject{{Lat: math.NaN(), VelE: math.Float32frombits(0x7f800001)}}}
	fuzzPayload(f, &objectsCodec,
		AppendObjectList(nil, &empty), AppendObjectList(nil, &many), AppendObjectList(nil, &nan),
		objectListWithCount(v2x.MaxObjects+1, 0), objectListWithCount(2, ObjectLen))
}

func FuzzDecodeRSM(f *testing.F) {
	empty := v2x.RSM{RSUID: 1, Source: v2x.SourceLoop}
	many := v2x.RSM{RSUID: 2, Source: v2x.SourceRadar, Participants: genObjects(4)}
	fuzzPayload(f, &rsmCodec, AppendRSM(nil, &empty), AppendRSM(nil, &many))
}

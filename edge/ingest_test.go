package edge

import (
	"os"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// recordRejects is a rejecter that keeps the codes it was given.
type recordRejects []wire.Code

func (r *recordRejects) reject(_ *wire.Header, code wire.Code, _ string) { *r = append(*r, code) }

func testSource(t testing.TB) (*source, *recordRejects) {
	t.Helper()
	cfg := DefaultConfig()
	env := ingestEnv{maxFuture: cfg.MaxFuture, maxClockSkew: cfg.MaxClockSkew, in: newInbox(1 << 16), m: newMetrics()}
	rej := new(recordRejects)
	s := newSource(env, rej, nil, 7)
	return &s, rej
}

// TestIngestNativeAllocatesNothing: a native BSM or object list goes
// through decode and ingest into the inbox without allocating.
func TestIngestNativeAllocatesNothing(t *testing.T) {
	s, rej := testSource(t)
	bsm := bsmAt(1, 10, 20)
	objs := v2x.ObjectList{SensorID: 3}
	for i := range 20 {
		objs.Objects = append(objs.Objects, v2x.DetectedObject{LocalID: uint32(i), Class: v2x.ClassCar, Lat: refLat, Lon: refLon, VelE: 3})
	}
	for _, tc := range []struct {
		typ     wire.Type
		payload []byte
	}{
		{wire.TypeBSM, wire.AppendBSM(nil, &bsm)},
		{wire.TypeObjectList, wire.AppendObjectList(nil, &objs)},
	} {
		h := wire.Header{Type: tc.typ}
		var drained batch
		allocs := testing.AllocsPerRun(100, func() {
			if !s.decode(&h, tc.payload) || !s.ingest(&h, 1, 1) {
				t.Fatalf("%s refused: %v", tc.typ, *rej)
			}
			s.env.in.swap(&drained)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per frame", tc.typ, allocs)
		}
	}
}

// TestIngestTypedReasons: every kind of message is validated by one
// ingest function, which counts the typed reason and rejects with
// CodeInvalidValue.
func TestIngestTypedReasons(t *testing.T) {
	bad := bsmAt(1, 0, 0)
	bad.Speed = 150
	nanObj := v2x.ObjectList{Objects: []v2x.DetectedObject{{Class: v2x.ClassCar, Lat: refLat, Lon: refLon}, {Class: v2x.ClassCar, Lat: 91}}}
	badSPAT := v2x.SPAT{IntersectionID: 1, Phases: []v2x.Phase{{ID: 1, State: v2x.LightState(200)}}}
	badMap := v2x.Map{RefLat: 95, RefLon: refLon}
	for _, tc := range []struct {
		typ     wire.Type
		payload []byte
		reason  rejectReason
	}{
		{wire.TypeBSM, wire.AppendBSM(nil, &bad), reasonSpeed},
		{wire.TypeObjectList, wire.AppendObjectList(nil, &nanObj), reasonLatLon},
		{wire.TypeSPAT, wire.AppendSPAT(nil, &badSPAT), reasonLight},
		{wire.TypeMAP, wire.AppendMap(nil, &badMap), reasonLatLon},
	} {
		s, rej := testSource(t)
		h := wire.Header{Type: tc.typ}
		if !s.decode(&h, tc.payload) {
			t.Fatalf("%s: does not decode: %v", tc.typ, *rej)
		}
		if s.ingest(&h, 1, 1) {
			t.Errorf("%s: accepted", tc.typ)
		}
		if len(*rej) != 1 || (*rej)[0] != wire.CodeInvalidValue {
			t.Errorf("%s: rejected with %v, want one InvalidValue", tc.typ, *rej)
		}
		if got := testutil.ToFloat64(s.env.m.valuesRejected[tc.reason]); got != 1 {
			t.Errorf("%s: v2x_values_rejected_total{reason=%q} = %v", tc.typ, tc.reason, got)
		}
	}
	if reasonOK.String() != "ok" || reasonTimePast.String() != "time_past" {
		t.Errorf("reason names %q %q", reasonOK, reasonTimePast)
	}
}

// TestDecodeStandardPayload: a standard payload on a producer stream is
// one whole MessageFrame of the header's type.
func TestDecodeStandardPayload(t *testing.T) {
	raw, err := os.ReadFile("../v2x/csae53/testdata/samples/BSM_1.uper")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		h       wire.Header
		payload []byte
		code    wire.Code // 0: decodes
	}{
		{"bsm", wire.Header{Type: wire.TypeBSM, Encoding: wire.EncodingCSAE53}, raw, 0},
		{"type mismatch", wire.Header{Type: wire.TypeSPAT, Encoding: wire.EncodingCSAE53}, raw, wire.CodeMalformed},
		{"zero padding after it", wire.Header{Type: wire.TypeBSM, Encoding: wire.EncodingCSAE53}, append(raw[:len(raw):len(raw)], 0, 0), wire.CodeMalformed},
		{"zero bytes", wire.Header{Type: wire.TypeBSM, Encoding: wire.EncodingJ2735}, make([]byte, 30), wire.CodeMalformed},
		{"empty open type", wire.Header{Type: wire.TypeSPAT, Encoding: wire.EncodingJ2735}, []byte{0x00, 0x13, 0x00}, wire.CodeMalformed},
		{"j2735 TIM", wire.Header{Type: wire.TypeBSM, Encoding: wire.EncodingJ2735}, []byte{0x00, 0x1f, 0x01, 0x00}, wire.CodeUnsupportedEncoding},
		{"unknown encoding", wire.Header{Type: wire.TypeBSM, Encoding: 9}, raw, wire.CodeUnsupportedEncoding},
	} {
		s, rej := testSource(t)
		ok := s.decode(&tc.h, tc.payload)
		switch {
		case tc.code == 0 && (!ok || len(*rej) != 0 || s.msg.Type != wire.TypeBSM):
			t.Errorf("%s: ok %v, rejected %v, type %s", tc.name, ok, *rej, s.msg.Type)
		case tc.code != 0 && (ok || len(*rej) != 1 || (*rej)[0] != tc.code):
			t.Errorf("%s: ok %v, rejected %v; want %s", tc.name, ok, *rej, tc.code)
		}
	}
}

package edge

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/trust"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func TestCheckSensor(t *testing.T) {
	ok := v2x.SensorInfo{SensorID: 1, Lat: refLat, Lon: refLon, Heading: 10, Opening: 90, Range: 80, MinRange: 1}
	for _, c := range []struct {
		name string
		mod  func(*v2x.SensorInfo)
		want rejectReason
	}{
		{"valid", func(*v2x.SensorInfo) {}, reasonOK},
		{"full circle", func(s *v2x.SensorInfo) { s.Opening = 360 }, reasonOK},
		{"all zero", func(s *v2x.SensorInfo) { *s = v2x.SensorInfo{} }, reasonSensorArea},
		{"NaN range", func(s *v2x.SensorInfo) { s.Range = float32(math.NaN()) }, reasonNaN},
		{"latitude 91", func(s *v2x.SensorInfo) { s.Lat = 91 }, reasonLatLon},
		{"heading 360", func(s *v2x.SensorInfo) { s.Heading = 360 }, reasonSensorArea},
		{"negative heading", func(s *v2x.SensorInfo) { s.Heading = -1 }, reasonSensorArea},
		{"opening 0", func(s *v2x.SensorInfo) { s.Opening = 0 }, reasonSensorArea},
		{"opening 361", func(s *v2x.SensorInfo) { s.Opening = 361 }, reasonSensorArea},
		{"range 1001", func(s *v2x.SensorInfo) { s.Range = 1001 }, reasonSensorArea},
		{"blind zone past the range", func(s *v2x.SensorInfo) { s.MinRange = 80 }, reasonSensorArea},
		{"negative blind zone", func(s *v2x.SensorInfo) { s.MinRange = -1 }, reasonSensorArea},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := ok
			c.mod(&s)
			if got := checkSensor(&s); got != c.want {
				t.Errorf("checkSensor = %s, want %s", got, c.want)
			}
		})
	}
}

// A camera's SensorInfo reaches the misbehaviour checks; one whose area is
// no sector is refused as invalid_value; the operator's declaration for a
// camera that sends none (trust.cameras) is given on its behalf with its
// object lists, once a second.
func TestSensorDeclarationsReachTheChecks(t *testing.T) {
	n, _ := startNode(t, func(c *Config) {
		c.Trust.Disabled = false
		c.Trust.Cameras = []trust.Camera{{Identity: "cam-2", Sensor: 5, Lat: refLat, Lon: refLon, Heading: 180, Opening: 90, Range: 60}}
	})
	declared := func() float64 { return testutil.ToFloat64(n.m.fusion.sensorsDeclared) }
	waitFor := func(what string, want float64) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for declared() < want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: v2x_sensor_declarations_total %v, want %v", what, declared(), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	cam1 := issue(t, n, "v2x-edge:cam-1?roles=producer&kinds=camera", time.Now().Add(time.Hour))
	p, err := dial(t, n, cam1).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	good := v2x.SensorInfo{SensorID: 2, Lat: refLat + 1e-4, Lon: refLon, Heading: 180, Opening: 95, Range: 85, MinRange: 1}
	if e := sendAndWait(t, p, func() error { return p.SendSensorInfo(2, clock.Now(), &good) }); e != nil {
		t.Fatalf("a camera's declaration refused: %v", e)
	}
	waitFor("the camera's own", 1)

	before := testutil.ToFloat64(n.m.valuesRejected[reasonSensorArea])
	bad := good
	bad.Opening = 0
	if e := sendAndWait(t, p, func() error { return p.SendSensorInfo(2, clock.Now(), &bad) }); e == nil || e.Code != wire.CodeInvalidValue {
		t.Fatalf("a declaration of no area: answer %v, want invalid_value", e)
	}
	if got := testutil.ToFloat64(n.m.valuesRejected[reasonSensorArea]); got != before+1 {
		t.Errorf("v2x_values_rejected_total{reason=\"sensor_area\"} %v -> %v", before, got)
	}

	// cam-2 sends object lists of sensor 5 and no declaration: the
	// operator's is given for it, with the first list and a second later.
	cam2 := issue(t, n, "v2x-edge:cam-2?roles=producer&kinds=camera", time.Now().Add(time.Hour))
	p2, err := dial(t, n, cam2).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	objs := v2x.ObjectList{SensorID: 5, Objects: []v2x.DetectedObject{{LocalID: 3, Class: v2x.ClassCar, Lat: refLat - 2e-4, Lon: refLon, Length: 4, Width: 2, Confidence: 90}}}
	if e := sendAndWait(t, p2, func() error { return p2.SendObjects(5, clock.Now(), &objs) }); e != nil {
		t.Fatalf("objects refused: %v", e)
	}
	waitFor("the operator's, with the first object list", 2)
	// (sendAndWait waited 2 s for an answer that did not come: the
	// declaration is due again with the next list.)
	if e := sendAndWait(t, p2, func() error { return p2.SendObjects(5, clock.Now(), &objs) }); e != nil {
		t.Fatalf("objects refused: %v", e)
	}
	waitFor("the operator's, repeated", 3)
	// Another sensor of cam-2, which the configuration does not name, and
	// cam-1's sensor 5 (the entry names cam-2) are not declared.
	if e := sendAndWait(t, p2, func() error { return p2.SendObjects(6, clock.Now(), &objs) }); e != nil {
		t.Fatalf("objects refused: %v", e)
	}
	if e := sendAndWait(t, p, func() error { return p.SendObjects(5, clock.Now(), &objs) }); e != nil {
		t.Fatalf("objects refused: %v", e)
	}
	if got := declared(); got != 3 {
		t.Errorf("sensors the configuration does not declare were declared: %v declarations, want 3", got)
	}
}

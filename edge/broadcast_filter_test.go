package edge

import (
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

func TestInView(t *testing.T) {
	ids := func(v ...uint8) (s wire.IDSet) {
		for _, id := range v {
			s.Add(id)
		}
		return s
	}
	car := wire.StateObject{Class: v2x.ClassCar, E: 10, N: 0, Lane: 5, Approach: 2}
	ped := wire.StateObject{Class: v2x.ClassPedestrian, E: 0, N: 0} // matched to no lane or approach
	cases := []struct {
		name     string
		f        wire.Subscribe
		car, ped bool
	}{
		{"everything", wire.Subscribe{}, true, true},
		{"radius 5 m", wire.Subscribe{Radius: 5}, false, true},
		{"radius 10 m", wire.Subscribe{Radius: 10}, true, true},
		{"pedestrians", wire.Subscribe{Classes: v2x.MaskOf(v2x.ClassPedestrian)}, false, true},
		{"approach 2", wire.Subscribe{Approaches: ids(2)}, true, false},
		{"approach 3", wire.Subscribe{Approaches: ids(3)}, false, false},
		{"approach 0: unmatched", wire.Subscribe{Approaches: ids(0)}, false, true},
		{"lane 5", wire.Subscribe{Lanes: ids(5)}, true, false},
		{"lane 6 or approach 2", wire.Subscribe{Lanes: ids(6), Approaches: ids(2)}, true, false},
		{"lane 6 or approach 0", wire.Subscribe{Lanes: ids(6), Approaches: ids(0)}, false, true},
		{"approach 2, cars, but 5 m", wire.Subscribe{Approaches: ids(2), Classes: v2x.MaskOf(v2x.ClassCar), Radius: 5}, false, false},
		{"approach 2 and cars", wire.Subscribe{Approaches: ids(2), Classes: v2x.MaskOf(v2x.ClassCar)}, true, false},
	}
	for _, c := range cases {
		if got := inView(&car, &c.f, 0, 0); got != c.car {
			t.Errorf("%s: car in view %v, want %v", c.name, got, c.car)
		}
		if got := inView(&ped, &c.f, 0, 0); got != c.ped {
			t.Errorf("%s: pedestrian in view %v, want %v", c.name, got, c.ped)
		}
	}
	if keyOf(&wire.Subscribe{Lanes: ids(1)}) == keyOf(&wire.Subscribe{Lanes: ids(2)}) {
		t.Error("subscriptions to different lanes share a view key")
	}
}

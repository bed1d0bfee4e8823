package edge

import "testing"

func TestZZOOSMScratch(t *testing.T) {
	for _, n := range []int{200, 1000} {
		r := newPacedRunner(t, n, 3)
		for r.now() < 4000e6 {
			r.step()
		}
		tf := r.w.fuser.(*trackFuser)
		t.Logf("objects %d: %+v", n, tf.tr.C)
	}
}

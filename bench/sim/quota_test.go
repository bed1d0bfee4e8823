package sim

import (
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/quota"
)

// TestWithinProducerQuotas: the node's default producer quotas are sized
// so that one identity may speak for a whole intersection. The
// simulator's default and dense scenarios, all of their sources under one
// identity, send at most a fifth of objects_per_sec in any second and
// hold fewer road users at once than live_objects, on seeds beyond the
// ones the tests use.
func TestWithinProducerQuotas(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 4 × 40 s")
	}
	lim := quota.DefaultConfig().Producer
	for _, dense := range []bool{false, true} {
		for _, seed := range []int64{11, 29} {
			c := Config{Seed: seed, Dense: dense}
			c.SetDefaults()
			s, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			var out []Output
			var truth []TruthObject
			perSec := map[int]int{}
			most := 0
			for s.Now() < 40*time.Second {
				s.Step(10 * time.Millisecond)
				out = s.Due(out[:0])
				sec := int(s.Now() / time.Second)
				for i := range out {
					switch out[i].Type {
					case MsgBSM:
						perSec[sec]++
					case MsgObjectList:
						perSec[sec] += len(out[i].Objects.Objects)
					}
				}
				truth = s.Truth(truth[:0])
				most = max(most, len(truth))
			}
			peak := 0
			for _, n := range perSec {
				peak = max(peak, n)
			}
			t.Logf("dense %v, seed %d: peak %d measurements/s, at most %d road users at once", dense, seed, peak, most)
			if float64(peak) > lim.ObjectsPerSec/5 {
				t.Errorf("dense %v, seed %d: %d measurements in a second, want at most a fifth of objects_per_sec %v", dense, seed, peak, lim.ObjectsPerSec)
			}
			if most >= lim.LiveObjects {
				t.Errorf("dense %v, seed %d: %d road users at once, want fewer than live_objects %d", dense, seed, most, lim.LiveObjects)
			}
		}
	}
}

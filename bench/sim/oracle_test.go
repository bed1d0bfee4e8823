package sim

import (
	"math"
	"testing"
	"time"
)

// TestOracleNoBias: with Config.OracleNoBias every camera list carries,
// in NoBias, the same detections moved back by the camera's calibration
// bias (tens of centimetres, never more than a few metres; the rest of the
// error stays), in the same order; without it NoBias is nil.
func TestOracleNoBias(t *testing.T) {
	for _, oracle := range []bool{false, true} {
		cfg := Config{Seed: 9, OracleNoBias: oracle}
		cfg.SetDefaults()
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var outs []Output
		lists, moved := 0, 0
		for range 50 {
			s.Step(100 * time.Millisecond)
			outs = s.Due(outs[:0])
			for i := range outs {
				o := &outs[i]
				if o.Type != MsgObjectList {
					continue
				}
				lists++
				if !oracle {
					if o.NoBias != nil {
						t.Fatalf("NoBias set without the oracle")
					}
					continue
				}
				if len(o.NoBias) != len(o.Objects.Objects) {
					t.Fatalf("%d unbiased detections for %d", len(o.NoBias), len(o.Objects.Objects))
				}
				for k, d := range o.Objects.Objects {
					u := o.NoBias[k]
					e1, n1, _ := s.frame.ToENU(d.Lat, d.Lon, 0)
					e2, n2, _ := s.frame.ToENU(u.Lat, u.Lon, 0)
					dist := math.Hypot(e1-e2, n1-n2)
					if dist > 3 || u.LocalID != d.LocalID || u.VelE != d.VelE {
						t.Fatalf("detection %d: unbiased %+v, biased %+v (%.2f m apart)", k, u, d, dist)
					}
					if dist > 1e-3 {
						moved++
					}
				}
			}
		}
		if lists == 0 || oracle && moved == 0 {
			t.Errorf("oracle %v: %d lists, %d detections moved", oracle, lists, moved)
		}
	}
}

package trust

import (
	"math"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// The simulator's cameras, seed after seed: each camera's position is
// estimated from its detections' error ellipses within a metre; the
// sector coverage built on it lies inside the camera's true field of
// view; and the ghost's spot (the attack starting 3 s into the run, when
// a fresh node has seen 3 s of traffic) is covered when its first BSM
// comes, in most seeds (before the sector, learned coverage reached it
// later than 500 ms in most).
func TestSectorCoverageFromSim(t *testing.T) {
	const seeds = 20
	coveredAtStart := 0
	for seed := int64(1); seed <= seeds; seed++ {
		cfg := sim.Config{Seed: seed}
		cfg.SetDefaults()
		s, err := sim.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		a, err := sim.NewAttacker(s, sim.AttackConfig{Kind: sim.AttackGhost, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		mp := s.Map()
		fr := geo.NewFrame(mp.RefLat, mp.RefLon, 0)
		c := newCoverage(4)
		var outs []sim.Output
		var forged []sim.ForgedObject
		judged := false
		for step := 0; step < 80 && !judged; step++ {
			s.Step(50 * time.Millisecond)
			a.Step(s)
			outs = s.Due(outs[:0])
			now := int64(s.Now())
			for _, o := range outs {
				if o.Type != sim.MsgObjectList {
					continue
				}
				cm := c.camera(1, o.Source, now)
				for _, d := range o.Objects.Objects {
					e, n, _ := fr.ToENU(d.Lat, d.Lon, 0)
					c.mark(cm, e, n, d.VelE, d.VelN, now, now, d.CovEE, d.CovEN, d.CovNN, 0)
				}
			}
			c.rebuild(int64(60 * time.Second))
			if forged = a.Forged(forged[:0]); len(forged) > 0 {
				judged = true
				if c.isCovered(forged[0].E, forged[0].N) {
					coveredAtStart++
				}
			}
		}
		cams := s.Cameras()
		estimated := 0
		for i := range c.cams {
			cm := &c.cams[i]
			e, n, ok := cm.apex.estimate()
			if !ok {
				continue
			}
			estimated++
			for _, k := range cams {
				if k.Source == cm.source && math.Hypot(e-k.E, n-k.N) > 1 {
					t.Errorf("seed %d camera %d: estimated at %.1f, %.1f, stands at %.1f, %.1f", seed, k.Source, e, n, k.E, k.N)
				}
			}
			// The sector alone lies inside the true field of view.
			clear(c.covered)
			c.fillSector(cm, 0)
			for k, cov := range c.covered {
				ce, cn := (float64(k%c.w-c.half)+0.5)*c.cell, (float64(k/c.w-c.half)+0.5)*c.cell
				if cov && !sim.Covered(cams, ce, cn) {
					t.Errorf("seed %d camera %d: cell at %.0f, %.0f covered, outside every field of view", seed, cm.source, ce, cn)
				}
			}
		}
		if estimated < len(cams)/2 {
			t.Errorf("seed %d: %d of %d cameras located after %v", seed, estimated, len(cams), s.Now())
		}
	}
	t.Logf("ghost spot covered at its first BSM in %d of %d seeds", coveredAtStart, seeds)
	if coveredAtStart < seeds*3/4 {
		t.Errorf("ghost spot covered at its first BSM in %d of %d seeds, want at least 3/4", coveredAtStart, seeds)
	}
}

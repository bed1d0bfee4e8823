package sim

import (
	"math"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

func TestCameraPlacement(t *testing.T) {
	s := newSim(t, func(c *Config) { c.Cameras = MaxCameras })
	rates := map[float64]bool{}
	for _, cm := range s.Cameras() {
		c := &camera{Camera: cm, halfFOV: cm.FOV / 2}
		if _, _, ok := c.sees(0, 0); !ok {
			t.Errorf("camera %d at %.1f,%.1f facing %.0f° does not see the centre of the box", cm.Source, cm.E, cm.N, cm.Facing)
		}
		if cm.FOV < camFOVLo || cm.FOV > camFOVHi || cm.Range < camRangeLo || cm.Range > camRangeHi {
			t.Errorf("camera %d: fov %.1f°, range %.1f m", cm.Source, cm.FOV, cm.Range)
		}
		// on a corner or beside the road, never on it
		if math.Min(math.Abs(cm.E), math.Abs(cm.N)) < 2*laneWidth+1 {
			t.Errorf("camera %d stands on the road at %.1f,%.1f", cm.Source, cm.E, cm.N)
		}
		rates[cm.RateHz] = true
	}
	for r := range rates {
		if r != 10 && r != 15 && r != 20 && r != 30 {
			t.Errorf("camera rate %v Hz", r)
		}
	}
}

// The detection model: only objects in the field of view and range are
// detected, with the configured probability; position errors match the
// reported covariance; a camera's track ids are stable.
func TestCameraDetections(t *testing.T) {
	c := newCamera(0, 1, 0, CameraNoiseWhite)
	c.falseMean = 0
	f := geo.NewFrame(DefaultRefLat, DefaultRefLon, 0)
	var objs []objState
	for x := -120.0; x <= 120; x += 7 {
		for y := -120.0; y <= 120; y += 7 {
			objs = append(objs, objState{id: uint32(len(objs) + 1), class: v2x.ClassCar, e: c.E + x, n: c.N + y,
				ve: 3, vn: -1, speed: math.Hypot(3, 1), heading: 108.43, length: 4.5, width: 1.8, height: 1.5})
		}
	}
	byID := map[uint32]*objState{}
	for i := range objs {
		byID[objs[i].id] = &objs[i]
	}
	const frames = 300
	var expected, detected float64
	var maha, radial, tangential, vel float64
	localOf := map[uint32]uint32{}
	for k := range frames {
		te := time.Duration(k) * 100 * time.Millisecond
		out, ok := c.capture(te, te, objs, 0, &f)
		if !ok {
			t.Fatal("frame dropped at drop rate 0")
		}
		trueOf := map[uint32]uint32{}
		for id, tr := range c.tracks {
			if tr.last == te {
				trueOf[tr.local] = id
			}
		}
		for i := range objs {
			if rng, _, ok := c.sees(objs[i].e, objs[i].n); ok {
				expected += camPDetNear - (camPDetNear-camPDetFar)*rng/c.Range
			}
		}
		for _, d := range out.Objects.Objects {
			id, ok := trueOf[d.LocalID]
			if !ok {
				t.Fatalf("detection %d matches no object", d.LocalID)
			}
			if prev, ok := localOf[id]; ok && prev != d.LocalID {
				t.Fatalf("object %d changed local id %d -> %d", id, prev, d.LocalID)
			}
			localOf[id] = d.LocalID
			o := byID[id]
			rng, bearing, ok := c.sees(o.e, o.n)
			if !ok {
				t.Fatalf("detected object %d outside the view (range %.1f of %.1f)", id, rng, c.Range)
			}
			detected++
			if !d.HasCov || d.Confidence == 0 || d.Confidence > 100 {
				t.Fatalf("detection without covariance or confidence: %+v", d)
			}
			e, n, _ := f.ToENU(d.Lat, d.Lon, 0)
			de, dn := e-o.e, n-o.n
			// Mahalanobis distance with the reported covariance
			ee, en, nn := float64(d.CovEE), float64(d.CovEN), float64(d.CovNN)
			det := ee*nn - en*en
			maha += (nn*de*de - 2*en*de*dn + ee*dn*dn) / det
			sr, st := camSigmas(rng)
			ue, un := math.Sincos(bearing * math.Pi / 180)
			radial += math.Pow((de*ue+dn*un)/sr, 2)
			tangential += math.Pow((de*un-dn*ue)/st, 2)
			sv := camVelSigma0 + camVelSigmaPerM*rng
			vel += (math.Pow((float64(d.VelE)-o.ve)/sv, 2) + math.Pow((float64(d.VelN)-o.vn)/sv, 2)) / 2
		}
	}
	if detected < 5000 {
		t.Fatalf("only %v detections", detected)
	}
	if r := detected / expected; math.Abs(r-1) > 0.02 {
		t.Errorf("detected %v of an expected %.0f", detected, expected)
	}
	for name, v := range map[string]float64{"mahalanobis/2": maha / 2, "radial": radial, "tangential": tangential, "velocity": vel} {
		if m := v / detected; math.Abs(m-1) > 0.05 {
			t.Errorf("mean normalised squared %s error %.3f, want 1", name, m)
		}
	}
}

func TestCameraTrackIDs(t *testing.T) {
	c := newCamera(0, 3, 0, CameraNoiseWhite)
	c.falseMean = 0
	f := geo.NewFrame(DefaultRefLat, DefaultRefLon, 0)
	in := objState{id: 1, class: v2x.ClassPedestrian, length: 0.4, width: 0.5, height: 1.7}
	// a point 10 m straight ahead of the camera
	s, co := math.Sincos(c.Facing * math.Pi / 180)
	in.e, in.n = c.E+10*s, c.N+10*co
	out := in
	out.e, out.n = c.E-10*s, c.N-10*co // behind it
	ids := map[uint32]bool{}
	// visible 0-1 s, away 1-1.5 s, visible 1.5-2.5 s, away 2.5-4.5 s, visible 4.5-5.5 s
	visible := func(t time.Duration) bool {
		return t < time.Second || (t >= 1500*time.Millisecond && t < 2500*time.Millisecond) || t >= 4500*time.Millisecond
	}
	var idsAt []uint32
	for te := time.Duration(0); te < 5500*time.Millisecond; te += 100 * time.Millisecond {
		o := out
		if visible(te) {
			o = in
		}
		fr, _ := c.capture(te, te, []objState{o}, 0, &f)
		for _, d := range fr.Objects.Objects {
			ids[d.LocalID] = true
			idsAt = append(idsAt, d.LocalID)
		}
	}
	// the short absence keeps the id, the long one gives a new one
	if len(ids) != 2 {
		t.Errorf("local ids %v, want 2 distinct", idsAt)
	}
}

func TestCameraFalsePositives(t *testing.T) {
	c := newCamera(1, 5, 0, CameraNoiseWhite)
	f := geo.NewFrame(DefaultRefLat, DefaultRefLon, 0)
	const frames = 3000
	ids := map[uint32]bool{}
	dets := 0
	for k := range frames {
		te := time.Duration(k) * 50 * time.Millisecond
		fr, _ := c.capture(te, te, nil, 0, &f)
		for _, d := range fr.Objects.Objects {
			dets++
			ids[d.LocalID] = true
			if d.Confidence > 50 {
				t.Fatalf("false positive with confidence %d", d.Confidence)
			}
			e, n, _ := f.ToENU(d.Lat, d.Lon, 0)
			if math.Hypot(e-c.E, n-c.N) > c.Range+10 {
				t.Fatalf("false positive %.0f m from the camera", math.Hypot(e-c.E, n-c.N))
			}
		}
	}
	if want := camFalseMean * frames; math.Abs(float64(len(ids))-want) > 4*math.Sqrt(want) {
		t.Errorf("%d false tracks in %d frames, want about %.0f", len(ids), frames, want)
	}
	if life := float64(dets) / float64(len(ids)); life < 1.5 || life > 5 {
		t.Errorf("false tracks last %.1f frames on average", life)
	}
}

// In the running simulator: frame rates match, drops apply, and detections
// lie near true objects.
func TestCameraFrames(t *testing.T) {
	for _, drop := range []float64{0, 0.3} {
		s := newSim(t, func(c *Config) { c.Cameras, c.CameraDropRate = 6, drop })
		frames := map[uint32]int{}
		var near, far int
		var tr []TruthObject
		var outs []Output
		const dur = 10 * time.Second
		for s.Now() < dur {
			s.Step(tick)
			tr = s.Truth(tr[:0])
			outs = s.Due(outs[:0])
			for _, o := range outs {
				if o.Type != MsgObjectList {
					continue
				}
				frames[o.Source]++
				for _, d := range o.Objects.Objects {
					e, n, _ := s.frame.ToENU(d.Lat, d.Lon, 0)
					best := math.Inf(1)
					for _, x := range tr {
						best = math.Min(best, math.Hypot(x.E-e, x.N-n))
					}
					// the truth is up to ~100 ms newer than the capture
					if best < 5 {
						near++
					} else {
						far++
					}
				}
			}
		}
		for _, src := range s.Sources() {
			if src.Kind != SourceCamera {
				continue
			}
			want := src.RateHz * dur.Seconds() * (1 - drop)
			if got := float64(frames[src.ID]); math.Abs(got-want) > 4*math.Sqrt(want)+2 {
				t.Errorf("drop %v: %s at %v Hz sent %v frames in %v, want about %.0f", drop, src.Name, src.RateHz, got, dur, want)
			}
		}
		if near == 0 || float64(far) > 0.05*float64(near+far) {
			t.Errorf("%d detections near a true object, %d not", near, far)
		}
	}
}

package j2735

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// randomObjects returns n fused objects within r metres of the reference,
// of every class, with sizes, headings, speeds and covariances spread
// over their ranges.
func randomObjects(rng *rand.Rand, refLat, refLon float64, n int, r float64) []v2x.DetectedObject {
	f := geo.NewFrame(refLat, refLon, 0)
	objs := make([]v2x.DetectedObject, n)
	for i := range objs {
		lat, lon, _ := f.FromENU((rng.Float64()*2-1)*r, (rng.Float64()*2-1)*r, 0)
		speed, heading := rng.Float64()*40, rng.Float64()*360
		sin, cos := math.Sincos(heading * math.Pi / 180)
		sd := math.Exp(rng.Float64()*8 - 4) // 0.018 .. 55 m
		objs[i] = v2x.DetectedObject{
			LocalID: uint32(rng.IntN(65536)), Class: v2x.Class(rng.IntN(v2x.NumClasses)), Confidence: uint8(rng.IntN(101)),
			Lat: lat, Lon: lon, VelE: float32(speed * sin), VelN: float32(speed * cos), Heading: float32(heading),
			Length: float32(0.3 + rng.Float64()*20), Width: float32(0.3 + rng.Float64()*3), Height: float32(rng.Float64() * 4),
			HasCov: rng.IntN(4) != 0, CovEE: float32(sd * sd), CovNN: float32(sd * sd * rng.Float64()),
		}
	}
	return objs
}

// TestSDSMModelRoundTrip: fused objects go model → SDSM → UPER → SDSM →
// model and come back within the standard's precision: position to 0.05
// m (offsets in 0.1 m) plus the reference's rounding to 1e-7 degree, speed
// to 0.01 m/s, heading to 0.00625°, vehicle size to 0.005 m (cm units),
// obstacle size to 0.05 m, vehicle height to 0.025 m; classes and ids
// exactly; the position confidence bounds the larger standard deviation
// within one step of the scale. Several seeds, objects up to 3 km out.
func TestSDSMModelRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 7, 16, 4, 5, 678_900_000, time.UTC)
	for seed := uint64(1); seed <= 8; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		refLat, refLon := -60+rng.Float64()*120, -180+rng.Float64()*360
		in := v2x.RSM{RSUID: rng.Uint32(), Source: v2x.SourceIntegrated,
			Participants: randomObjects(rng, refLat, refLon, 1+rng.IntN(MaxSDSMObjects), 3000)}
		var m SensorDataSharingMessage
		if err := SDSMFromModel(&in, refLat, refLon, uint8(seed), at, &m); err != nil {
			t.Fatal(err)
		}
		raw, err := AppendSDSM(nil, &m)
		if err != nil {
			t.Fatal(err)
		}
		var back SensorDataSharingMessage
		if err := DecodeSDSM(raw, &back); err != nil {
			t.Fatal(err)
		}
		if got, ok := back.SDSMTime(); !ok || !got.Equal(at.Truncate(time.Millisecond)) {
			t.Errorf("time stamp %v, want %v", got, at)
		}
		var out v2x.RSM
		back.ToModel(&out)
		if out.RSUID != in.RSUID || out.Source != v2x.SourceIntegrated || len(out.Participants) != len(in.Participants) {
			t.Fatalf("seed %d: RSU %d source %v, %d objects; want %d, %d", seed, out.RSUID, out.Source, len(out.Participants), in.RSUID, len(in.Participants))
		}
		f := geo.NewFrame(refLat, refLon, 0)
		for i := range in.Participants {
			w, g := &in.Participants[i], &out.Participants[i]
			we, wn, _ := f.ToENU(w.Lat, w.Lon, 0)
			ge, gn, _ := f.ToENU(g.Lat, g.Lon, 0)
			// 0.05 m per axis from the offset, ~0.01 m from the reference.
			posErr := math.Max(math.Abs(ge-we), math.Abs(gn-wn))
			dh := math.Abs(math.Mod(float64(g.Heading-w.Heading)+540, 360) - 180)
			switch {
			case posErr > 0.05+0.012:
				t.Errorf("seed %d object %d: position off by %.4f m", seed, i, posErr)
			case math.Abs(float64(g.Speed()-w.Speed())) > 0.01+1e-4:
				t.Errorf("seed %d object %d: speed %.4f, want %.4f", seed, i, g.Speed(), w.Speed())
			case w.Speed() > 0.02 && dh > 0.00625+1e-4:
				t.Errorf("seed %d object %d: heading %.5f, want %.5f", seed, i, g.Heading, w.Heading)
			case g.Class != w.Class || g.LocalID != w.LocalID&0xffff || g.Confidence != w.Confidence:
				t.Errorf("seed %d object %d: class %v id %d conf %d, want %v %d %d", seed, i, g.Class, g.LocalID, g.Confidence, w.Class, w.LocalID, w.Confidence)
			}
			sizeTol, heightTol := float32(0.005), float32(0.025)
			switch {
			case w.Class == v2x.ClassUnknown:
				sizeTol, heightTol = 0.05, 0.05
			case w.Class == v2x.ClassPedestrian || w.Class == v2x.ClassBicycle:
				sizeTol, heightTol = -1, -1 // a detected VRU carries no size
			case w.Height > 6.35:
				heightTol = w.Height - 6.35 + 0.001 // VehicleHeight ends at 6.35 m
			}
			if sizeTol >= 0 && (abs32(g.Length-w.Length) > sizeTol+1e-4 || abs32(g.Width-w.Width) > sizeTol+1e-4) {
				t.Errorf("seed %d object %d (%v): size %.3f×%.3f, want %.3f×%.3f", seed, i, w.Class, g.Length, g.Width, w.Length, w.Width)
			}
			if heightTol >= 0 && abs32(g.Height-w.Height) > heightTol+1e-4 {
				t.Errorf("seed %d object %d (%v): height %.3f, want %.3f", seed, i, w.Class, g.Height, w.Height)
			}
			checkPosConfidence(t, w, g)
		}
	}
}

func abs32(v float32) float32 { return float32(math.Abs(float64(v))) }

// checkPosConfidence: the decoded standard deviation bounds the larger
// one sent, and the next tighter step of the scale would not.
func checkPosConfidence(t *testing.T, w, g *v2x.DetectedObject) {
	t.Helper()
	if !w.HasCov {
		if g.HasCov {
			t.Errorf("object %d: a covariance from none", w.LocalID)
		}
		return
	}
	sigma := math.Sqrt(math.Max(float64(w.CovEE), float64(w.CovNN))) // CovEN is 0 here
	if sigma > 500 {
		if g.HasCov {
			t.Errorf("object %d: σ %.1f m beyond the scale came back", w.LocalID, sigma)
		}
		return
	}
	got := math.Sqrt(float64(g.CovEE))
	tighter := 0.0
	for _, b := range positionConfidence[1:] {
		if b < got {
			tighter = b
			break
		}
	}
	if !g.HasCov || got < sigma*(1-1e-6) || (tighter > 0 && tighter >= sigma*(1-1e-6)) {
		t.Errorf("object %d: σ %.4f m came back as %.4f m", w.LocalID, sigma, got)
	}
}

// TestSDSMFromModelLimits: no objects or more than 256 is an error, and
// values beyond the ranges saturate instead of failing to encode.
func TestSDSMFromModelLimits(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	var m SensorDataSharingMessage
	if err := SDSMFromModel(&v2x.RSM{}, 30, 120, 0, at, &m); err == nil {
		t.Error("an SDSM without objects")
	}
	in := v2x.RSM{Participants: make([]v2x.DetectedObject, MaxSDSMObjects+1)}
	if err := SDSMFromModel(&in, 30, 120, 0, at, &m); err == nil {
		t.Error("257 objects in one SDSM")
	}
	in.Participants = []v2x.DetectedObject{{Class: v2x.ClassTruck, Lat: 31, Lon: 121, VelE: 500, Heading: -10, Length: 99, Width: 99, Height: 99, Confidence: 255}}
	if err := SDSMFromModel(&in, 30, 120, 200, at, &m); err != nil {
		t.Fatal(err)
	}
	if _, err := AppendSDSM(nil, &m); err != nil {
		t.Fatalf("saturated values do not encode: %v", err)
	}
	c := &m.Objects[0].DetObjCommon
	if c.Pos.OffsetX != 32767 || c.Pos.OffsetY != 32767 || c.Speed != 8190 || c.Heading != Heading(roundInt(350/headingUnit)) {
		t.Errorf("saturation: %+v", c)
	}
	// A heading that rounds to 360° is 0° (found on seed 1124 of an
	// unseen sweep: 359.998° came back as 359.9875°).
	in.Participants[0].Heading = 359.998
	if err := SDSMFromModel(&in, 30, 120, 200, at, &m); err != nil || m.Objects[0].DetObjCommon.Heading != 0 {
		t.Errorf("heading 359.998°: %d, %v", m.Objects[0].DetObjCommon.Heading, err)
	}
}

// TestSDSMFromModelAllocs: filling and encoding a reused SDSM allocates
// nothing once its slices have grown.
func TestSDSMFromModelAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	in := v2x.RSM{RSUID: 1, Participants: randomObjects(rng, 30, 120, 200, 300)}
	var m SensorDataSharingMessage
	buf := make([]byte, 0, 16<<10)
	at := time.Unix(1_800_000_000, 0)
	allocs := testing.AllocsPerRun(50, func() {
		if err := SDSMFromModel(&in, 30, 120, 1, at, &m); err != nil {
			t.Fatal(err)
		}
		var err error
		if buf, err = AppendSDSM(buf[:0], &m); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per SDSM", allocs)
	}
}

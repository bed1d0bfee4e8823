package track

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naivePredictCov is P' = F P Fᵀ + Q by full products, for checking the
// structured code in predict.
func naivePredictCov(F, P, Q *mat, n int) mat {
	var FP, out mat
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			for k := 0; k < n; k++ {
				FP[i][j] += F[i][k] * P[k][j]
			}
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			for k := 0; k < n; k++ {
				out[i][j] += FP[i][k] * F[j][k]
			}
			out[i][j] += Q[i][j]
		}
	}
	return out
}

// jacobian returns F by finite differences of the motion model.
func jacobian(f filter, dt float64) mat {
	n := f.m.dims()
	var F mat
	for k := 0; k < n; k++ {
		h := 1e-6
		a, b := f, f
		a.x[k] += h
		b.x[k] -= h
		a.syncYaw()
		b.syncYaw()
		a.predict(dt)
		b.predict(dt)
		for i := 0; i < n; i++ {
			d := a.x[i] - b.x[i]
			if i == 3 && f.m == modelCTRV {
				d = wrapAngle(d)
			}
			F[i][k] = d / (2 * h)
		}
	}
	return F
}

func randomSPD(r *rand.Rand, n int) mat {
	var A, P mat
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			A[i][j] = r.NormFloat64()
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			for k := 0; k < n; k++ {
				P[i][j] += A[i][k] * A[j][k]
			}
		}
		P[i][i] += 0.5
	}
	return P
}

func TestPredictMatchesFullProducts(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	for _, m := range []model{modelCV, modelCTRV} {
		for trial := 0; trial < 50; trial++ {
			n := m.dims()
			f := filter{m: m, P: randomSPD(r, n)}
			for i := 0; i < n; i++ {
				f.x[i] = r.NormFloat64() * 5
			}
			if m == modelCTRV {
				f.x[2] = math.Abs(f.x[2]) + 1
				f.x[3] = wrapAngle(f.x[3])
				f.x[4] = r.NormFloat64() * 0.3
				f.syncYaw()
			}
			dt := r.Float64()*0.2 - 0.05
			F := jacobian(f, dt)
			// Q is what predict adds on top of F P Fᵀ: take it from a zero P.
			z := f
			z.P = mat{}
			z.predict(dt)
			want := naivePredictCov(&F, &f.P, &z.P, n)
			got := f
			got.predict(dt)
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					if d := math.Abs(got.P[i][j] - want[i][j]); d > 1e-5*(1+math.Abs(want[i][j])) {
						t.Fatalf("model %d dt %.3f: P[%d][%d] = %v, want %v", m, dt, i, j, got.P[i][j], want[i][j])
					}
				}
			}
		}
	}
}

func TestUpdateShrinksCovarianceAndMovesTowardMeasurement(t *testing.T) {
	f := filter{m: modelCV}
	f.P[0][0], f.P[1][1], f.P[2][2], f.P[3][3] = 4, 4, 1, 1
	m := meas{z: [4]float64{2, 0, 0, 0}, Rpos: [2][2]float64{{1, 0}, {0, 1}}, hasVel: true, velVar: 1}
	if !f.update(&m, fusionRule{inflate: 1}) {
		t.Fatal("update failed")
	}
	// Scalar Kalman gain 4/(4+1) on x.
	if math.Abs(f.x[0]-1.6) > 1e-9 || math.Abs(f.P[0][0]-0.8) > 1e-9 {
		t.Fatalf("x %v P00 %v, want 1.6 and 0.8", f.x[0], f.P[0][0])
	}
	g := filter{m: modelCV}
	g.P[0][0], g.P[1][1], g.P[2][2], g.P[3][3] = 4, 4, 1, 1
	if !g.update(&m, fusionRule{inflate: 2}) || g.P[0][0] <= f.P[0][0] {
		t.Fatalf("inflated update should shrink less: %v vs %v", g.P[0][0], f.P[0][0])
	}
	d2, ok := f.gate(&m)
	if !ok || d2 <= 0 {
		t.Fatalf("gate %v %v", d2, ok)
	}
}

func TestInvertSPD(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for _, dim := range []int{4} {
		for trial := 0; trial < 100; trial++ {
			P := randomSPD(r, dim)
			var S, Si [4][4]float64
			for i := 0; i < dim; i++ {
				for j := 0; j < dim; j++ {
					S[i][j] = P[i][j]
				}
			}
			if !invertSPD(&S, &Si) {
				t.Fatal("SPD matrix reported singular")
			}
			for i := 0; i < dim; i++ {
				for j := 0; j < dim; j++ {
					var s float64
					for k := 0; k < dim; k++ {
						s += S[i][k] * Si[k][j]
					}
					want := 0.0
					if i == j {
						want = 1
					}
					if math.Abs(s-want) > 1e-8 {
						t.Fatalf("dim %d: (S S⁻¹)[%d][%d] = %v", dim, i, j, s)
					}
				}
			}
		}
	}
	var S, Si [4][4]float64
	S[0][0], S[1][1], S[2][2], S[3][3] = 1, -1, 1, 1
	if invertSPD(&S, &Si) {
		t.Fatal("indefinite matrix accepted")
	}
}

func TestSincosAdd(t *testing.T) {
	for _, a := range []float64{-3, -1, 0, 0.5, 2.9} {
		sa, ca := math.Sincos(a)
		for _, d := range []float64{-0.5, -0.19, -0.01, 0, 1e-5, 0.1, 0.199, 0.3} {
			s, c := sincosAdd(sa, ca, d)
			ws, wc := math.Sincos(a + d)
			if math.Abs(s-ws) > 1e-10 || math.Abs(c-wc) > 1e-10 {
				t.Errorf("sincosAdd(%v, %v) = %v, %v, want %v, %v", a, d, s, c, ws, wc)
			}
		}
	}
}

func TestYawCacheStaysInStep(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	f := filter{m: modelCTRV, x: vec{0, 0, 8, 3.0, 0.4}, P: randomSPD(r, 5)}
	f.syncYaw()
	for i := 0; i < 1000; i++ {
		f.predict(0.05)
		m := meas{z: [4]float64{f.x[0] + r.NormFloat64()*0.3, f.x[1] + r.NormFloat64()*0.3, -8 + r.NormFloat64(), r.NormFloat64()},
			Rpos: [2][2]float64{{0.1, 0}, {0, 0.1}}, hasVel: true, velVar: 1}
		f.update(&m, fusionRule{inflate: 2})
		s, c := math.Sincos(f.x[3])
		if math.Abs(s-f.sy) > 1e-9 || math.Abs(c-f.cy) > 1e-9 || f.x[3] <= -math.Pi || f.x[3] > math.Pi || f.x[2] < 0 {
			t.Fatalf("step %d: yaw %v speed %v, cached sin %v cos %v, want %v %v", i, f.x[3], f.x[2], f.sy, f.cy, s, c)
		}
	}
}

func TestCTRVProcessNoiseIsGQGt(t *testing.T) {
	for _, dt := range []float64{0.01, 0.1, -0.05} {
		f := filter{m: modelCTRV, x: vec{0, 0, 5, 0.7, 0}}
		f.syncYaw()
		s0, c0 := f.sy, f.cy
		f.predict(dt)
		ad := math.Abs(dt)
		g := [5][2]float64{{ad * ad / 2 * c0, 0}, {ad * ad / 2 * s0, 0}, {ad, 0}, {0, ad * ad / 2}, {0, ad}}
		q := [2]float64{ctrvAccelSigma * ctrvAccelSigma, ctrvYawAccel * ctrvYawAccel}
		for i := 0; i < 5; i++ {
			for j := 0; j < 5; j++ {
				want := g[i][0]*g[j][0]*q[0] + g[i][1]*g[j][1]*q[1]
				if math.Abs(f.P[i][j]-want) > 1e-12 {
					t.Fatalf("dt %v: Q[%d][%d] = %v, want %v", dt, i, j, f.P[i][j], want)
				}
			}
		}
	}
}

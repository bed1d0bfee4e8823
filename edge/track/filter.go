package track

import "math"

// Motion models. Pedestrians and cyclists move as constant velocity (CV,
// state px, py, vx, vy); motor vehicles as constant turn rate and velocity
// (CTRV, state px, py, v, yaw, yaw rate), an extended Kalman filter. Yaw is
// the mathematical angle: radians counter-clockwise from east.
type model uint8

const (
	modelCV model = iota
	modelCTRV
)

// dims returns the state dimension of the model.
func (m model) dims() int {
	if m == modelCTRV {
		return 5
	}
	return 4
}

// Process noise.
const (
	cvAccelSigma   = 1.5 // m/s², pedestrians and cyclists
	ctrvAccelSigma = 3.0 // m/s², longitudinal
	ctrvYawAccel   = 1.0 // rad/s², yaw acceleration
)

// vec is a state vector and mat a covariance, sized for the largest model.
type (
	vec [5]float64
	mat [5][5]float64
)

// filter is one track's state estimate.
type filter struct {
	m    model
	nyaw uint8
	// sy, cy are sin and cos of the CTRV yaw x[3], kept in step with it
	// (advanced by small-angle updates, resynchronised every yawResync
	// changes) so that prediction and update need no Sincos. They come
	// before x and P so that what publishing reads (state, velocity, the
	// position covariance) lies in the filter's first two cache lines.
	sy, cy float64
	x      vec
	P      mat
}

// yawResync bounds how many incremental updates sy, cy take before they
// are recomputed from x[3] (each adds at most ~1e-10 rad of error).
const yawResync = 64

// syncYaw recomputes sy, cy from x[3].
func (f *filter) syncYaw() {
	f.sy, f.cy = math.Sincos(f.x[3])
	f.nyaw = 0
}

// turn adds d to the yaw, keeping sy, cy in step.
func (f *filter) turn(d float64) {
	f.x[3] = wrapAngle(f.x[3] + d)
	if f.nyaw++; f.nyaw >= yawResync {
		f.syncYaw()
		return
	}
	f.sy, f.cy = sincosAdd(f.sy, f.cy, d)
}

// predict moves the estimate dt seconds (dt may be negative, for
// retrodiction; the covariance grows with |dt| either way).
func (f *filter) predict(dt float64) {
	if dt == 0 {
		return
	}
	ad := math.Abs(dt)
	P := &f.P
	if f.m == modelCV {
		f.x[0] += f.x[2] * dt
		f.x[1] += f.x[3] * dt
		// P = F P Fᵀ with F = I + dt at (0,2) and (1,3), then + Q.
		for j := 0; j < 4; j++ {
			P[0][j] += dt * P[2][j]
			P[1][j] += dt * P[3][j]
		}
		for i := 0; i < 4; i++ {
			P[i][0] += dt * P[i][2]
			P[i][1] += dt * P[i][3]
		}
		q := cvAccelSigma * cvAccelSigma
		d1, d2, d3 := ad*q, ad*ad*0.5*q, ad*ad*ad*(1.0/3)*q
		P[0][0] += d3
		P[1][1] += d3
		P[2][2] += d1
		P[3][3] += d1
		P[0][2] += d2
		P[2][0] += d2
		P[1][3] += d2
		P[3][1] += d2
		return
	}
	// CTRV. F is the identity plus a02..a04, a12..a14 and dt at (3,4).
	px, py, v, w := f.x[0], f.x[1], f.x[2], f.x[4]
	s0, c0 := f.sy, f.cy
	var a02, a03, a04, a12, a13, a14 float64
	if math.Abs(w) > 1e-4 {
		s1, c1 := sincosAdd(s0, c0, w*dt)
		iw := 1 / w
		ds, dc := s1-s0, c0-c1
		f.x[0] = px + v*iw*ds
		f.x[1] = py + v*iw*dc
		a02, a03, a04 = ds*iw, -v*iw*dc, v*dt*iw*c1-v*iw*iw*ds
		a12, a13, a14 = dc*iw, v*iw*ds, v*dt*iw*s1-v*iw*iw*dc
	} else {
		f.x[0] = px + v*c0*dt
		f.x[1] = py + v*s0*dt
		a02, a03, a04 = c0*dt, -v*s0*dt, -v*s0*dt*dt*0.5
		a12, a13, a14 = s0*dt, v*c0*dt, v*c0*dt*dt*0.5
	}
	f.turn(w * dt)
	for j := 0; j < 5; j++ { // rows: F P
		P[0][j] += a02*P[2][j] + a03*P[3][j] + a04*P[4][j]
		P[1][j] += a12*P[2][j] + a13*P[3][j] + a14*P[4][j]
		P[3][j] += dt * P[4][j]
	}
	for i := 0; i < 5; i++ { // columns: (F P) Fᵀ
		P[i][0] += a02*P[i][2] + a03*P[i][3] + a04*P[i][4]
		P[i][1] += a12*P[i][2] + a13*P[i][3] + a14*P[i][4]
		P[i][3] += dt * P[i][4]
	}
	// Noise enters as longitudinal and yaw acceleration: Q = G diag(qa, qw) Gᵀ
	// with G = [½dt²·c0, ½dt²·s0, dt, 0, 0 ; 0, 0, 0, ½dt², dt]ᵀ: one block
	// over states 0..2, one over 3..4.
	qa, qw := ctrvAccelSigma*ctrvAccelSigma, ctrvYawAccel*ctrvYawAccel
	h := ad * ad * 0.5
	g0, g1, g2 := h*c0, h*s0, ad
	P[0][0] += g0 * g0 * qa
	P[1][1] += g1 * g1 * qa
	P[2][2] += g2 * g2 * qa
	P[3][3] += h * h * qw
	P[4][4] += ad * ad * qw
	q01, q02, q12, q34 := g0*g1*qa, g0*g2*qa, g1*g2*qa, h*ad*qw
	P[0][1] += q01
	P[1][0] += q01
	P[0][2] += q02
	P[2][0] += q02
	P[1][2] += q12
	P[2][1] += q12
	P[3][4] += q34
	P[4][3] += q34
}

// sincosAdd returns sin and cos of a+d given those of a. For the small
// turns of one prediction step (|d| < 0.2 rad) it uses the Taylor series of
// d (error below 1e-10), cheaper than another Sincos.
func sincosAdd(sa, ca, d float64) (float64, float64) {
	var sd, cd float64
	if math.Abs(d) < 0.2 {
		d2 := d * d
		// Horner forms with reciprocal constants: no divisions.
		sd = d * (1 - d2*(1.0/6)*(1-d2*(1.0/20)*(1-d2*(1.0/42))))
		cd = 1 - d2*0.5*(1-d2*(1.0/12)*(1-d2*(1.0/30)*(1-d2*(1.0/56))))
	} else {
		sd, cd = math.Sincos(d)
	}
	return sa*cd + ca*sd, ca*cd - sa*sd
}

// position returns the estimated position.
func (f *filter) position() (x, y float64) { return f.x[0], f.x[1] }

// velocity returns the estimated velocity east and north.
func (f *filter) velocity() (ve, vn float64) {
	if f.m == modelCTRV {
		return f.x[2] * f.cy, f.x[2] * f.sy
	}
	return f.x[2], f.x[3]
}

// meas is one measurement as the filter sees it: position, optionally
// velocity, with their covariance (position block and a velocity variance).
type meas struct {
	z      [4]float64 // px, py, vx, vy
	hasVel bool
	Rpos   [2][2]float64
	velVar float64
}

// h returns the predicted measurement and its dimension.
func (f *filter) h(m *meas) (zh [4]float64, dim int) {
	zh[0], zh[1] = f.x[0], f.x[1]
	if !m.hasVel {
		return zh, 2
	}
	if f.m == modelCTRV {
		zh[2], zh[3] = f.x[2]*f.cy, f.x[2]*f.sy
	} else {
		zh[2], zh[3] = f.x[2], f.x[3]
	}
	return zh, 4
}

// gate returns the squared Mahalanobis distance of the measurement's
// position from the filter's, and false when the innovation covariance is
// not positive definite.
func (f *filter) gate(m *meas) (float64, bool) {
	a := f.P[0][0] + m.Rpos[0][0]
	b := f.P[0][1] + m.Rpos[0][1]
	d := f.P[1][1] + m.Rpos[1][1]
	det := a*d - b*b
	if !(det > 0) {
		return 0, false
	}
	dx, dy := m.z[0]-f.x[0], m.z[1]-f.x[1]
	return (d*dx*dx - 2*b*dx*dy + a*dy*dy) / det, true
}

// fusionRule says how update treats the correlation between a
// measurement's errors and the track's. Camera object lists and BSMs are
// outputs of their sources' own filters: their errors are correlated in
// time, so a plain Kalman update that takes each as independent grows
// overconfident.
type fusionRule struct {
	// ci selects covariance intersection (in its Kalman form: the prior
	// covariance inflated by 1/ω, the measurement's by 1/(1-ω), with ω from
	// the fast determinant rule ω = det(R)/(det(P)+det(R))), consistent for
	// any unknown correlation but never better than the best single input
	// when inputs are alike.
	ci bool
	// inflate multiplies the measurement covariance otherwise: each
	// measurement counts as 1/inflate of an independent one, the
	// equivalent-sample-size correction for time-correlated errors.
	inflate float64
}

// update folds the measurement in under the fusion rule. It reports false
// when the numbers are unusable (the estimate is then left alone, or, for
// a position update that succeeded, only the velocity part is skipped).
//
// Under the default rule (inflated measurement covariance) the position
// and the velocity parts are applied one after the other, each a 2×2
// update: for a block-diagonal R this is the same Kalman update as the
// joint one (exactly so for the linear parts; the CTRV velocity is
// linearised at the position-updated state), at about half the cost.
// Covariance intersection scales the prior once per measurement, so it
// takes the joint path.
func (f *filter) update(m *meas, rule fusionRule) bool {
	if rule.ci {
		return f.updateJoint(m, rule)
	}
	detR := m.Rpos[0][0]*m.Rpos[1][1] - m.Rpos[0][1]*m.Rpos[1][0]
	if !(detR > 0) {
		return false
	}
	r := max(rule.inflate, 1)
	// Position: H selects states 0 and 1.
	var PHt [5][2]float64
	for i := range PHt {
		PHt[i] = [2]float64{f.P[i][0], f.P[i][1]}
	}
	S := [2][2]float64{{f.P[0][0] + m.Rpos[0][0]*r, f.P[0][1] + m.Rpos[0][1]*r}, {f.P[1][0] + m.Rpos[1][0]*r, f.P[1][1] + m.Rpos[1][1]*r}}
	if !f.update2(&PHt, &S, [2]float64{m.z[0] - f.x[0], m.z[1] - f.x[1]}) {
		return false
	}
	if !m.hasVel {
		return true
	}
	// Velocity: H rows select states 2 and 3 (CV), or for CTRV are
	// [0 0 c −v·s 0] and [0 0 s v·c 0] at the current state.
	var y [2]float64
	if f.m == modelCTRV {
		v := f.x[2]
		sn, c := f.sy, f.cy
		for i := range PHt {
			p := &f.P[i]
			PHt[i] = [2]float64{c*p[2] - v*sn*p[3], sn*p[2] + v*c*p[3]}
		}
		S[0][0] = c*PHt[2][0] - v*sn*PHt[3][0]
		S[0][1] = c*PHt[2][1] - v*sn*PHt[3][1]
		S[1][0] = sn*PHt[2][0] + v*c*PHt[3][0]
		S[1][1] = sn*PHt[2][1] + v*c*PHt[3][1]
		y = [2]float64{m.z[2] - v*c, m.z[3] - v*sn}
	} else {
		for i := range PHt {
			PHt[i] = [2]float64{f.P[i][2], f.P[i][3]}
		}
		S = [2][2]float64{{f.P[2][2], f.P[2][3]}, {f.P[3][2], f.P[3][3]}}
		y = [2]float64{m.z[2] - f.x[2], m.z[3] - f.x[3]}
	}
	S[0][0] += m.velVar * r
	S[1][1] += m.velVar * r
	f.update2(&PHt, &S, y)
	return true
}

// update2 applies a 2-dimensional Kalman update given P Hᵀ, the
// innovation covariance S and the innovation y.
func (f *filter) update2(PHt *[5][2]float64, S *[2][2]float64, y [2]float64) bool {
	det := S[0][0]*S[1][1] - S[0][1]*S[1][0]
	if !(det > 0) || !(S[0][0] > 0) {
		return false
	}
	id := 1 / det
	s00, s01, s11 := S[1][1]*id, -S[0][1]*id, S[0][0]*id // S⁻¹, symmetric
	var K [5][2]float64
	var dyaw float64
	ctrv := f.m == modelCTRV
	for i := range K {
		p := &PHt[i]
		K[i] = [2]float64{p[0]*s00 + p[1]*s01, p[0]*s01 + p[1]*s11}
		d := K[i][0]*y[0] + K[i][1]*y[1]
		if i == 3 && ctrv {
			dyaw = d
		} else {
			f.x[i] += d
		}
	}
	// P −= K PHtᵀ, upper triangle mirrored; unrolled by row (measured in
	// BenchmarkFusionCycle against the plain double loop: about 1 µs off the
	// 200-object median, and p99 stayed under 100 µs in 6 of 6 runs against
	// 4 of 6).
	for i := range K {
		k0, k1 := K[i][0], K[i][1]
		row := &f.P[i]
		switch i {
		case 0:
			row[0] -= k0*PHt[0][0] + k1*PHt[0][1]
			fallthrough
		case 1:
			row[1] -= k0*PHt[1][0] + k1*PHt[1][1]
			fallthrough
		case 2:
			row[2] -= k0*PHt[2][0] + k1*PHt[2][1]
			fallthrough
		case 3:
			row[3] -= k0*PHt[3][0] + k1*PHt[3][1]
			fallthrough
		case 4:
			row[4] -= k0*PHt[4][0] + k1*PHt[4][1]
		}
	}
	for i := 1; i < 5; i++ {
		for j := 0; j < i; j++ {
			f.P[i][j] = f.P[j][i]
		}
	}
	if ctrv {
		f.turn(dyaw)
		f.normalise()
	}
	return true
}

// normalise keeps a CTRV state canonical: speed >= 0 (yaw stays in
// (−π, π] through turn).
func (f *filter) normalise() {
	if f.m != modelCTRV || f.x[2] >= 0 {
		return
	}
	// A negative speed is the same motion facing the other way.
	f.x[2], f.x[3] = -f.x[2], wrapAngle(f.x[3]+math.Pi)
	f.sy, f.cy = -f.sy, -f.cy
}

// updateJoint is the joint (4-dimensional) update, used for covariance
// intersection.
func (f *filter) updateJoint(m *meas, rule fusionRule) bool {
	zh, dim := f.h(m)
	detP := f.P[0][0]*f.P[1][1] - f.P[0][1]*f.P[1][0]
	detR := m.Rpos[0][0]*m.Rpos[1][1] - m.Rpos[0][1]*m.Rpos[1][0]
	if !(detP > 0) || !(detR > 0) {
		return false
	}
	pScale, rScale := 1.0, max(rule.inflate, 1)
	if rule.ci {
		w := detR / (detP + detR)
		w = min(max(w, 0.05), 0.95)
		pScale, rScale = 1/w, 1/(1-w)
	}

	// H is a row selection for position (and CV velocity); for CTRV
	// velocity its rows are [0 0 c -v·s 0] and [0 0 s v·c 0]. The products
	// below use that structure instead of multiplying by H.
	ctrvVel := m.hasVel && f.m == modelCTRV
	var c, sn, v float64
	if ctrvVel {
		v = f.x[2]
		if v != 0 {
			c, sn = zh[2]/v, zh[3]/v // h computed v·cos, v·sin
		} else {
			sn, c = math.Sincos(f.x[3])
		}
	}
	// Fixed 5×4 shapes throughout, so the loops have constant bounds: a CV
	// filter's fifth state row and column stay zero, and a position-only
	// measurement pads S with an identity block and zero columns, which
	// leave K's velocity columns zero.
	// PHt = (P/ω) Hᵀ
	var PHt [5][4]float64
	for i := range PHt {
		p := &f.P[i]
		PHt[i][0], PHt[i][1] = p[0]*pScale, p[1]*pScale
		if dim == 4 {
			if ctrvVel {
				PHt[i][2] = (c*p[2] - v*sn*p[3]) * pScale
				PHt[i][3] = (sn*p[2] + v*c*p[3]) * pScale
			} else {
				PHt[i][2], PHt[i][3] = p[2]*pScale, p[3]*pScale
			}
		}
	}
	// S = H PHt + R/(1-ω), symmetric
	var S [4][4]float64
	for b := range S {
		S[0][b], S[1][b] = PHt[0][b], PHt[1][b]
		if ctrvVel {
			S[2][b] = c*PHt[2][b] - v*sn*PHt[3][b]
			S[3][b] = sn*PHt[2][b] + v*c*PHt[3][b]
		} else {
			S[2][b], S[3][b] = PHt[2][b], PHt[3][b]
		}
	}
	S[0][0] += m.Rpos[0][0] * rScale
	S[0][1] += m.Rpos[0][1] * rScale
	S[1][0] += m.Rpos[1][0] * rScale
	S[1][1] += m.Rpos[1][1] * rScale
	if dim == 4 {
		S[2][2] += m.velVar * rScale
		S[3][3] += m.velVar * rScale
	} else {
		S[2][2], S[3][3] = 1, 1
	}
	var Si [4][4]float64
	if !invertSPD(&S, &Si) {
		return false
	}
	// K = PHt S⁻¹
	var K [5][4]float64
	for i := range K {
		ph := &PHt[i]
		for j := range K[i] {
			K[i][j] = ph[0]*Si[0][j] + ph[1]*Si[1][j] + ph[2]*Si[2][j] + ph[3]*Si[3][j]
		}
	}
	var y [4]float64
	for i := 0; i < dim; i++ {
		y[i] = m.z[i] - zh[i]
	}
	for i := range K {
		k := &K[i]
		f.x[i] += k[0]*y[0] + k[1]*y[1] + k[2]*y[2] + k[3]*y[3]
	}
	if f.m == modelCTRV {
		f.x[3] = wrapAngle(f.x[3])
		if f.x[2] < 0 { // a negative speed is the same motion facing the other way
			f.x[2], f.x[3] = -f.x[2], wrapAngle(f.x[3]+math.Pi)
		}
		f.syncYaw()
	}
	// P = P/ω − K (H P/ω) = P/ω − K PHtᵀ, upper triangle mirrored.
	for i := range K {
		k := &K[i]
		for j := i; j < 5; j++ {
			ph := &PHt[j]
			p := f.P[i][j]*pScale - (k[0]*ph[0] + k[1]*ph[1] + k[2]*ph[2] + k[3]*ph[3])
			f.P[i][j], f.P[j][i] = p, p
		}
	}
	return true
}

// invertSPD inverts the 4×4 symmetric positive-definite S through its
// Cholesky factor S = L Lᵀ: S⁻¹ = L⁻ᵀ L⁻¹. It reports false when S is not
// positive definite.
func invertSPD(S, Si *[4][4]float64) bool {
	const dim = 4
	var L, Li [4][4]float64
	var rd [4]float64 // reciprocals of L's diagonal
	for i := 0; i < dim; i++ {
		for j := 0; j <= i; j++ {
			s := S[i][j]
			for k := 0; k < j; k++ {
				s -= L[i][k] * L[j][k]
			}
			if i == j {
				if !(s > 0) {
					return false
				}
				L[i][i] = math.Sqrt(s)
				rd[i] = 1 / L[i][i]
			} else {
				L[i][j] = s * rd[j]
			}
		}
	}
	// Li = L⁻¹, lower triangular.
	for i := 0; i < dim; i++ {
		Li[i][i] = rd[i]
		for j := 0; j < i; j++ {
			var s float64
			for k := j; k < i; k++ {
				s -= L[i][k] * Li[k][j]
			}
			Li[i][j] = s * rd[i]
		}
	}
	// Si = Liᵀ Li, symmetric.
	for i := 0; i < dim; i++ {
		for j := i; j < dim; j++ {
			var s float64
			for k := j; k < dim; k++ {
				s += Li[k][i] * Li[k][j]
			}
			Si[i][j], Si[j][i] = s, s
		}
	}
	return true
}

// wrapAngle maps an angle to (-π, π].
func wrapAngle(a float64) float64 {
	if a > math.Pi || a <= -math.Pi {
		a = math.Remainder(a, 2*math.Pi)
		if a <= -math.Pi {
			a += 2 * math.Pi
		}
	}
	return a
}

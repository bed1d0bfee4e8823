package track

import "math"

// Online calibration-bias estimation per camera (docs/fusion.md, "Camera
// biases").
//
// A roadside camera's calibration error moves every detection it makes by
// an offset that changes slowly and smoothly over its field of view: a
// ground-plane offset, a yaw error (across the line of sight, growing with
// range) and a range scale error (along it). In the tracker's east/north
// frame all three together are an affine function of the position p:
//
//	b(p) = c + M p,  M = [[s, y], [-y, s]]
//
// with four parameters per camera (c east, c north, s, y). Two cameras that
// detect the same object within a few tens of milliseconds give a pair
// whose difference, after carrying one detection to the other's time along
// the track's velocity, is b_k(p) - b_j(p) plus their random errors: a
// linear equation in the parameters, which the estimator accumulates in
// normal equations and solves every biasSolveEveryNS. Camera pairs only
// tell biases apart; their common part is anchored by a zero-mean prior on
// every camera's parameters (calibration errors are independent from
// camera to camera) and by pairs of a camera's detection with the same
// vehicle's BSM, whose GNSS error is independent from vehicle to vehicle
// (but nearly constant for one vehicle, so each such pair counts for
// 1/biasSelfDiscount). The data are forgotten with time constant
// biasForgetNS, so the estimate follows drift. Each detection's position
// then has its camera's estimated bias subtracted before the filter update.
// A tracker fed by one camera alone forms no pairs: its estimate stays
// zero.
const (
	biasMaxCams        = 16
	biasParams         = 4
	biasN              = biasMaxCams * biasParams
	biasPairWindowNS   = 60e6  // detections this close in time form a pair
	biasSolveEveryNS   = 500e6 // how often the normal equations are solved
	biasForgetNS       = 120e9 // time constant of forgetting old pairs
	biasPosScale       = 100.0 // metres: s and y are estimated per this distance
	biasPriorOffset    = 0.3   // m, prior sigma of c per axis
	biasPriorLinear    = 0.3   // m per biasPosScale, prior sigma of s and y
	biasVarFactor      = 5.0   // a pair's variance over the reported one: optimistic, correlated
	biasSelfDiscount   = 100.0 // a camera-BSM pair counts this much less (one vehicle's GNSS bias is shared by its pairs)
	biasOutlierChi2    = 20.0  // a pair further apart than this many reported variances (plus biasOutlierVar) is not used: an association error
	biasOutlierVar     = 1.0   // m²: the biases' part of that bound
	biasDefaultVar     = 1.0   // m², a detection without covariance
	biasSelfDefaultVar = 4.0   // m², a BSM without accuracy
)

// biasMark is what a track keeps of its last raw detection (camera index
// + 1, 0 for none) and its last BSM, to pair with the next one.
type biasMark struct {
	cam             int8
	camNS, selfNS   int64
	camE, camN      float64
	selfE, selfN    float64
	camVar, selfVar float64
}

// biasEst estimates every camera's calibration bias. It is fixed in size:
// nothing is allocated after the first sight of each camera.
type biasEst struct {
	cams  map[*sourceState]int8 // camera index per detection source
	n     int                   // cameras seen (at most biasMaxCams)
	a     [biasN][biasN]float64 // information from pairs (decayed)
	b     [biasN]float64
	l     [biasN][biasN]float64 // workspace: Cholesky factor
	theta [biasN]float64        // the estimate
	at    int64                 // time of the last solve; 0 before any pair
	pairs uint64
}

func newBiasEst() *biasEst { return &biasEst{cams: make(map[*sourceState]int8)} }

// camera returns the index of a detection source, -1 when there are
// already biasMaxCams.
func (be *biasEst) camera(st *sourceState) int {
	if k, ok := be.cams[st]; ok {
		return int(k)
	}
	if be.n >= biasMaxCams {
		return -1
	}
	k := be.n
	be.n++
	be.cams[st] = int8(k)
	return k
}

// rows returns the regressors of the east and north bias components of
// one camera's parameters at (e, n).
func biasRows(e, n float64) (he, hn [biasParams]float64) {
	pe, pn := e/biasPosScale, n/biasPosScale
	return [biasParams]float64{1, 0, pe, pn}, [biasParams]float64{0, 1, pn, -pe}
}

// at returns camera k's estimated bias at (e, n).
func (be *biasEst) bias(k int, e, n float64) (de, dn float64) {
	if k < 0 || be.at == 0 {
		return 0, 0
	}
	he, hn := biasRows(e, n)
	th := be.theta[k*biasParams : k*biasParams+biasParams]
	for i := range biasParams {
		de += he[i] * th[i]
		dn += hn[i] * th[i]
	}
	return de, dn
}

// add accumulates one pair: d (east, north) = b_k(p) - b_j(p) + noise of
// reported variance v per axis; j < 0 for a BSM (whose bias is noise), and
// the pair then counts 1/biasSelfDiscount.
func (be *biasEst) add(k, j int, e, n, de, dn, v float64) {
	if !(v > 0) || de*de+dn*dn > biasOutlierChi2*v+biasOutlierVar {
		return
	}
	w := 1 / (biasVarFactor * v)
	if j < 0 {
		w /= biasSelfDiscount
	}
	// With H the camera's 2×4 regressor rows at (e, n) (biasRows), the
	// pair adds w·Hᵀd to b and w·HᵀH to a in k's block and, as j's rows
	// are -H, the same with its signs in j's: the negated products are
	// the same products to the bit, so each is computed once.
	he, hn := biasRows(e, n)
	var g [biasParams][biasParams]float64
	var h [biasParams]float64
	for r := range biasParams {
		h[r] = w * (he[r]*de + hn[r]*dn)
		for c := range biasParams {
			g[r][c] = w * (he[r]*he[c] + hn[r]*hn[c])
		}
	}
	kb := k * biasParams
	for r := range biasParams {
		be.b[kb+r] += h[r]
		ak := be.a[kb+r][kb : kb+biasParams]
		for c := range biasParams {
			ak[c] += g[r][c]
		}
	}
	if j >= 0 {
		jb := j * biasParams
		for r := range biasParams {
			be.b[jb+r] -= h[r]
			aj, akj, ajk := be.a[jb+r][jb:jb+biasParams], be.a[kb+r][jb:jb+biasParams], be.a[jb+r][kb:kb+biasParams]
			for c := range biasParams {
				aj[c] += g[r][c]
				akj[c] -= g[r][c]
				ajk[c] -= g[r][c]
			}
		}
	}
	be.pairs++
}

// solve decays the information to time now and solves for the estimate,
// at most every biasSolveEveryNS.
func (be *biasEst) solve(now int64) {
	if be.pairs == 0 || (be.at != 0 && now-be.at < biasSolveEveryNS) {
		return
	}
	if be.at != 0 && now > be.at {
		f := math.Exp(-float64(now-be.at) / biasForgetNS)
		for r := range be.n * biasParams {
			be.b[r] *= f
			for c := range be.n * biasParams {
				be.a[r][c] *= f
			}
		}
	}
	be.at = max(now, 1)
	nn := be.n * biasParams
	// Cholesky of a + prior, then two triangular solves.
	for r := range nn {
		for c := 0; c <= r; c++ {
			s := be.a[r][c]
			if r == c {
				p := biasPriorOffset
				if r%biasParams >= 2 {
					p = biasPriorLinear
				}
				s += 1 / (p * p)
			}
			for k := range c {
				s -= be.l[r][k] * be.l[c][k]
			}
			if r == c {
				if s <= 0 {
					return // not positive definite: keep the last estimate
				}
				be.l[r][r] = math.Sqrt(s)
			} else {
				be.l[r][c] = s / be.l[c][c]
			}
		}
	}
	var y [biasN]float64
	for r := range nn {
		s := be.b[r]
		for k := range r {
			s -= be.l[r][k] * y[k]
		}
		y[r] = s / be.l[r][r]
	}
	for r := nn - 1; r >= 0; r-- {
		s := y[r]
		for k := r + 1; k < nn; k++ {
			s -= be.l[k][r] * be.theta[k]
		}
		be.theta[r] = s / be.l[r][r]
	}
}

// measVar is a measurement's mean reported position variance per axis.
func measVar(m *Measurement, def float64) float64 {
	if m.CovEE > 0 && m.CovNN > 0 {
		return (float64(m.CovEE) + float64(m.CovNN)) / 2
	}
	return def
}

// observe pairs measurement m (raw position e, n), which just updated
// trk, with the track's last detection from another camera and its last
// BSM, then remembers it. k is m's camera index (detections), or -1.
func (be *biasEst) observe(trk *Track, m *Measurement, k int, e, n float64) {
	bm := &trk.bias
	ve, vn := trk.f.velocity()
	t := m.TimeNS
	if m.Kind == MeasSelfReport {
		v := measVar(m, biasSelfDefaultVar)
		if c := int(bm.cam) - 1; c >= 0 && abs64(t-bm.camNS) <= biasPairWindowNS {
			s := float64(bm.camNS-t) / 1e9 // carry the BSM to the detection's time
			ze, zn := e+ve*s, n+vn*s
			be.add(c, -1, bm.camE, bm.camN, bm.camE-ze, bm.camN-zn, bm.camVar+v)
		}
		bm.selfNS, bm.selfE, bm.selfN, bm.selfVar = t, e, n, v
		return
	}
	if k < 0 {
		return
	}
	v := measVar(m, biasDefaultVar)
	if c := int(bm.cam) - 1; c >= 0 && c != k && abs64(t-bm.camNS) <= biasPairWindowNS {
		s := float64(t-bm.camNS) / 1e9 // carry the other detection to this one's time
		ze, zn := bm.camE+ve*s, bm.camN+vn*s
		be.add(k, c, e, n, e-ze, n-zn, v+bm.camVar)
	}
	if bm.selfNS != 0 && abs64(t-bm.selfNS) <= biasPairWindowNS {
		s := float64(t-bm.selfNS) / 1e9
		ze, zn := bm.selfE+ve*s, bm.selfN+vn*s
		be.add(k, -1, e, n, e-ze, n-zn, v+bm.selfVar)
	}
	bm.cam, bm.camNS, bm.camE, bm.camN, bm.camVar = int8(k+1), t, e, n, v
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// debias sets the frame's camera index and subtracts the camera's
// estimated bias from its detections' filter positions (the raw ones stay
// the anchors for lat/lon and what the estimator pairs).
func (tr *Tracker) debias(frame []Measurement, t int64) {
	tr.frameCam = -1
	be := tr.bias
	if be == nil || frame[0].Kind != MeasDetection {
		return
	}
	tr.frameCam = be.camera(tr.src)
	be.solve(t)
	if tr.frameCam < 0 || be.at == 0 {
		return
	}
	for j := range frame {
		mm := &tr.ms[j]
		de, dn := be.bias(tr.frameCam, mm.z[0], mm.z[1])
		mm.z[0] -= de
		mm.z[1] -= dn
	}
}

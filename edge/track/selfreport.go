package track

import "github.com/v2x-edge/v2x-edge/v2x"

// besideCamera weakens a self-report's position where cameras see the
// vehicle. A BSM's GNSS error is mostly a bias that drifts over tens of
// seconds (multipath, atmosphere), different for every receiver; a Kalman
// update takes each BSM as an independent measurement, so at 10 Hz the
// track is pulled onto the receiver's bias, by as much as its reported
// accuracy allows against the cameras'. Beside a camera that updated the
// track within SelfBesideCameraNS, the BSM's position covariance is
// multiplied by SelfBesideCamera: it still keeps the track when cameras
// lose it, and its velocity (speed and heading, which GNSS measures well)
// is used as before.
func (tr *Tracker) besideCamera(trk *Track, m *Measurement, mm *meas) {
	f := tr.cfg.SelfBesideCamera
	if m.Kind != MeasSelfReport || !(f > 1) || trk.LastCam == 0 || m.TimeNS-trk.LastCam > tr.cfg.SelfBesideCameraNS {
		return
	}
	mm.Rpos[0][0] *= f
	mm.Rpos[0][1] *= f
	mm.Rpos[1][0] *= f
	mm.Rpos[1][1] *= f
}

// linkFirst reports whether a measurement's link may settle it before
// the assignment: not for pedestrians and cyclists, who wait and walk
// close together, where one camera's picture of a group, offset from
// another's, would otherwise keep its first wrong pairing for good.
func linkFirst(m *Measurement) bool {
	return m.Class.Vehicle() || m.Class == v2x.ClassUnknown
}

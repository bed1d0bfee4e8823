package track

// Tracks are expired against the time up to which the cameras have been
// heard, not against the bare node clock. A camera's deadlines (a lost
// tentative track after TentativeLossNS, a confirmed one after
// CameraLossNS) mean "its frames stopped showing the object", which only
// its frames can tell. When the node's host stalls it (a loaded machine,
// a long pause), the fusion loop can wake with the clock past a deadline
// while the frames that came in meanwhile are still being read: expiring
// against the clock then deletes tracks whose cameras still see them, and
// the objects come back under new ids once those frames are in: misses
// and identity switches that measure the host, not the sensors. So the
// expiry clock is held back to one frame interval (and expiryJitterNS)
// past the ingest time of the camera heard from least recently, among
// those heard within expiryHoldNS. In steady traffic every camera's next
// frame comes within that, and the expiry clock is the node clock; a
// camera silent for longer (gone, or seeing nothing) holds nothing back.
const (
	// expiryJitterNS is what a frame may come later than its camera's
	// interval before the camera holds the expiry clock back.
	expiryJitterNS = 50e6
	// expiryHoldNS bounds how far expiry can lag the node clock.
	expiryHoldNS = 1e9
)

// heard notes a detection frame of source st whose first measurement is m:
// its ingest time, and its capture time for the source's frame interval
// (a moving average of the gaps between capture times, which a stall of
// the node does not change).
func (tr *Tracker) heard(st *sourceState, m *Measurement) {
	if m.Kind != MeasDetection || m.IngestNS <= 0 {
		return
	}
	if !st.isCam {
		st.isCam = true
		tr.cams = append(tr.cams, st)
	}
	st.heardNS = max(st.heardNS, m.IngestNS)
	if gap := m.TimeNS - st.capNS; st.capNS > 0 && gap > 0 {
		if st.intervalNS == 0 {
			st.intervalNS = gap
		} else {
			st.intervalNS += (gap - st.intervalNS) / 8
		}
	}
	st.capNS = max(st.capNS, m.TimeNS)
}

// expiryClock returns the time to expire tracks against at node time now.
// Cameras silent for longer than expiryHoldNS leave tr.cams (until their
// next frame).
func (tr *Tracker) expiryClock(now int64) int64 {
	clk := now
	k := 0
	for _, st := range tr.cams {
		if now-st.heardNS > expiryHoldNS {
			st.isCam = false
			continue
		}
		tr.cams[k] = st
		k++
		if st.intervalNS > 0 {
			clk = min(clk, st.heardNS+st.intervalNS+expiryJitterNS)
		}
	}
	clear(tr.cams[k:])
	tr.cams = tr.cams[:k]
	return clk
}

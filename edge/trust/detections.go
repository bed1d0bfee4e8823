package trust

import "github.com/v2x-edge/v2x-edge/edge/track"

// Detections does what Measurement does for each detection of one camera
// frame (one stream, sensor and capture time, as the fusion loop splits
// its batch), with their ENU positions e, n, and returns how many may go
// on: those are moved to the front of frame, e and n, in order (none
// when the source is quarantined; every detection kept out is counted).
// What is the same for the whole frame (the source's identity, trust and
// quarantine, the camera's record, its clock) is looked up once, and only
// the cells are marked per detection. The result and the monitor's state
// afterwards are those of Measurement called on each detection in turn
// (TestDetectionsIsMeasurement); a frame whose measurements differ in
// anything looked up once (stream, sensor, owner, capture or arrival
// time), or that holds a self-report, goes through Measurement one by
// one.
func (m *Monitor) Detections(frame []track.Measurement, e, n []float64) int {
	if len(frame) == 0 {
		return 0
	}
	x0 := &frame[0]
	for i := range frame {
		x := &frame[i]
		if x.Kind == track.MeasSelfReport || x.Stream != x0.Stream || x.Source != x0.Source || x.TimeNS != x0.TimeNS ||
			x.IngestNS != x0.IngestNS || x.Owner != x0.Owner {
			kept := 0
			for j := range frame {
				if m.Measurement(&frame[j], e[j], n[j]) {
					frame[kept], e[kept], n[kept] = frame[j], e[j], n[j]
					kept++
				}
			}
			return kept
		}
	}
	m.own(x0.Stream, x0.Owner, x0.IngestNS)
	if m.source(x0.Stream, x0.IngestNS).quarantined {
		m.C.Quarantined += uint64(len(frame))
		return 0
	}
	if m.camKey != (camKey{x0.Stream, x0.Source}) || m.cam == nil {
		m.camKey, m.cam = camKey{x0.Stream, x0.Source}, m.cov.camera(x0.Stream, x0.Source, x0.IngestNS)
	}
	m.cov.markFrame(m.cam, frame, e, n)
	return len(frame)
}

// markFrame is mark for each detection of one frame (one capture and
// arrival time), the per-frame parts done once.
func (c *coverage) markFrame(cm *camCoverage, frame []track.Measurement, e, n []float64) {
	t := frame[0].IngestNS // one clock for every camera: arrival on the node clock
	c.camNow = max(c.camNow, frame[0].TimeNS)
	c.camLast = max(c.camLast, t)
	inside := false
	for i := range frame {
		x := &frame[i]
		k, row := c.cellOf(e[i], n[i])
		if k < 0 {
			continue
		}
		inside = true
		if s := &c.seen[k]; t >= s.t {
			s.t, s.ve, s.vn, s.pe, s.pn, s.occ = t, cmps(x.VelE), cmps(x.VelN), float32(e[i]), float32(n[i]), occluderHalf(x)
		}
		if cm != nil {
			cm.markCell(c, k, row, t, e[i], n[i], x.CovEE, x.CovEN, x.CovNN)
		}
	}
	if inside && cm != nil {
		cm.last = max(cm.last, t)
		if cm.born == 0 {
			cm.born = t
		}
	}
}

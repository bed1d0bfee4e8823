package edge

import (
	"github.com/v2x-edge/v2x-edge/edge/track"
	"github.com/v2x-edge/v2x-edge/edge/trust"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// trackFuser puts the multi-source tracker (package track) behind the
// fuser interface.
type trackFuser struct {
	tr  *track.Tracker
	mon *trust.Monitor // misbehaviour checks; nil when disabled
}

// newTrackFuser returns the tracker behind the fuser interface, with the
// misbehaviour checks of tc unless they are disabled.
func newTrackFuser(cfg track.Config, tc trust.Config) *trackFuser {
	f := &trackFuser{tr: track.New(cfg)}
	if !tc.Disabled {
		f.mon = trust.New(tc)
	}
	return f
}

func (f *trackFuser) UpdateFrame(ms []measurement, e, n []float64) (capped int, visible bool) {
	capped = f.tr.UpdateFrame(ms, e, n)
	ts, matched := f.tr.Tracks(), f.tr.Matched()
	if f.mon != nil {
		f.mon.AfterFrame(ts, ms, matched)
	}
	for _, i := range matched {
		if i >= 0 && int(i) < len(ts) && ts[i].Confirmed {
			return capped, true
		}
	}
	return capped, false
}

func (f *trackFuser) Reframe(from, to *geo.Frame) {
	f.tr.Reframe(func(e, n float64) (float64, float64) {
		lat, lon, h := from.FromENU(e, n, 0)
		x, y, _ := to.ToENU(lat, lon, h)
		return x, y
	})
}

func (f *trackFuser) SetMap(m *v2x.Map, fr *geo.Frame) {
	mf := geo.NewFrame(m.RefLat, m.RefLon, 0)
	f.tr.SetMap(m, func(e, n float64) (float64, float64) {
		lat, lon, h := mf.FromENU(e, n, 0)
		x, y, _ := fr.ToENU(lat, lon, h)
		return x, y
	})
}

func (f *trackFuser) Expire(now int64) {
	f.tr.Expire(now)
	if f.mon != nil {
		f.mon.Cycle(f.tr.Tracks(), now)
	}
}

func (f *trackFuser) Len() int { return f.tr.Len() }

// AppendObjects publishes the confirmed tracks, matching each to its lane
// on the way (one pass over the tracks).
func (f *trackFuser) AppendObjects(dst []wire.StateObject, now int64) []wire.StateObject {
	ts := f.tr.Tracks()
	for i := range ts {
		t := &ts[i]
		if !t.Confirmed {
			continue
		}
		f.tr.MatchLane(t, now)
		if f.mon != nil && !f.mon.Broadcastable(t, now) {
			continue
		}
		e, n, _, _ := t.At(now)
		lat, lon := f.tr.LatLon(t, e, n)
		ee, en, nn := t.PosCov()
		last := max(t.LastCam, t.LastSelf)
		age := max(now-last, 0) / 1e6
		speed, heading := t.Motion()
		dst = append(dst, wire.StateObject{
			ID: t.ID, Class: t.Class, Sources: uint8(min(bitsSet(t.Sources), 255)), Lane: t.Lane, Approach: t.Approach,
			Lat: lat, Lon: lon, E: float32(e), N: float32(n), Speed: float32(speed), Heading: float32(heading),
			Length: t.Length, Width: t.Width, AgeMS: uint32(min(age, 1<<32-1)),
			CovEE: float32(ee), CovEN: float32(en), CovNN: float32(nn),
		})
	}
	return dst
}

func bitsSet(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

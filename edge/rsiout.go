package edge

import (
	"fmt"
	"math"
	"slices"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// rsiOut is what a subscriber with wire.SubRSI or wire.SubCSAERSI keeps
// to send the roadside events that touch its region when they change.
type rsiOut struct {
	gen    uint64          // generation of the board's set considered last
	filter *wire.Subscribe // the subscription it was considered for
	sent   bool            // a non-empty view was sent (so an empty one withdraws it)
	view   v2x.RSI         // the view sent last
	next   []v2x.RoadEvent // scratch
	chunk  v2x.RSI         // scratch: one CSAE frame's events
	frame  csae53.MessageFrame
	buf    []byte
	msgCnt uint8
}

// maxRSIEvents is how many events one native RSI frame carries.
const maxRSIEvents = v2x.MaxEvents

// sendRSI sends the active events that touch the subscription's region
// when they differ from what it sent last: a native RSI (wire.SubRSI)
// and CSAE 53 RSI MessageFrames (wire.SubCSAERSI), all with the set's
// generation as Seq. An empty view after a non-empty one withdraws it
// (a native RSI with no events).
func (s *subscriber) sendRSI(snap *snapshot, f *wire.Subscribe) error {
	r := &s.rsiOut
	set := s.hub.rsi.load()
	if set == nil || (set.gen == r.gen && f == r.filter) {
		return nil
	}
	r.gen, r.filter = set.gen, f
	r.next = r.next[:0]
	region := regionOf(snap, f)
	for i := range set.events {
		if e := &set.events[i]; region.touches(e) {
			r.next = append(r.next, *e)
		}
	}
	if len(r.next) > maxRSIEvents {
		s.m.rsiCut.Add(float64(len(r.next) - maxRSIEvents))
		r.next = r.next[:maxRSIEvents] // highest priority first
	}
	if slices.Equal(r.next, r.view.Events) && (r.sent || len(r.next) == 0) {
		return nil
	}
	r.view.RSUID = snap.Intersection
	r.view.Events = append(r.view.Events[:0], r.next...)
	r.sent = len(r.next) > 0
	h := wire.Header{Type: wire.TypeRSI, Seq: set.gen, Capture: set.timeNS}
	if f.Flags&wire.SubRSI != 0 || len(r.view.Events) == 0 {
		if err := s.fw.WriteFrame(&h, 0, func(b []byte) []byte { return wire.AppendRSI(b, &r.view) }); err != nil {
			return err
		}
		s.m.rsiFrames.Inc()
	}
	if f.Flags&wire.SubCSAERSI == 0 || len(r.view.Events) == 0 {
		return nil
	}
	// CSAE frames: at most 8 events and 16 signs each, in priority order.
	h.Encoding = wire.EncodingCSAE53
	r.chunk.RSUID = r.view.RSUID
	evs := r.view.Events
	for len(evs) > 0 {
		var nev, nsign, k int
		for ; k < len(evs); k++ {
			if evs[k].Kind == v2x.KindSign {
				if nsign == 16 {
					break
				}
				nsign++
			} else {
				if nev == 8 {
					break
				}
				nev++
			}
		}
		r.chunk.Events = append(r.chunk.Events[:0], evs[:k]...)
		evs = evs[k:]
		r.frame.Choice = csae53.MessageFrameChoiceRsiFrame
		if err := csae53.RSIFromModel(&r.chunk, r.msgCnt, &r.frame.RsiFrame); err != nil {
			return fmt.Errorf("rsi: %w", err)
		}
		r.msgCnt = (r.msgCnt + 1) & 127
		var err error
		if r.buf, err = csae53.AppendFrame(r.buf[:0], &r.frame); err != nil {
			return fmt.Errorf("rsi: %w", err)
		}
		if err := s.fw.WriteFrame(&h, 0, func(b []byte) []byte { return append(b, r.buf...) }); err != nil {
			return err
		}
		s.m.rsiFrames.Inc()
	}
	return nil
}

// region is a subscription's circle in a local frame at its centre; all
// says there is no limit (radius 0) or no centre to measure from.
type region struct {
	all    bool
	frame  geo.Frame
	radius float64
}

// regionOf returns the region of subscription f: centred on its centre,
// else on the intersection reference point.
func regionOf(snap *snapshot, f *wire.Subscribe) region {
	switch {
	case f.Radius == 0:
		return region{all: true}
	case f.Flags&wire.SubCenter != 0:
		return region{frame: geo.NewFrame(f.CenterLat, f.CenterLon, 0), radius: float64(f.Radius)}
	case snap.HasFrame:
		lat, lon, _ := snap.Frame.Origin()
		return region{frame: geo.NewFrame(lat, lon, 0), radius: float64(f.Radius)}
	}
	return region{all: true} // no reference point yet: nothing to measure from, so no event is withheld
}

// touches reports whether an event's zone of relevance overlaps the
// region.
func (g *region) touches(e *v2x.RoadEvent) bool {
	if g.all {
		return true
	}
	de, dn, _ := g.frame.ToENU(e.Lat, e.Lon, 0)
	return math.Hypot(de, dn) <= g.radius+float64(max(e.Radius, 0))
}

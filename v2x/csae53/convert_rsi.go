package csae53

import (
	"fmt"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// ToModel converts an RSI: events (RTEs) and signs (RTSs) located at their
// offset from refPos (or refPos itself), radius 0.1 m units, priority the
// top three bits of RSIPriority, validity from timeDetails (minutes of the
// year, resolved to the year nearest refUnixNS), text from textString
// (GB2312 text is not converted and left empty).
func (m *RoadSideInformation) ToModel(refUnixNS int64, out *v2x.RSI) {
	out.RSUID = uint32(m.Id[4])<<24 | uint32(m.Id[5])<<16 | uint32(m.Id[6])<<8 | uint32(m.Id[7])
	out.Events = out.Events[:0]
	refLat, refLon := int64(m.RefPos.Lat), int64(m.RefPos.Long)
	add := func(id uint8, kind v2x.EventKind, typ uint16, pos *PositionOffsetLLV, hasPos bool, radius float32,
		desc *Description, hasDesc bool, td *RSITimeDetails, hasTD bool, prio *RSIPriority, hasPrio bool) {
		if len(out.Events) == v2x.MaxEvents {
			return
		}
		lat, lon := refLat, refLon
		if hasPos {
			var err error
			if lat, lon, err = OffsetToLatLon(&pos.OffsetLL, refLat, refLon); err != nil {
				return
			}
		}
		e := v2x.RoadEvent{ID: uint16(id), Kind: kind, Type: typ, Lat: float64(lat) * degUnit, Lon: float64(lon) * degUnit, Radius: radius}
		if hasPrio {
			e.Priority = prio[0] >> 5
		}
		if hasDesc && desc.Choice == DescriptionChoiceTextString {
			e.Text = string(desc.TextString[:min(len(desc.TextString), v2x.MaxText)])
		}
		if hasTD {
			if td.HasStartTime {
				e.StartNS, _ = v2x.MinuteOfYearNear(int64(td.StartTime), 0, refUnixNS)
			}
			if td.HasEndTime {
				e.EndNS, _ = v2x.MinuteOfYearNear(int64(td.EndTime), 0, refUnixNS)
			}
		}
		out.Events = append(out.Events, e)
	}
	for i := range m.Rtes[:len(m.Rtes)*b2i(m.HasRtes)] {
		r := &m.Rtes[i]
		radius := float32(0)
		if r.HasEventRadius {
			radius = float32(r.EventRadius) / 10
		}
		add(r.RteId, v2x.KindEvent, uint16(r.EventType), &r.EventPos, r.HasEventPos, radius,
			&r.Description, r.HasDescription, &r.TimeDetails, r.HasTimeDetails, &r.Priority, r.HasPriority)
	}
	for i := range m.Rtss[:len(m.Rtss)*b2i(m.HasRtss)] {
		r := &m.Rtss[i]
		add(r.RtsId, v2x.KindSign, uint16(r.SignType), &r.SignPos, r.HasSignPos, 0,
			&r.Description, r.HasDescription, &r.TimeDetails, r.HasTimeDetails, &r.Priority, r.HasPriority)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RSIFromModel fills out with in's events (RTEs) and signs (RTSs): at most
// 8 events and 16 signs (the schema's limits; an error beyond), located
// relative to the first one's position, radius in 0.1 m, priority in the
// top three bits, text as an IA5 textString (non-ASCII bytes become '?'),
// validity as minutes of the year (UTC; the start rounded down, the end
// up).
func RSIFromModel(in *v2x.RSI, msgCnt uint8, out *RoadSideInformation) error {
	var nev, nsign int
	for i := range in.Events {
		if in.Events[i].Kind == v2x.KindSign {
			nsign++
		} else {
			nev++
		}
	}
	if nev > 8 || nsign > 16 || nev+nsign == 0 {
		return fmt.Errorf("csae53 rsi: %d events and %d signs; an RSI holds 0..8 and 0..16, at least one", nev, nsign)
	}
	*out = RoadSideInformation{MsgCnt: MsgCount(msgCnt & 127), Rtes: out.Rtes[:0], Rtss: out.Rtss[:0]}
	out.Id[4], out.Id[5], out.Id[6], out.Id[7] = byte(in.RSUID>>24), byte(in.RSUID>>16), byte(in.RSUID>>8), byte(in.RSUID)
	ref := &in.Events[0]
	rlat, rlon := int64(round(ref.Lat/degUnit)), int64(round(ref.Lon/degUnit))
	out.RefPos = Position3D{Lat: Latitude(rlat), Long: Longitude(rlon)}
	moy := func(ns int64) MinuteOfTheYear {
		t := time.Unix(0, ns).UTC()
		return MinuteOfTheYear(t.Sub(time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)) / time.Minute)
	}
	for i := range in.Events {
		e := &in.Events[i]
		var pos PositionOffsetLLV
		LatLonToOffset(int64(round(e.Lat/degUnit)), int64(round(e.Lon/degUnit)), rlat, rlon, &pos.OffsetLL)
		var desc Description
		if e.Text != "" {
			t := []byte(e.Text[:min(len(e.Text), 512)])
			for k, c := range t {
				if c >= 0x80 {
					t[k] = '?'
				}
			}
			desc = Description{Choice: DescriptionChoiceTextString, TextString: t}
		}
		var td RSITimeDetails
		if e.StartNS != 0 {
			td.HasStartTime, td.StartTime = true, moy(e.StartNS)
		}
		if e.EndNS != 0 {
			// Rounded up: minutes never end an event early.
			td.HasEndTime, td.EndTime = true, moy(e.EndNS+int64(time.Minute)-1)
		}
		hasTD := td.HasStartTime || td.HasEndTime
		prio := RSIPriority{min(e.Priority, 7) << 5}
		if e.Kind == v2x.KindSign {
			out.Rtss = append(out.Rtss, RTSData{RtsId: uint8(e.ID), SignType: SignType(e.Type), HasSignPos: true, SignPos: pos,
				HasDescription: e.Text != "", Description: desc, HasTimeDetails: hasTD, TimeDetails: td, HasPriority: true, Priority: prio})
			continue
		}
		out.Rtes = append(out.Rtes, RTEData{RteId: uint8(e.ID), EventType: EventType(e.Type), EventSource: EventSourceDetection,
			HasEventPos: true, EventPos: pos, HasEventRadius: true, EventRadius: Radius(clampInt(round(float64(e.Radius)*10), 0, 65535)),
			HasDescription: e.Text != "", Description: desc, HasTimeDetails: hasTD, TimeDetails: td, HasPriority: true, Priority: prio})
	}
	out.HasRtes, out.HasRtss = len(out.Rtes) > 0, len(out.Rtss) > 0
	return nil
}

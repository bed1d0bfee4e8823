package csae53

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// participantClass maps an RSM participant to a class: its vehicle class
// when given, else its type.
func participantClass(p *ParticipantData) v2x.Class {
	if p.HasVehicleClass {
		if c := vehicleClass(p.VehicleClass.Classification); c != v2x.ClassUnknown {
			return c
		}
	}
	switch p.PtcType {
	case ParticipantTypeMotor:
		return v2x.ClassCar
	case ParticipantTypeNonMotor:
		return v2x.ClassBicycle
	case ParticipantTypePedestrian:
		return v2x.ClassPedestrian
	}
	return v2x.ClassUnknown
}

// OffsetToLatLon resolves a position offset against a reference position
// in 1e-7 degree (position-LatLon is absolute).
func OffsetToLatLon(o *PositionOffsetLL, refLat, refLon int64) (lat, lon int64, err error) {
	switch o.Choice {
	case PositionOffsetLLChoicePositionLL1:
		return refLat + int64(o.PositionLL1.Lat), refLon + int64(o.PositionLL1.Lon), nil
	case PositionOffsetLLChoicePositionLL2:
		return refLat + int64(o.PositionLL2.Lat), refLon + int64(o.PositionLL2.Lon), nil
	case PositionOffsetLLChoicePositionLL3:
		return refLat + int64(o.PositionLL3.Lat), refLon + int64(o.PositionLL3.Lon), nil
	case PositionOffsetLLChoicePositionLL4:
		return refLat + int64(o.PositionLL4.Lat), refLon + int64(o.PositionLL4.Lon), nil
	case PositionOffsetLLChoicePositionLL5:
		return refLat + int64(o.PositionLL5.Lat), refLon + int64(o.PositionLL5.Lon), nil
	case PositionOffsetLLChoicePositionLL6:
		return refLat + int64(o.PositionLL6.Lat), refLon + int64(o.PositionLL6.Lon), nil
	case PositionOffsetLLChoicePositionLatLon:
		return int64(o.PositionLatLon.Lat), int64(o.PositionLatLon.Lon), nil
	}
	return 0, 0, fmt.Errorf("csae53: position offset alternative %d unknown", o.Choice)
}

// LatLonToOffset sets o to the smallest alternative that holds the
// position relative to the reference (all in 1e-7 degree).
func LatLonToOffset(lat, lon, refLat, refLon int64, o *PositionOffsetLL) {
	dlat, dlon := lat-refLat, lon-refLon
	fits := func(bits uint) bool {
		lim := int64(1) << (bits - 1)
		return dlat >= -lim && dlat < lim && dlon >= -lim && dlon < lim
	}
	switch {
	case fits(12):
		o.Choice, o.PositionLL1 = PositionOffsetLLChoicePositionLL1, PositionLL24B{Lat: OffsetLLB12(dlat), Lon: OffsetLLB12(dlon)}
	case fits(14):
		o.Choice, o.PositionLL2 = PositionOffsetLLChoicePositionLL2, PositionLL28B{Lat: OffsetLLB14(dlat), Lon: OffsetLLB14(dlon)}
	case fits(16):
		o.Choice, o.PositionLL3 = PositionOffsetLLChoicePositionLL3, PositionLL32B{Lat: OffsetLLB16(dlat), Lon: OffsetLLB16(dlon)}
	case fits(18):
		o.Choice, o.PositionLL4 = PositionOffsetLLChoicePositionLL4, PositionLL36B{Lat: OffsetLLB18(dlat), Lon: OffsetLLB18(dlon)}
	case fits(22):
		o.Choice, o.PositionLL5 = PositionOffsetLLChoicePositionLL5, PositionLL44B{Lat: OffsetLLB22(dlat), Lon: OffsetLLB22(dlon)}
	case fits(24):
		o.Choice, o.PositionLL6 = PositionOffsetLLChoicePositionLL6, PositionLL48B{Lat: OffsetLLB24(dlat), Lon: OffsetLLB24(dlon)}
	default:
		o.Choice, o.PositionLatLon = PositionOffsetLLChoicePositionLatLon, PositionLLmD64b{Lat: Latitude(lat), Lon: Longitude(lon)}
	}
}

// ToModel converts an RSM: participant positions are offsets from refPos.
// A participant whose position cannot be resolved is left out.
func (m *RoadsideSafetyMessage) ToModel(out *v2x.RSM) {
	out.RSUID = binary.BigEndian.Uint32(m.Id[4:])
	out.Source = v2x.SourceUnknown
	out.Participants = out.Participants[:0]
	for i := range m.Participants {
		p := &m.Participants[i]
		lat, lon, err := OffsetToLatLon(&p.Pos.OffsetLL, int64(m.RefPos.Lat), int64(m.RefPos.Long))
		if err != nil {
			continue
		}
		if i == 0 {
			out.Source = v2x.SourceType(min(p.Source, SourceTypeIntegrated))
		}
		o := v2x.DetectedObject{
			LocalID: uint32(p.PtcId), Class: participantClass(p),
			Lat: float64(lat) * degUnit, Lon: float64(lon) * degUnit,
			Length: float32(p.Size.Length) / 100, Width: float32(p.Size.Width) / 100,
		}
		if p.Size.HasHeight {
			o.Height = float32(p.Size.Height) * 0.05
		}
		if p.Heading < 28800 {
			o.Heading = float32(p.Heading) * headingUnit
		}
		if p.Speed != 8191 {
			s := float64(p.Speed) * speedUnit
			sin, cos := math.Sincos(float64(o.Heading) * math.Pi / 180)
			o.VelE, o.VelN = float32(s*sin), float32(s*cos)
		}
		out.Participants = append(out.Participants, o)
	}
}

// RSMFromModel fills out with in's participants relative to the reference
// position (ptcType from the class, source from in.Source, position as the
// smallest offset that holds it). It fails beyond 16 participants.
func RSMFromModel(in *v2x.RSM, refLat, refLon float64, msgCnt uint8, secMark int, out *RoadsideSafetyMessage) error {
	if len(in.Participants) > 16 {
		return fmt.Errorf("%w (%d)", ErrTooManyParticipants, len(in.Participants))
	}
	if len(in.Participants) == 0 {
		return errors.New("csae53: an RSM holds at least one participant")
	}
	out.MsgCnt = MsgCount(msgCnt & 127)
	out.Id = [8]byte{}
	binary.BigEndian.PutUint32(out.Id[4:], in.RSUID)
	rlat, rlon := round(refLat/degUnit), round(refLon/degUnit)
	out.RefPos = Position3D{Lat: Latitude(rlat), Long: Longitude(rlon)}
	if cap(out.Participants) < len(in.Participants) {
		out.Participants = make(ParticipantList, len(in.Participants))
	}
	out.Participants = out.Participants[:len(in.Participants)]
	src := SourceType(min(in.Source, v2x.SourceIntegrated))
	for i := range in.Participants {
		o := &in.Participants[i]
		p := &out.Participants[i]
		*p = ParticipantData{
			PtcType: ptcType(o.Class), PtcId: uint16(o.LocalID), Source: src,
			SecMark: DSecond(clampInt(secMark, 0, 65535)),
			Speed:   Speed(clampInt(round(float64(o.Speed())/speedUnit), 0, 8190)),
			Heading: Heading(clampInt(round(math.Mod(float64(o.Heading)+360, 360)/headingUnit), 0, 28799)),
			Size:    VehicleSize{Width: VehicleWidth(clampInt(round(float64(o.Width)*100), 0, 1023)), Length: VehicleLength(clampInt(round(float64(o.Length)*100), 0, 4095))},
		}
		LatLonToOffset(int64(round(o.Lat/degUnit)), int64(round(o.Lon/degUnit)), int64(rlat), int64(rlon), &p.Pos.OffsetLL)
		if c := basicClass(o.Class); c != UnknownVehicleClass && o.Class != v2x.ClassPedestrian && o.Class != v2x.ClassBicycle {
			p.HasVehicleClass, p.VehicleClass = true, VehicleClassification{Classification: c}
		}
	}
	return nil
}

func ptcType(c v2x.Class) ParticipantType {
	switch c {
	case v2x.ClassCar, v2x.ClassTruck, v2x.ClassBus, v2x.ClassMotorcycle:
		return ParticipantTypeMotor
	case v2x.ClassBicycle:
		return ParticipantTypeNonMotor
	case v2x.ClassPedestrian:
		return ParticipantTypePedestrian
	}
	return ParticipantTypeUnknown
}

// ErrTooManyParticipants is returned for more participants than a CSAE
// 53-2017 RSM holds.
var ErrTooManyParticipants = errors.New("csae53: an RSM holds at most 16 participants")

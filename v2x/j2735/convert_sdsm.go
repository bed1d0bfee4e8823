package j2735

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
)

// Units of the SDSM (SAE J2735 2024).
const (
	objectDistanceUnit = 0.1    // ObjectDistance, m
	sizeValueUnit      = 0.1    // SizeValue (obstacle size), m
	speedUnit          = 0.02   // Speed, m/s
	headingUnit        = 0.0125 // Heading, degrees
	vehicleHeightUnit  = 0.05   // VehicleHeight, m
)

// MaxSDSMObjects is the size limit of a DetectedObjectList.
const MaxSDSMObjects = 256

// ErrTooManyObjects is returned for more objects than an SDSM holds.
var ErrTooManyObjects = errors.New("j2735: an SDSM holds at most 256 objects")

// positionConfidence holds the bound in metres of each PositionConfidence
// value from a500m (index 1) to a1cm (index 15); index 0 is unavailable.
var positionConfidence = [16]float64{0, 500, 200, 100, 50, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01}

// posConfidence is the tightest PositionConfidence whose bound is not
// below the larger standard deviation of the covariance, unavailable
// without one (or beyond 500 m).
func posConfidence(o *v2x.DetectedObject) PositionConfidence {
	if !o.HasCov {
		return PositionConfidenceUnavailable
	}
	// Larger eigenvalue of [[ee en] [en nn]].
	a, b, c := float64(o.CovEE), float64(o.CovEN), float64(o.CovNN)
	l := (a+c)/2 + math.Sqrt((a-c)*(a-c)/4+b*b)
	sigma := math.Sqrt(max(l, 0))
	best := PositionConfidenceUnavailable
	for i := 1; i < len(positionConfidence); i++ {
		if positionConfidence[i] >= sigma {
			best = PositionConfidence(i)
		}
	}
	return best
}

// basicVehicleClass is the BasicVehicleClass of a vehicle class (the
// "type unknown" member of its group).
func basicVehicleClass(c v2x.Class) BasicVehicleClass {
	switch c {
	case v2x.ClassCar:
		return 10 // passenger-Vehicle-TypeUnknown
	case v2x.ClassTruck:
		return 25 // truck-Vehicle-TypeUnknown
	case v2x.ClassBus:
		return 50 // transit-TypeUnknown
	case v2x.ClassMotorcycle:
		return 40 // motorcycle-TypeUnknown
	}
	return 0 // unknownVehicleClass
}

// vehicleClassOf is the class of a BasicVehicleClass by its group.
func vehicleClassOf(c BasicVehicleClass) v2x.Class {
	switch {
	case c >= 10 && c <= 19:
		return v2x.ClassCar
	case c >= 20 && c <= 39:
		return v2x.ClassTruck
	case c >= 40 && c <= 49:
		return v2x.ClassMotorcycle
	case c >= 50 && c <= 59:
		return v2x.ClassBus
	case c == 82:
		return v2x.ClassPedestrian
	case c == 85:
		return v2x.ClassBicycle
	}
	return v2x.ClassCar // a vehicle of some other kind
}

// SDSMFromModel fills out, reusing its slices, with in's participants as
// an RSU's SensorDataSharingMessage: sourceID the RSUID (big-endian), the
// time stamp at (UTC, milliseconds), the reference position ref rounded
// to 1e-7 degree and each object as its east/north offset from it in 0.1
// m, measured at the time stamp. Vehicles carry their size and
// BasicVehicleClass (detVeh), pedestrians and cyclists their type (detVRU),
// unknown objects their size (detObst). The class confidence is the
// model's Confidence; a position covariance becomes the tightest
// PositionConfidence that bounds its larger standard deviation. It fails
// beyond 256 objects or without any.
func SDSMFromModel(in *v2x.RSM, refLat, refLon float64, msgCnt uint8, at time.Time, out *SensorDataSharingMessage) error {
	if len(in.Participants) > MaxSDSMObjects {
		return fmt.Errorf("%w (%d)", ErrTooManyObjects, len(in.Participants))
	}
	if len(in.Participants) == 0 {
		return errors.New("j2735: an SDSM holds at least one object")
	}
	out.MsgCnt = MsgCount(msgCnt & 127)
	binary.BigEndian.PutUint32(out.SourceID[:], in.RSUID)
	out.EquipmentType = EquipmentTypeRsu
	t := at.UTC()
	out.SDSMTimeStamp = DDateTime{
		HasYear: true, Year: DYear(t.Year()), HasMonth: true, Month: DMonth(t.Month()), HasDay: true, Day: DDay(t.Day()),
		HasHour: true, Hour: DHour(t.Hour()), HasMinute: true, Minute: DMinute(t.Minute()),
		HasSecond: true, Second: DSecond(t.Second()*1000 + t.Nanosecond()/1e6), HasOffset: true, Offset: 0,
	}
	rlat, rlon := roundInt(refLat*1e7), roundInt(refLon*1e7)
	out.RefPos = Position3D{Lat: Latitude(rlat), Long: Longitude(rlon)}
	out.RefPosXYConf = PositionalAccuracy{SemiMajor: 255, SemiMinor: 255, Orientation: 65535} // unavailable
	out.HasRefPosElConf = false
	frame := geo.NewFrame(float64(rlat)*1e-7, float64(rlon)*1e-7, 0)
	if cap(out.Objects) < len(in.Participants) {
		out.Objects = make(DetectedObjectList, len(in.Participants))
	}
	out.Objects = out.Objects[:len(in.Participants)]
	for i := range in.Participants {
		o := &in.Participants[i]
		d := &out.Objects[i]
		e, n, _ := frame.ToENU(o.Lat, o.Lon, 0)
		d.DetObjCommon = DetectedObjectCommonData{
			ObjType:         objectType(o.Class),
			ObjTypeCfd:      ClassificationConfidence(min(o.Confidence, 101)),
			ObjectID:        ObjectID(o.LocalID),
			TimeConfidence:  TimeConfidenceUnavailable,
			Pos:             PositionOffsetXYZ{OffsetX: objectDistance(e), OffsetY: objectDistance(n)},
			PosConfidence:   PositionConfidenceSet{Pos: posConfidence(o), Elevation: ElevationConfidenceUnavailable},
			Speed:           Speed(clampInt(roundInt(float64(o.Speed())/speedUnit), 0, 8190)),
			SpeedConfidence: SpeedConfidenceUnavailable,
			Heading:         Heading(roundInt(math.Mod(math.Mod(float64(o.Heading), 360)+360, 360)/headingUnit) % 28800), // 360° is 0°
			HeadingConf:     HeadingConfidenceUnavailable,
		}
		d.HasDetObjOptData = true
		opt := &d.DetObjOptData
		switch {
		case o.Class.Vehicle():
			*opt = DetectedObjectOptionalData{Choice: DetectedObjectOptionalDataChoiceDetVeh}
			v := &opt.DetVeh
			v.HasSize, v.Size = true, VehicleSize{
				Width:  VehicleWidth(clampInt(roundInt(float64(o.Width)*100), 0, 1023)),
				Length: VehicleLength(clampInt(roundInt(float64(o.Length)*100), 0, 4095)),
			}
			if o.Height > 0 {
				v.HasHeight, v.Height = true, VehicleHeight(clampInt(roundInt(float64(o.Height)/vehicleHeightUnit), 0, 127))
			}
			v.HasVehicleClass, v.VehicleClass = true, basicVehicleClass(o.Class)
		case o.Class == v2x.ClassPedestrian || o.Class == v2x.ClassBicycle:
			*opt = DetectedObjectOptionalData{Choice: DetectedObjectOptionalDataChoiceDetVRU}
			opt.DetVRU.HasBasicType, opt.DetVRU.BasicType = true, PersonalDeviceUserTypeAPEDESTRIAN
			if o.Class == v2x.ClassBicycle {
				opt.DetVRU.BasicType = PersonalDeviceUserTypeAPEDALCYCLIST
			}
		default:
			*opt = DetectedObjectOptionalData{Choice: DetectedObjectOptionalDataChoiceDetObst}
			s := &opt.DetObst
			s.ObstSize = ObstacleSize{
				Width:  SizeValue(clampInt(roundInt(float64(o.Width)/sizeValueUnit), 0, 1023)),
				Length: SizeValue(clampInt(roundInt(float64(o.Length)/sizeValueUnit), 0, 1023)),
			}
			if o.Height > 0 {
				s.ObstSize.HasHeight, s.ObstSize.Height = true, SizeValue(clampInt(roundInt(float64(o.Height)/sizeValueUnit), 0, 1023))
			}
			s.ObstSizeConfidence = ObstacleSizeConfidence{}
		}
	}
	return nil
}

func objectType(c v2x.Class) ObjectType {
	switch {
	case c.Vehicle():
		return ObjectTypeVehicle
	case c == v2x.ClassPedestrian || c == v2x.ClassBicycle:
		return ObjectTypeVru
	}
	return ObjectTypeUnknown
}

func objectDistance(m float64) ObjectDistance {
	return ObjectDistance(clampInt(roundInt(m/objectDistanceUnit), -32767, 32767))
}

// SDSMTime returns the SDSM's time stamp, false when it lacks a field
// down to the second (the offset from UTC, minutes, is applied when
// given).
func (m *SensorDataSharingMessage) SDSMTime() (time.Time, bool) {
	t := &m.SDSMTimeStamp
	if !t.HasYear || !t.HasMonth || !t.HasDay || !t.HasHour || !t.HasMinute || !t.HasSecond || t.Month == 0 {
		return time.Time{}, false
	}
	ms := int(t.Second)
	at := time.Date(int(t.Year), time.Month(t.Month), int(t.Day), int(t.Hour), int(t.Minute), ms/1000, ms%1000*1e6, time.UTC)
	if t.HasOffset {
		at = at.Add(-time.Duration(t.Offset) * time.Minute)
	}
	return at, true
}

// ToModel converts an SDSM to the node's model: sourceID as the RSUID,
// each object's position resolved from its offset to the reference
// position, its velocity from speed and heading, its class from its type
// and optional data, its size from detVeh or detObst, its position
// confidence as an isotropic covariance (the bound as standard
// deviation). Unavailable values become zero.
func (m *SensorDataSharingMessage) ToModel(out *v2x.RSM) {
	out.RSUID = binary.BigEndian.Uint32(m.SourceID[:])
	out.Source = v2x.SourceUnknown
	if m.EquipmentType == EquipmentTypeRsu {
		out.Source = v2x.SourceIntegrated
	}
	frame := geo.NewFrame(float64(m.RefPos.Lat)*1e-7, float64(m.RefPos.Long)*1e-7, 0)
	out.Participants = out.Participants[:0]
	for i := range m.Objects {
		d := &m.Objects[i]
		c := &d.DetObjCommon
		lat, lon, _ := frame.FromENU(float64(c.Pos.OffsetX)*objectDistanceUnit, float64(c.Pos.OffsetY)*objectDistanceUnit, 0)
		o := v2x.DetectedObject{LocalID: uint32(c.ObjectID), Confidence: uint8(min(c.ObjTypeCfd, 100)), Lat: lat, Lon: lon}
		if c.Heading < 28800 {
			o.Heading = float32(float64(c.Heading) * headingUnit)
		}
		if c.Speed != 8191 {
			s := float64(c.Speed) * speedUnit
			sin, cos := math.Sincos(float64(o.Heading) * math.Pi / 180)
			o.VelE, o.VelN = float32(s*sin), float32(s*cos)
		}
		if p := c.PosConfidence.Pos; p > 0 && int(p) < len(positionConfidence) {
			s := positionConfidence[p]
			o.HasCov, o.CovEE, o.CovNN = true, float32(s*s), float32(s*s)
		}
		switch c.ObjType {
		case ObjectTypeVehicle:
			o.Class = v2x.ClassCar
		case ObjectTypeVru:
			o.Class = v2x.ClassPedestrian
		}
		if d.HasDetObjOptData {
			opt := &d.DetObjOptData
			switch opt.Choice {
			case DetectedObjectOptionalDataChoiceDetVeh:
				v := &opt.DetVeh
				if v.HasVehicleClass {
					o.Class = vehicleClassOf(v.VehicleClass)
				}
				if v.HasSize {
					o.Width, o.Length = float32(v.Size.Width)*0.01, float32(v.Size.Length)*0.01
				}
				if v.HasHeight {
					o.Height = float32(float64(v.Height) * vehicleHeightUnit)
				}
			case DetectedObjectOptionalDataChoiceDetVRU:
				if opt.DetVRU.HasBasicType && opt.DetVRU.BasicType == PersonalDeviceUserTypeAPEDALCYCLIST {
					o.Class = v2x.ClassBicycle
				}
			case DetectedObjectOptionalDataChoiceDetObst:
				s := &opt.DetObst.ObstSize
				o.Width, o.Length = float32(float64(s.Width)*sizeValueUnit), float32(float64(s.Length)*sizeValueUnit)
				if s.HasHeight {
					o.Height = float32(float64(s.Height) * sizeValueUnit)
				}
			}
		}
		out.Participants = append(out.Participants, o)
	}
}

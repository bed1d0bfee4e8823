package csae53

import (
	"encoding/binary"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// ToModel converts a BSM into the node's model.
func (m *BasicSafetyMessage) ToModel(b *v2x.BSM) {
	*b = v2x.BSM{
		VehicleID: binary.BigEndian.Uint64(m.Id[:]),
		MsgCount:  uint8(m.MsgCnt),
		Lat:       float64(m.Pos.Lat) * degUnit,
		Lon:       float64(m.Pos.Long) * degUnit,
		Class:     vehicleClass(m.VehicleClass.Classification),
		Length:    float32(m.Size.Length) / 100,
		Width:     float32(m.Size.Width) / 100,
	}
	if m.Pos.HasElevation && m.Pos.Elevation != -4096 {
		b.Elevation = float32(m.Pos.Elevation) / 10
	}
	if m.Speed != 8191 {
		b.Speed = float32(m.Speed) * speedUnit
	}
	if m.Heading < 28800 {
		b.Heading = float32(m.Heading) * headingUnit
	}
	a := &m.AccelSet
	if a.Long != 2001 {
		b.AccelLon = float32(a.Long) / 100
	}
	if a.Lat != 2001 {
		b.AccelLat = float32(a.Lat) / 100
	}
	if a.Vert != -127 {
		b.AccelVert = float32(a.Vert) * 0.02 * gravity
	}
	b.YawRate = float32(a.Yaw) / 100
	if p := &m.PosAccuracy; m.HasPosAccuracy && p.SemiMajor != 255 {
		b.AccSemiMajor = float32(p.SemiMajor) * 0.05
		if p.SemiMinor != 255 {
			b.AccSemiMinor = float32(p.SemiMinor) * 0.05
		}
		if p.Orientation != 65535 {
			b.AccOrientation = float32(float64(p.Orientation) * 360 / 65535)
		}
	}
}

// BSMFromModel fills out from the node's model (for simulators and
// tests); secMark is the milliseconds within the minute of the capture.
func BSMFromModel(in *v2x.BSM, secMark int, out *BasicSafetyMessage) {
	*out = BasicSafetyMessage{
		MsgCnt:       MsgCount(in.MsgCount & 127),
		SecMark:      DSecond(clampInt(secMark, 0, 65535)),
		Pos:          Position3D{Lat: Latitude(round(in.Lat / degUnit)), Long: Longitude(round(in.Lon / degUnit)), HasElevation: true, Elevation: Elevation(clampInt(round(float64(in.Elevation)*10), -4095, 61439))},
		Transmission: TransmissionStateUnavailable,
		Speed:        Speed(clampInt(round(float64(in.Speed)/speedUnit), 0, 8190)),
		Heading:      Heading(clampInt(round(float64(in.Heading)/headingUnit), 0, 28799)),
		AccelSet: AccelerationSet4Way{
			Long: Acceleration(clampInt(round(float64(in.AccelLon)*100), -2000, 2000)),
			Lat:  Acceleration(clampInt(round(float64(in.AccelLat)*100), -2000, 2000)),
			Vert: VerticalAcceleration(clampInt(round(float64(in.AccelVert)/(0.02*gravity)), -126, 127)),
			Yaw:  YawRate(clampInt(round(float64(in.YawRate)*100), -32767, 32767)),
		},
		Size:         VehicleSize{Width: VehicleWidth(clampInt(round(float64(in.Width)*100), 0, 1023)), Length: VehicleLength(clampInt(round(float64(in.Length)*100), 0, 4095))},
		VehicleClass: VehicleClassification{Classification: basicClass(in.Class)},
	}
	binary.BigEndian.PutUint64(out.Id[:], in.VehicleID)
	out.Brakes.BrakePadel = BrakePedalStatusUnavailable
	out.Brakes.WheelBrakes.Len = 5
	if in.AccSemiMajor > 0 {
		out.HasPosAccuracy = true
		out.PosAccuracy = PositionalAccuracy{
			SemiMajor:   SemiMajorAxisAccuracy(clampInt(round(float64(in.AccSemiMajor)/0.05), 0, 254)),
			SemiMinor:   SemiMinorAxisAccuracy(clampInt(round(float64(in.AccSemiMinor)/0.05), 0, 254)),
			Orientation: SemiMajorAxisOrientation(clampInt(round(float64(in.AccOrientation)*65535/360), 0, 65534)),
		}
	}
}

// vehicleClass maps a BasicVehicleClass (J2735 numbering) to a class.
func vehicleClass(c BasicVehicleClass) v2x.Class {
	switch {
	case c >= 10 && c <= 19:
		return v2x.ClassCar
	case c >= 20 && c <= 39:
		return v2x.ClassTruck
	case c >= 40 && c <= 49:
		return v2x.ClassMotorcycle
	case c >= 50 && c <= 59:
		return v2x.ClassBus
	case c >= 60 && c <= 69:
		return v2x.ClassCar // emergency vehicles
	case c == 82 || c == 83 || c == 84 || c == 86:
		return v2x.ClassPedestrian
	case c == 85:
		return v2x.ClassBicycle
	}
	return v2x.ClassUnknown
}

// basicClass is the BasicVehicleClass for a class.
func basicClass(c v2x.Class) BasicVehicleClass {
	switch c {
	case v2x.ClassCar:
		return PassengerVehicleTypeUnknown
	case v2x.ClassTruck:
		return TruckVehicleTypeUnknown
	case v2x.ClassBus:
		return TransitTypeUnknown
	case v2x.ClassMotorcycle:
		return MotorcycleTypeUnknown
	case v2x.ClassBicycle:
		return OtherTravelerBicycle
	case v2x.ClassPedestrian:
		return OtherTravelerPedestrian
	}
	return UnknownVehicleClass
}

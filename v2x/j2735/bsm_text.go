package j2735

import (
	"fmt"

	"github.com/v2x-edge/v2x-edge/v2x/asn1text"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
)

// PartIIVehicleSafety is the partII-Id of VehicleSafetyExtensions.
const PartIIVehicleSafety = 0

// DecodeVehicleSafety decodes a Part II value with partII-Id 0 into v.
func DecodeVehicleSafety(b []byte, v *VehicleSafetyExtensions) error {
	var d uper.Decoder
	d.Reset(b)
	v.DecodeUPER(&d)
	if err := d.Err(); err != nil {
		return fmt.Errorf("j2735 VehicleSafetyExtensions: %w", err)
	}
	return nil
}

func enumName(names []string, v int) string {
	if v >= 0 && v < len(names) {
		return names[v]
	}
	return ""
}

// WriteText writes the BSM with its ASN.1 component names: Part II values
// with partII-Id 0 decoded as VehicleSafetyExtensions, other Part II and
// regional extension values as their octets.
func (m *BSM) WriteText(w asn1text.Writer, name string) {
	c := &m.Core
	w.Begin(name, asn1text.Sequence)
	w.Begin("coreData", asn1text.Sequence)
	w.Int("msgCnt", int64(c.MsgCnt))
	w.Octets("id", c.ID[:])
	w.Int("secMark", int64(c.SecMark))
	w.Int("lat", c.Lat)
	w.Int("long", c.Long)
	w.Int("elev", int64(c.Elev))
	w.Begin("accuracy", asn1text.Sequence)
	w.Int("semiMajor", int64(c.SemiMajor))
	w.Int("semiMinor", int64(c.SemiMinor))
	w.Int("orientation", int64(c.Orientation))
	w.End()
	w.Enum("transmission", enumName(TransmissionNames, c.Transmission))
	w.Int("speed", int64(c.Speed))
	w.Int("heading", int64(c.Heading))
	w.Int("angle", int64(c.Angle))
	w.Begin("accelSet", asn1text.Sequence)
	w.Int("long", int64(c.AccLong))
	w.Int("lat", int64(c.AccLat))
	w.Int("vert", int64(c.AccVert))
	w.Int("yaw", int64(c.Yaw))
	w.End()
	w.Begin("brakes", asn1text.Sequence)
	w.Bits("wheelBrakes", uint64(c.WheelBrakes), 5)
	w.Enum("traction", enumName(TractionNames, c.Traction))
	w.Enum("abs", enumName(TractionNames, c.ABS))
	w.Enum("scs", enumName(TractionNames, c.SCS))
	w.Enum("brakeBoost", enumName(BrakeBoostNames, c.BrakeBoost))
	w.Enum("auxBrakes", enumName(AuxBrakesNames, c.AuxBrakes))
	w.End()
	w.Begin("size", asn1text.Sequence)
	w.Int("width", int64(c.Width))
	w.Int("length", int64(c.Length))
	w.End()
	w.End()
	if m.PartII != nil {
		w.Begin("partII", asn1text.List)
		var vse *VehicleSafetyExtensions
		for _, x := range m.PartII {
			w.Begin("BSMpartIIExtension", asn1text.Sequence)
			w.Int("partII-Id", int64(x.ID))
			if x.ID == PartIIVehicleSafety {
				if vse == nil {
					vse = new(VehicleSafetyExtensions)
				}
				if DecodeVehicleSafety(x.Value, vse) == nil {
					w.Begin("partII-Value", asn1text.Choice)
					vse.WriteText(w, "VehicleSafetyExtensions")
					w.End()
					w.End()
					continue
				}
			}
			w.Octets("partII-Value", x.Value)
			w.End()
		}
		w.End()
	}
	if m.Regional != nil {
		w.Begin("regional", asn1text.List)
		for _, x := range m.Regional {
			w.Begin("RegionalExtension", asn1text.Sequence)
			w.Int("regionId", int64(x.ID))
			w.Octets("regExtValue", x.Value)
			w.End()
		}
		w.End()
	}
	w.End()
}

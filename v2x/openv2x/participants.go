package openv2x

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// Units of OpenV2X's standard RSM JSON (those of CSAE 53 RSM, as
// cerebrum's transform_driver converts to them).
const (
	degUnit     = 1e-7   // lat, lon
	speedUnit   = 0.02   // m/s
	headingUnit = 0.0125 // degrees
	sizeUnit    = 0.01   // width, length: m
	heightUnit  = 0.05   // m
)

// DecodeParticipants decodes OpenV2X participant JSON into out, reusing
// its Participants. Three shapes are read (docs/protocol.md §13.2):
//
//   - the standard RSM JSON of RSM/UP: {"content": {"rsms": [{"refPos":
//     …, "participants": [{"ptcType", "ptcId", "source", "secMark",
//     "pos": {"lat", "lon"}, "speed", "heading", "size": {…}}]}]}} (or
//     the object under "content" alone), in CSAE 53 units;
//   - the "dawnline" RSM of RSM/UP/DAWNLINE: [{"dev_pos": …, "content":
//     [{"ptcType", "ptcId", "pos_lat", "pos_lon", "heading", "speed",
//     "width", "length", "height", …}]}], in degrees, m/s and metres;
//   - participant tracks by id, as cerebrum's edge algorithms keep them:
//     {"118.0": [{"rsuId", "ptcType", "ptcId", "lat", "lon", "speed",
//     "heading", "width", "length", "height", …}, …], …}; the last entry
//     of each track is its current state (lat/lon in 1e-7 degree, speed
//     in m/s, heading in radians clockwise from north).
//
// Positions are absolute. More than v2x.MaxObjects participants is an
// error.
func DecodeParticipants(b []byte, out *v2x.RSM) error {
	out.RSUID, out.Source, out.Participants = 0, v2x.SourceUnknown, out.Participants[:0]
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return errors.New("openv2x participants: empty payload")
	}
	var c checker
	if b[0] == '[' {
		var msgs []dawnline
		if err := json.Unmarshal(b, &msgs); err != nil {
			return fmt.Errorf("openv2x participants (dawnline): %w", err)
		}
		for i := range msgs {
			for j := range msgs[i].Content {
				c.dawnline(out, &msgs[i].Content[j], fmt.Sprintf("[%d].content[%d]", i, j))
			}
		}
		return c.done(out)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return fmt.Errorf("openv2x participants: %w", err)
	}
	if raw, ok := top["content"]; ok {
		b = raw
	}
	if _, ok := top["rsms"]; ok || top["content"] != nil {
		var std struct {
			RSMs []struct {
				Participants []stdParticipant `json:"participants"`
			} `json:"rsms"`
		}
		if err := json.Unmarshal(b, &std); err != nil {
			return fmt.Errorf("openv2x participants (rsm): %w", err)
		}
		if std.RSMs == nil {
			return errors.New(`openv2x participants (rsm): no "rsms"`)
		}
		if id, ok := top["id"]; ok {
			out.RSUID = rsuID(id)
		}
		for i := range std.RSMs {
			for j := range std.RSMs[i].Participants {
				c.std(out, &std.RSMs[i].Participants[j], fmt.Sprintf("rsms[%d].participants[%d]", i, j))
			}
		}
		return c.done(out)
	}
	// Tracks by participant id, in the order of their ids.
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var track []trackPoint
		if err := json.Unmarshal(top[k], &track); err != nil {
			return fmt.Errorf("openv2x participants: track %q: %w", k, err)
		}
		if len(track) == 0 {
			continue
		}
		p := &track[len(track)-1]
		if out.RSUID == 0 {
			out.RSUID = rsuID(p.RSUID)
		}
		c.track(out, p, fmt.Sprintf("%q[%d]", k, len(track)-1))
	}
	return c.done(out)
}

// done ends a decode: the first error, else a check of the count.
func (c *checker) done(out *v2x.RSM) error {
	if c.err == nil && len(out.Participants) > v2x.MaxObjects {
		c.fail("%d participants, more than %d", len(out.Participants), v2x.MaxObjects)
	}
	if c.err != nil {
		out.Participants = out.Participants[:0]
		return fmt.Errorf("openv2x participants: %w", c.err)
	}
	return nil
}

// stdParticipant is a participant of the standard RSM JSON.
type stdParticipant struct {
	PtcType json.RawMessage `json:"ptcType"`
	PtcID   num             `json:"ptcId"`
	Source  num             `json:"source"`
	Pos     struct {
		Lat num `json:"lat"`
		Lon num `json:"lon"`
	} `json:"pos"`
	Speed   num `json:"speed"`
	Heading num `json:"heading"`
	Size    *struct {
		Width  num `json:"width"`
		Length num `json:"length"`
		Height num `json:"height"`
	} `json:"size"`
}

// dawnline is one RSU's message of the dawnline RSM.
type dawnline struct {
	Content []dawnlineParticipant `json:"content"`
}

type dawnlineParticipant struct {
	PtcType json.RawMessage `json:"ptcType"`
	PtcID   num             `json:"ptcId"`
	Source  num             `json:"source"`
	Lat     num             `json:"pos_lat"`
	Lon     num             `json:"pos_lon"`
	Speed   num             `json:"speed"`
	Heading num             `json:"heading"`
	Width   num             `json:"width"`
	Length  num             `json:"length"`
	Height  num             `json:"height"`
}

// trackPoint is one state of a participant track.
type trackPoint struct {
	RSUID   json.RawMessage `json:"rsuId"`
	PtcType json.RawMessage `json:"ptcType"`
	PtcID   num             `json:"ptcId"`
	Source  num             `json:"source"`
	Lat     num             `json:"lat"`
	Lon     num             `json:"lon"`
	Speed   num             `json:"speed"`
	Heading num             `json:"heading"`
	Width   num             `json:"width"`
	Length  num             `json:"length"`
	Height  num             `json:"height"`
}

func (c *checker) std(out *v2x.RSM, p *stdParticipant, at string) {
	o := c.object(out, p.PtcType, p.PtcID, p.Source, at)
	o.Lat = float64(c.int(p.Pos.Lat, -900000000, 900000000, at+".pos.lat")) * degUnit
	o.Lon = float64(c.int(p.Pos.Lon, -1800000000, 1800000000, at+".pos.lon")) * degUnit
	speed, heading := 0.0, 0.0
	if p.Speed.Set {
		speed = float64(c.int(p.Speed, 0, 8191, at+".speed")) * speedUnit
	}
	if p.Heading.Set {
		heading = float64(c.int(p.Heading, 0, 28800, at+".heading")) * headingUnit
	}
	c.motion(o, speed, heading)
	if p.Size != nil {
		o.Width = float32(float64(c.int(p.Size.Width, 0, 1023, at+".size.width")) * sizeUnit)
		o.Length = float32(float64(c.int(p.Size.Length, 0, 4095, at+".size.length")) * sizeUnit)
		if p.Size.Height.Set {
			o.Height = float32(float64(c.int(p.Size.Height, 0, 127, at+".size.height")) * heightUnit)
		}
	}
}

func (c *checker) dawnline(out *v2x.RSM, p *dawnlineParticipant, at string) {
	o := c.object(out, p.PtcType, p.PtcID, p.Source, at)
	o.Lat = c.float(p.Lat, -90, 90, at+".pos_lat")
	o.Lon = c.float(p.Lon, -180, 180, at+".pos_lon")
	c.motion(o, c.optFloat(p.Speed, -163.82, 163.82, at+".speed"), c.optFloat(p.Heading, -360, 360, at+".heading"))
	c.size(o, p.Width, p.Length, p.Height, at)
}

func (c *checker) track(out *v2x.RSM, p *trackPoint, at string) {
	o := c.object(out, p.PtcType, p.PtcID, p.Source, at)
	o.Lat = float64(c.int(p.Lat, -900000000, 900000000, at+".lat")) * degUnit
	o.Lon = float64(c.int(p.Lon, -1800000000, 1800000000, at+".lon")) * degUnit
	heading := c.optFloat(p.Heading, -2*math.Pi, 2*math.Pi, at+".heading") * 180 / math.Pi
	c.motion(o, c.optFloat(p.Speed, -163.82, 163.82, at+".speed"), heading)
	c.size(o, p.Width, p.Length, p.Height, at)
}

// object appends a participant with its id, class and source.
func (c *checker) object(out *v2x.RSM, ptcType json.RawMessage, id, source num, at string) *v2x.DetectedObject {
	out.Participants = append(out.Participants, v2x.DetectedObject{
		LocalID: uint32(c.int(id, 0, math.MaxUint16, at+".ptcId")),
		Class:   c.class(ptcType, at+".ptcType"),
	})
	if source.Set {
		s := v2x.SourceType(c.int(source, 0, int64(v2x.SourceIntegrated), at+".source"))
		if len(out.Participants) == 1 {
			out.Source = s
		}
	}
	return &out.Participants[len(out.Participants)-1]
}

// motion sets the velocity from a speed (m/s; a negative speed is taken
// as its magnitude, as cerebrum does) and a heading (degrees clockwise
// from north).
func (c *checker) motion(o *v2x.DetectedObject, speed, heading float64) {
	speed = math.Abs(speed)
	heading = math.Mod(heading+360, 360)
	sin, cos := math.Sincos(heading * math.Pi / 180)
	o.Heading = float32(heading)
	o.VelE, o.VelN = float32(speed*sin), float32(speed*cos)
}

func (c *checker) size(o *v2x.DetectedObject, w, l, h num, at string) {
	o.Width = float32(c.optFloat(w, 0, 10.23, at+".width"))
	o.Length = float32(c.optFloat(l, 0, 40.95, at+".length"))
	o.Height = float32(c.optFloat(h, 0, 6.35, at+".height"))
}

// optFloat is float for an optional field: 0 when absent.
func (c *checker) optFloat(n num, lo, hi float64, what string) float64 {
	if !n.Set {
		return 0
	}
	return c.float(n, lo, hi, what)
}

// class maps ptcType, a name ("motor", "non-motor", "pedestrian",
// "unknown") or CSAE 53's ParticipantType number (0..3).
func (c *checker) class(raw json.RawMessage, what string) v2x.Class {
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		var n num
		if err := json.Unmarshal(raw, &n); err != nil || !n.Set {
			c.fail("%s %s is neither a participant type name nor a number", what, raw)
			return v2x.ClassUnknown
		}
		name = [...]string{"unknown", "motor", "non-motor", "pedestrian"}[c.int(n, 0, 3, what)]
	}
	switch name {
	case "motor":
		return v2x.ClassCar
	case "non-motor", "nonMotor", "non_motor":
		return v2x.ClassBicycle
	case "pedestrian":
		return v2x.ClassPedestrian
	case "unknown":
		return v2x.ClassUnknown
	}
	c.fail("%s %q is not a participant type (motor, non-motor, pedestrian, unknown)", what, name)
	return v2x.ClassUnknown
}

// rsuID reads an RSU id, a number or a string of digits; 0 when it is
// neither or does not fit 32 bits.
func rsuID(raw json.RawMessage) uint32 {
	var n num
	if json.Unmarshal(raw, &n) != nil || !n.Set {
		return 0
	}
	if v, err := strconv.ParseUint(strconv.FormatFloat(n.V, 'f', -1, 64), 10, 32); err == nil {
		return uint32(v)
	}
	return 0
}

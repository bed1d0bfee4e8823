package edge

import (
	"fmt"
	"math"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/j2735"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// sdsmOut is what a subscriber with wire.SubJ2735SDSM reuses to encode
// fused objects as J2735 SensorDataSharingMessages, for an RSU to
// broadcast.
type sdsmOut struct {
	model  v2x.RSM
	msg    j2735.SensorDataSharingMessage
	frame  j2735.MessageFrame
	val    []byte
	buf    []byte
	msgCnt uint8
}

// sendSDSM writes the subscriber's view of snap as J2735 SDSM
// MessageFrames (frame type RSM, encoding J2735), at most 256 objects
// each, all with the snapshot's sequence number; sourceID is the
// intersection id, the time stamp the state time, the reference position
// the intersection's. Without one, or without objects, nothing is sent.
func (s *subscriber) sendSDSM(snap *snapshot, f *wire.Subscribe) error {
	s.needKey.Store(false)
	if !snap.HasFrame {
		return nil
	}
	s.fill(snap, f)
	if s.sdsm == nil {
		s.sdsm = new(sdsmOut)
	}
	r := s.sdsm
	refLat, refLon, _ := snap.Frame.Origin()
	at := time.Unix(0, snap.TimeNS)
	objs := s.state.Objects
	for start := 0; start < len(objs); start += j2735.MaxSDSMObjects {
		chunk := objs[start:min(start+j2735.MaxSDSMObjects, len(objs))]
		r.model.RSUID = snap.Intersection
		r.model.Source = v2x.SourceIntegrated
		r.model.Participants = r.model.Participants[:0]
		for i := range chunk {
			o := &chunk[i]
			sin, cos := math.Sincos(float64(o.Heading) * math.Pi / 180)
			r.model.Participants = append(r.model.Participants, v2x.DetectedObject{
				LocalID: o.ID, Class: o.Class, Lat: o.Lat, Lon: o.Lon,
				VelE: o.Speed * float32(sin), VelN: o.Speed * float32(cos), Heading: o.Heading,
				Length: o.Length, Width: o.Width,
				HasCov: o.CovEE != 0 || o.CovNN != 0, CovEE: o.CovEE, CovEN: o.CovEN, CovNN: o.CovNN,
			})
		}
		if err := j2735.SDSMFromModel(&r.model, refLat, refLon, r.msgCnt, at, &r.msg); err != nil {
			return fmt.Errorf("sdsm: %w", err)
		}
		r.msgCnt = (r.msgCnt + 1) & 127
		var err error
		if r.val, err = j2735.AppendSDSM(r.val[:0], &r.msg); err != nil {
			return fmt.Errorf("sdsm: %w", err)
		}
		r.frame.MessageID, r.frame.Value = j2735.IDSDSM, r.val
		if r.buf, err = j2735.AppendFrame(r.buf[:0], &r.frame); err != nil {
			return fmt.Errorf("sdsm: %w", err)
		}
		h := wire.Header{Type: wire.TypeRSM, Encoding: wire.EncodingJ2735, Seq: snap.Seq, Capture: snap.TimeNS}
		if err := s.fw.WriteFrame(&h, 0, func(b []byte) []byte { return append(b, r.buf...) }); err != nil {
			return err
		}
		s.m.delivered.Inc()
		s.m.rawBytes.Add(float64(wire.HeaderLen + len(r.buf)))
	}
	return nil
}

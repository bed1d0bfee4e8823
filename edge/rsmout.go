package edge

import (
	"fmt"
	"math"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// rsmOut is what a subscriber with wire.SubCSAERSM reuses to encode fused
// objects as CSAE 53 RSMs, for an RSU to broadcast over PC5.
type rsmOut struct {
	model  v2x.RSM
	frame  csae53.MessageFrame
	buf    []byte
	msgCnt uint8
}

// maxRSMParticipants is the size limit of a CSAE 53-2017 ParticipantList.
const maxRSMParticipants = 16

// sendRSM writes the subscriber's view of snap as CSAE 53 RSM
// MessageFrames (frame type RSM, encoding CSAE53), at most 16 objects
// each, all with the snapshot's sequence number. The reference position
// is the intersection's; without one nothing is sent.
func (s *subscriber) sendRSM(snap *snapshot, f *wire.Subscribe) error {
	s.needKey.Store(false)
	if !snap.HasFrame {
		return nil
	}
	s.fill(snap, f)
	if s.rsm == nil {
		s.rsm = new(rsmOut)
	}
	r := s.rsm
	refLat, refLon, _ := snap.Frame.Origin()
	objs := s.state.Objects
	for start := 0; start < len(objs) || start == 0; start += maxRSMParticipants {
		chunk := objs[start:min(start+maxRSMParticipants, len(objs))]
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
			})
		}
		if len(chunk) == 0 {
			return nil // an RSM lists at least one participant
		}
		r.frame.Choice = csae53.MessageFrameChoiceRsmFrame
		now := time.Now()
		secMark := now.Second()*1000 + now.Nanosecond()/1e6
		if err := csae53.RSMFromModel(&r.model, refLat, refLon, r.msgCnt, secMark, &r.frame.RsmFrame); err != nil {
			return fmt.Errorf("rsm: %w", err)
		}
		r.msgCnt = (r.msgCnt + 1) & 127
		var err error
		if r.buf, err = csae53.AppendFrame(r.buf[:0], &r.frame); err != nil {
			return fmt.Errorf("rsm: %w", err)
		}
		h := wire.Header{Type: wire.TypeRSM, Encoding: wire.EncodingCSAE53, Seq: snap.Seq, Capture: snap.TimeNS}
		if err := s.fw.WriteFrame(&h, 0, func(b []byte) []byte { return append(b, r.buf...) }); err != nil {
			return err
		}
		s.m.delivered.Inc()
		s.m.rawBytes.Add(float64(wire.HeaderLen + len(r.buf)))
	}
	return nil
}

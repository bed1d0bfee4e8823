package feed

import (
	"fmt"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/j2735"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// stdEncoder encodes simulator messages as standard MessageFrames,
// reusing its structs and buffer (the bytes returned are valid until the
// next call).
type stdEncoder struct {
	csae  csae53.MessageFrame
	jf    j2735.MessageFrame
	jbsm  j2735.BSM
	jspat j2735.SPAT
	jmap  j2735.MapData
	rsm   v2x.RSM
	buf   []byte
	count uint8
}

// wallTime converts a capture time on the node-comparable clock to Unix
// ns of UTC, for the minute-of-the-year and millisecond fields.
func wallTime(capture int64) time.Time {
	return time.Now().Add(-time.Duration(clock.Now() - capture)).UTC()
}

func (s *stdEncoder) bsm(enc wire.Encoding, b *v2x.BSM, capture int64) ([]byte, error) {
	t := wallTime(capture)
	secMark := t.Second()*1000 + t.Nanosecond()/1e6
	var err error
	switch enc {
	case wire.EncodingCSAE53:
		s.csae.Choice = csae53.MessageFrameChoiceBsmFrame
		csae53.BSMFromModel(b, secMark, &s.csae.BsmFrame)
		s.buf, err = csae53.AppendFrame(s.buf[:0], &s.csae)
	case wire.EncodingJ2735:
		j2735.BSMFromModel(b, secMark, &s.jbsm)
		if s.jf.Value, err = j2735.AppendBSM(s.jf.Value[:0], &s.jbsm); err != nil {
			return nil, err
		}
		s.jf.MessageID = j2735.IDBSM
		s.buf, err = j2735.AppendFrame(s.buf[:0], &s.jf)
	default:
		return nil, fmt.Errorf("feed: encoding %d has no BSM", enc)
	}
	return s.buf, err
}

func (s *stdEncoder) spat(enc wire.Encoding, m *v2x.SPAT, capture int64) ([]byte, error) {
	s.count++
	var err error
	switch enc {
	case wire.EncodingCSAE53:
		s.csae.Choice = csae53.MessageFrameChoiceSpatFrame
		if err := csae53.SPATFromModel(m, wallTime(capture).UnixNano(), s.count, &s.csae.SpatFrame); err != nil {
			return nil, err
		}
		s.buf, err = csae53.AppendFrame(s.buf[:0], &s.csae)
	case wire.EncodingJ2735:
		if err := j2735.SPATFromModel(m, wallTime(capture).UnixNano(), s.count, &s.jspat); err != nil {
			return nil, err
		}
		if s.jf.Value, err = j2735.AppendSPAT(s.jf.Value[:0], &s.jspat); err != nil {
			return nil, err
		}
		s.jf.MessageID = j2735.IDSPaT
		s.buf, err = j2735.AppendFrame(s.buf[:0], &s.jf)
	default:
		return nil, fmt.Errorf("feed: encoding %d has no SPAT", enc)
	}
	return s.buf, err
}

func (s *stdEncoder) mapData(enc wire.Encoding, m *v2x.Map) ([]byte, error) {
	s.count++
	var err error
	switch enc {
	case wire.EncodingCSAE53:
		s.csae.Choice = csae53.MessageFrameChoiceMapFrame
		if err := csae53.MAPFromModel(m, s.count, &s.csae.MapFrame); err != nil {
			return nil, err
		}
		s.buf, err = csae53.AppendFrame(s.buf[:0], &s.csae)
	case wire.EncodingJ2735:
		if err := j2735.MAPFromModel(m, s.count, &s.jmap); err != nil {
			return nil, err
		}
		if s.jf.Value, err = j2735.AppendMapData(s.jf.Value[:0], &s.jmap); err != nil {
			return nil, err
		}
		s.jf.MessageID = j2735.IDMap
		s.buf, err = j2735.AppendFrame(s.buf[:0], &s.jf)
	default:
		return nil, fmt.Errorf("feed: encoding %d has no MAP", enc)
	}
	return s.buf, err
}

func (s *stdEncoder) rsi(r *v2x.RSI) ([]byte, error) {
	s.csae.Choice = csae53.MessageFrameChoiceRsiFrame
	s.count++
	if err := csae53.RSIFromModel(r, s.count, &s.csae.RsiFrame); err != nil {
		return nil, err
	}
	var err error
	s.buf, err = csae53.AppendFrame(s.buf[:0], &s.csae)
	return s.buf, err
}

// rsms sends a camera's object list as CSAE RSMs (source video), 16
// participants per message, relative to the first object's position.
func (s *stdEncoder) rsms(l *v2x.ObjectList, capture int64, send func([]byte) error) error {
	t := wallTime(capture)
	secMark := t.Second()*1000 + t.Nanosecond()/1e6
	s.csae.Choice = csae53.MessageFrameChoiceRsmFrame
	for start := 0; start < len(l.Objects); start += 16 {
		s.rsm.RSUID, s.rsm.Source = l.SensorID, v2x.SourceVideo
		s.rsm.Participants = l.Objects[start:min(start+16, len(l.Objects))]
		ref := &s.rsm.Participants[0]
		s.count++
		if err := csae53.RSMFromModel(&s.rsm, ref.Lat, ref.Lon, s.count, secMark, &s.csae.RsmFrame); err != nil {
			return err
		}
		var err error
		if s.buf, err = csae53.AppendFrame(s.buf[:0], &s.csae); err != nil {
			return err
		}
		if err := send(s.buf); err != nil {
			return err
		}
	}
	return nil
}

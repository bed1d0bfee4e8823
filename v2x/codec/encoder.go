package codec

import (
	"fmt"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/j2735"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Encoder encodes messages of the node's model as standard MessageFrames
// of the encoding asked for, reusing its structs and buffer (the bytes
// returned are valid until the next call). at is the capture time in UTC,
// for the minute-of-the-year and millisecond fields; the messages'
// msgCnt (CSAE) or revision (J2735) counts the encodings. The zero value
// is ready; one goroutine uses it.
type Encoder struct {
	csae  csae53.MessageFrame
	jf    j2735.MessageFrame
	jbsm  j2735.BSM
	jspat j2735.SPAT
	jmap  j2735.MapData
	rsm   v2x.RSM
	buf   []byte
	count uint8
}

// BSM encodes a BSM.
func (s *Encoder) BSM(enc wire.Encoding, b *v2x.BSM, at time.Time) ([]byte, error) {
	t := at.UTC()
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
		return nil, fmt.Errorf("codec: %s has no BSM: %w", EncodingName(enc), ErrUnsupported)
	}
	return s.buf, err
}

// SPAT encodes a SPAT.
func (s *Encoder) SPAT(enc wire.Encoding, m *v2x.SPAT, at time.Time) ([]byte, error) {
	s.count++
	var err error
	switch enc {
	case wire.EncodingCSAE53:
		s.csae.Choice = csae53.MessageFrameChoiceSpatFrame
		if err := csae53.SPATFromModel(m, at.UnixNano(), s.count, &s.csae.SpatFrame); err != nil {
			return nil, err
		}
		s.buf, err = csae53.AppendFrame(s.buf[:0], &s.csae)
	case wire.EncodingJ2735:
		if err := j2735.SPATFromModel(m, at.UnixNano(), s.count, &s.jspat); err != nil {
			return nil, err
		}
		if s.jf.Value, err = j2735.AppendSPAT(s.jf.Value[:0], &s.jspat); err != nil {
			return nil, err
		}
		s.jf.MessageID = j2735.IDSPaT
		s.buf, err = j2735.AppendFrame(s.buf[:0], &s.jf)
	default:
		return nil, fmt.Errorf("codec: %s has no SPAT: %w", EncodingName(enc), ErrUnsupported)
	}
	return s.buf, err
}

// Map encodes a MAP.
func (s *Encoder) Map(enc wire.Encoding, m *v2x.Map) ([]byte, error) {
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
		return nil, fmt.Errorf("codec: %s has no MAP: %w", EncodingName(enc), ErrUnsupported)
	}
	return s.buf, err
}

// RSI encodes an RSI; only CSAE 53 has one.
func (s *Encoder) RSI(enc wire.Encoding, r *v2x.RSI) ([]byte, error) {
	if enc != wire.EncodingCSAE53 {
		return nil, fmt.Errorf("codec: %s has no RSI: %w", EncodingName(enc), ErrUnsupported)
	}
	s.csae.Choice = csae53.MessageFrameChoiceRsiFrame
	s.count++
	if err := csae53.RSIFromModel(r, s.count, &s.csae.RsiFrame); err != nil {
		return nil, err
	}
	var err error
	s.buf, err = csae53.AppendFrame(s.buf[:0], &s.csae)
	return s.buf, err
}

// RSMs encodes a camera's object list as RSMs (source video) of at most
// 16 participants, relative to the first object's position, and calls
// send with each; only CSAE 53 has RSMs.
func (s *Encoder) RSMs(enc wire.Encoding, l *v2x.ObjectList, at time.Time, send func([]byte) error) error {
	if enc != wire.EncodingCSAE53 {
		return fmt.Errorf("codec: %s has no RSM: %w", EncodingName(enc), ErrUnsupported)
	}
	t := at.UTC()
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

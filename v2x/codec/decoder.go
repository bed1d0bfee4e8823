package codec

import (
	"fmt"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/j2735"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// Decoder decodes standard MessageFrames of either encoding, keeping the
// last frame for AppendJSON and AppendXER. Its structs are reused frame
// after frame; the zero value is ready; one goroutine uses it.
type Decoder struct {
	// Now is the reference for time fields that count from the minute
	// or the hour (SPAT timing, RSI validity); nil means time.Now.
	Now func() time.Time

	last wire.Encoding // of the last frame DecodeFrame decoded
	csae *csaeCodec    // made on first use (large)
	j    *j2735Codec
}

type csaeCodec struct {
	d csae53.Decoder
	f csae53.MessageFrame
}

type j2735Codec struct {
	d    j2735.Decoder
	f    j2735.MessageFrame
	bsm  j2735.BSM
	spat j2735.SPAT
	mp   j2735.MapData
	sdsm j2735.SensorDataSharingMessage
}

func (d *Decoder) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// DecodeFrame decodes the MessageFrame of encoding enc at the start of b,
// and in J2735 the value of a BSM, SPAT or MapData it holds, and returns
// the number of bytes it used. A value this package does not decode is
// no error here; Decode reports it.
func (d *Decoder) DecodeFrame(enc wire.Encoding, b []byte) (n int, err error) {
	d.last = 0
	name := EncodingName(enc)
	switch {
	case len(b) == 0:
		return 0, &Error{Encoding: name, Path: "MessageFrame", Err: ErrEmpty}
	case Padding(b):
		return 0, &Error{Encoding: name, Path: "MessageFrame", Err: ErrPadding}
	}
	switch enc {
	case wire.EncodingCSAE53:
		if d.csae == nil {
			d.csae = new(csaeCodec)
		}
		if n, err = d.csae.d.Decode(b, &d.csae.f); err != nil {
			return 0, frameError(name, "", 0, err)
		}
	case wire.EncodingJ2735:
		if d.j == nil {
			d.j = new(j2735Codec)
		}
		if n, err = d.j.decode(b); err != nil {
			return 0, err
		}
	default:
		return 0, fmt.Errorf("%s: %w", name, ErrUnsupported)
	}
	if n > 0 && (n == 1 || Padding(b[:n-1])) && (n > 1 || b[0] == 0) {
		return 0, &Error{Encoding: name, Path: "MessageFrame", Err: ErrAllZero}
	}
	d.last = enc
	return n, nil
}

func (j *j2735Codec) decode(b []byte) (int, error) {
	f := &j.f
	n, err := j.d.Decode(b, f)
	if err != nil {
		return 0, frameError("j2735", "", 0, err)
	}
	switch f.MessageID {
	case j2735.IDBSM:
		err = frameError("j2735", "value.BasicSafetyMessage.", f.ValueBit, j.d.DecodeBSM(f.Value, &j.bsm))
	case j2735.IDSPaT:
		err = frameError("j2735", "value.SPAT.", f.ValueBit, j.d.DecodeSPAT(f.Value, &j.spat))
	case j2735.IDMap:
		err = frameError("j2735", "value.MapData.", f.ValueBit, j.d.DecodeMapData(f.Value, &j.mp))
	case j2735.IDSDSM:
		err = frameError("j2735", "value.SensorDataSharingMessage.", f.ValueBit, j.d.DecodeSDSM(f.Value, &j.sdsm))
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Decode decodes the MessageFrame of encoding enc at the start of b into
// m and returns the number of bytes it used. A well-formed frame that
// holds no message the node ingests is an error wrapping ErrUnsupported
// (n is then its length, so that a caller can go on after it).
func (d *Decoder) Decode(enc wire.Encoding, b []byte, m *Message) (n int, err error) {
	m.Type = 0
	if n, err = d.DecodeFrame(enc, b); err != nil {
		return 0, err
	}
	if enc == wire.EncodingCSAE53 {
		err = d.csaeModel(m)
	} else {
		err = d.j2735Model(m)
	}
	return n, err
}

func (d *Decoder) csaeModel(m *Message) error {
	f := &d.csae.f
	switch f.Choice {
	case csae53.MessageFrameChoiceBsmFrame:
		f.BsmFrame.ToModel(&m.BSM)
		m.Type = wire.TypeBSM
	case csae53.MessageFrameChoiceRsmFrame:
		f.RsmFrame.ToModel(&m.RSM)
		m.Type = wire.TypeRSM
	case csae53.MessageFrameChoiceSpatFrame:
		if err := d.spatModel(&f.SpatFrame, len(f.SpatFrame.Intersections), m); err != nil {
			return fmt.Errorf("csae53 spat: %w", err)
		}
	case csae53.MessageFrameChoiceMapFrame:
		mp := new(v2x.Map)
		if err := f.MapFrame.ToModel(mp); err != nil {
			return fmt.Errorf("csae53 map: %w", err)
		}
		m.Map, m.Type = mp, wire.TypeMAP
	case csae53.MessageFrameChoiceRsiFrame:
		r := new(v2x.RSI)
		f.RsiFrame.ToModel(d.now().UnixNano(), r)
		m.RSI, m.Type = r, wire.TypeRSI
	default:
		return fmt.Errorf("csae53: MessageFrame alternative %d: %w", f.Choice, ErrUnsupported)
	}
	return nil
}

func (d *Decoder) j2735Model(m *Message) error {
	j := d.j
	switch j.f.MessageID {
	case j2735.IDBSM:
		j.bsm.ToModel(&m.BSM)
		m.Type = wire.TypeBSM
	case j2735.IDSPaT:
		if err := d.spatModel(&j.spat, len(j.spat.Intersections), m); err != nil {
			return fmt.Errorf("j2735 spat: %w", err)
		}
	case j2735.IDMap:
		mp := new(v2x.Map)
		if err := j.mp.ToModel(mp); err != nil {
			return err
		}
		m.Map, m.Type = mp, wire.TypeMAP
	default:
		return fmt.Errorf("j2735: message id %d: %w", j.f.MessageID, ErrUnsupported)
	}
	return nil
}

// spatConverter is a SPAT of either standard.
type spatConverter interface {
	ToModel(i int, refUnixNS int64, out *v2x.SPAT) (captureUnixNS int64, err error)
}

// spatModel converts every intersection of a SPAT into m.SPATs.
func (d *Decoder) spatModel(s spatConverter, n int, m *Message) error {
	ref := d.now().UnixNano()
	for i := range m.spats(n) {
		if _, err := s.ToModel(i, ref, &m.SPATs[i]); err != nil {
			return err
		}
	}
	m.Type = wire.TypeSPAT
	return nil
}

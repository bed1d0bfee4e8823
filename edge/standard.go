package edge

import (
	"errors"
	"fmt"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/j2735"
	"github.com/v2x-edge/v2x-edge/v2x/uper"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// stdDecoder turns standard-encoded MessageFrames (CSAE 53-2017 or SAE
// J2735 UPER) into the node's model. Its structs are reused frame after
// frame; one goroutine owns it.
type stdDecoder struct {
	csae     csae53.Decoder
	csaeF    csae53.MessageFrame
	j2735F   j2735.MessageFrame
	j2735BSM j2735.BSM
	j2735SP  j2735.SPAT
	j2735Map j2735.MapData
	ud       uper.Decoder
	spats    []v2x.SPAT // one per intersection of the last SPAT
}

// spatModel is a SPAT of either standard.
type spatModel interface {
	ToModel(i int, refUnixNS int64, out *v2x.SPAT) (int64, error)
}

// convertSPATs converts every intersection of a SPAT.
func (s *stdDecoder) convertSPATs(m spatModel, n int) error {
	if cap(s.spats) < n {
		s.spats = make([]v2x.SPAT, n)
	}
	s.spats = s.spats[:n]
	ref := time.Now().UnixNano()
	for i := range s.spats {
		if _, err := m.ToModel(i, ref, &s.spats[i]); err != nil {
			return err
		}
	}
	return nil
}

// errUnsupported marks a well-formed frame the node does not ingest.
var errUnsupported = errors.New("not ingested")

// decodeStd decodes the MessageFrame at the start of b into the
// producer's reused structs and returns the kind of message it held and
// the bytes it used. Maps and RSIs are new values (they are handed over to
// the fusion loop).
func (p *producer) decodeStd(enc wire.Encoding, b []byte) (typ wire.Type, n int, m *v2x.Map, r *v2x.RSI, err error) {
	if p.std == nil {
		p.std = new(stdDecoder)
	}
	s := p.std
	switch enc {
	case wire.EncodingCSAE53:
		f := &s.csaeF
		if n, err = s.csae.Decode(b, f); err != nil {
			return 0, 0, nil, nil, err
		}
		switch f.Choice {
		case csae53.MessageFrameChoiceBsmFrame:
			f.BsmFrame.ToModel(&p.bsm)
			return wire.TypeBSM, n, nil, nil, nil
		case csae53.MessageFrameChoiceSpatFrame:
			return wire.TypeSPAT, n, nil, nil, s.convertSPATs(&f.SpatFrame, len(f.SpatFrame.Intersections))
		case csae53.MessageFrameChoiceRsmFrame:
			f.RsmFrame.ToModel(&p.rsm)
			return wire.TypeRSM, n, nil, nil, nil
		case csae53.MessageFrameChoiceMapFrame:
			m = new(v2x.Map)
			if err = f.MapFrame.ToModel(m); err != nil {
				return 0, n, nil, nil, fmt.Errorf("csae53 map: %w", err)
			}
			return wire.TypeMAP, n, m, nil, nil
		case csae53.MessageFrameChoiceRsiFrame:
			r = new(v2x.RSI)
			f.RsiFrame.ToModel(time.Now().UnixNano(), r)
			return wire.TypeRSI, n, nil, r, nil
		}
		return 0, n, nil, nil, fmt.Errorf("csae53 MessageFrame alternative %d: %w", f.Choice, errUnsupported)
	case wire.EncodingJ2735:
		f := &s.j2735F
		if n, err = j2735.DecodeFrame(b, f); err != nil {
			return 0, 0, nil, nil, err
		}
		switch f.MessageID {
		case j2735.IDBSM:
			if err = j2735.DecodeBSM(f.Value, &s.j2735BSM); err != nil {
				return 0, n, nil, nil, err
			}
			s.j2735BSM.ToModel(&p.bsm)
			return wire.TypeBSM, n, nil, nil, nil
		case j2735.IDSPaT:
			s.ud.Reset(f.Value)
			s.j2735SP.DecodeUPER(&s.ud)
			if err = s.ud.Err(); err != nil {
				return 0, n, nil, nil, fmt.Errorf("j2735 spat: %w", err)
			}
			return wire.TypeSPAT, n, nil, nil, s.convertSPATs(&s.j2735SP, len(s.j2735SP.Intersections))
		case j2735.IDMap:
			s.ud.Reset(f.Value)
			s.j2735Map.DecodeUPER(&s.ud)
			if err = s.ud.Err(); err != nil {
				return 0, n, nil, nil, fmt.Errorf("j2735 map: %w", err)
			}
			m = new(v2x.Map)
			if err = s.j2735Map.ToModel(m); err != nil {
				return 0, n, nil, nil, err
			}
			return wire.TypeMAP, n, m, nil, nil
		}
		return 0, n, nil, nil, fmt.Errorf("j2735 message id %d: %w", f.MessageID, errUnsupported)
	}
	return 0, 0, nil, nil, fmt.Errorf("encoding %d: %w", enc, errUnsupported)
}

// handleStandard ingests a native-protocol data frame whose payload is a
// standard-encoded MessageFrame. The header's type must match the message.
func (p *producer) handleStandard(h *wire.Header, payload []byte, t, ingest int64) {
	typ, n, m, r, err := p.decodeStd(h.Encoding, payload)
	switch {
	case errors.Is(err, errUnsupported):
		p.rej.reject(h, wire.CodeUnsupportedEncoding, err.Error())
		return
	case err != nil:
		p.rej.reject(h, wire.CodeMalformed, err.Error())
		return
	case n != len(payload):
		p.rej.reject(h, wire.CodeMalformed, fmt.Sprintf("%d bytes after the MessageFrame", len(payload)-n))
		return
	case typ != h.Type:
		p.rej.reject(h, wire.CodeMalformed, fmt.Sprintf("header says %s but the MessageFrame holds a %s", h.Type, typ))
		return
	}
	p.ingestDecoded(h, typ, m, r, t, ingest)
}

// ingestDecoded hands a decoded standard message to the fusion loop.
func (p *producer) ingestDecoded(h *wire.Header, typ wire.Type, m *v2x.Map, r *v2x.RSI, t, ingest int64) {
	switch typ {
	case wire.TypeBSM:
		p.ingestBSM(h, t, ingest)
	case wire.TypeRSM:
		p.ingestObjects(h, p.rsm.Participants, t, ingest)
	case wire.TypeSPAT:
		for i := range p.std.spats {
			p.spat = p.std.spats[i]
			p.ingestSPAT(h, t, ingest)
		}
	case wire.TypeMAP:
		if reason := checkMap(m); reason >= 0 {
			p.invalid(h, reason, "map")
		} else if !p.n.in.putMap(m, nil) {
			p.shed(h, 1)
		}
	case wire.TypeRSI:
		if reason := checkRSI(r); reason >= 0 {
			p.invalid(h, reason, "rsi")
		} else if !p.n.in.putMap(nil, r) {
			p.shed(h, 1)
		}
	}
}

package edge

import (
	"strconv"
	"sync"
)

// streamNames maps the node-side id of a producer stream to the identity
// name of the client that opened it, so that the fusion loop can name the
// source of a finding (Event.Identity, logs, v2x_source_trust). Stream
// sessions add and remove their entries; the fusion loop only reads, and
// only when it reports a finding or exports trust scores.
type streamNames struct{ m sync.Map } // uint64 → string

func (s *streamNames) add(stream uint64, identity string) { s.m.Store(stream, identity) }
func (s *streamNames) remove(stream uint64)               { s.m.Delete(stream) }

// identity is the identity name of stream, or "" if unknown (the raw UPER
// listener, a stream that has closed).
func (s *streamNames) identity(stream uint64) string {
	if s == nil {
		return ""
	}
	if v, ok := s.m.Load(stream); ok {
		return v.(string)
	}
	return ""
}

// label names a source in metrics and logs: its identity and stream, or
// the stream alone.
func (s *streamNames) label(stream uint64) string {
	if stream == uperSourceID {
		return "uper"
	}
	id := "stream-" + strconv.FormatUint(stream, 10)
	if name := s.identity(stream); name != "" {
		return name + "/" + id
	}
	return id
}

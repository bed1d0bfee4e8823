package client

import (
	"bytes"
	"testing"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// updateItem builds an Update frame item for state seq: a keyframe of cur
// when base is nil, else a delta against base (whose seq is baseSeq).
func updateItem(t *testing.T, seq, baseSeq uint64, base, cur *wire.PackedState, dgram bool) item {
	t.Helper()
	body := wire.AppendDelta(nil, base, cur)
	u := wire.Update{Compression: wire.CompressZstd, BaseSeq: baseSeq, RawLen: uint32(len(body))}
	if base == nil {
		u.Flags = wire.UpdateKeyframe
	}
	p := wire.AppendUpdate(nil, &u)
	p, err := wire.AppendCompressed(p, body, u.Compression)
	if err != nil {
		t.Fatal(err)
	}
	return item{h: wire.Header{Type: wire.TypeUpdate, Seq: seq}, p: p, dgram: dgram}
}

func packedAt(id uint32, e int64) wire.PackedState {
	var o wire.PackedObject
	o.ID = id
	o.F[wire.PFE] = e
	return wire.PackedState{IngestNS: e, Objects: []wire.PackedObject{o}}
}

// TestReassembly drives the reassembly logic frame by frame: a delta that
// overtakes its keyframe waits for it; a delta whose base never comes
// makes the subscription send one Resync, until a keyframe arrives.
func TestReassembly(t *testing.T) {
	var sent bytes.Buffer
	s := &Subscription{fw: wire.NewWriter(&sent)}
	s1, s2, s3, s5, s6 := packedAt(7, 100), packedAt(7, 110), packedAt(7, 120), packedAt(7, 140), packedAt(7, 150)

	step := func(it item, wantOK bool, wantE int64) {
		t.Helper()
		ok, err := s.apply(&it)
		if err != nil {
			t.Fatalf("seq %d: %v", it.h.Seq, err)
		}
		if ok != wantOK {
			t.Fatalf("seq %d: applied %v, want %v", it.h.Seq, ok, wantOK)
		}
		if ok && (s.curSeq != it.h.Seq || s.cur.Objects[0].F[wire.PFE] != wantE) {
			t.Fatalf("seq %d: holding seq %d e %d, want e %d", it.h.Seq, s.curSeq, s.cur.Objects[0].F[wire.PFE], wantE)
		}
	}
	// Delta 2 (datagram) arrives before keyframe 1 (stream): it waits.
	d2 := updateItem(t, 2, 1, &s1, &s2, true)
	step(d2, false, 0)
	if s.stash == nil || sent.Len() != 0 {
		t.Fatal("the early delta was not kept, or a Resync went out too soon")
	}
	step(updateItem(t, 1, 0, nil, &s1, false), true, 100)
	// Next applies the stashed delta right after its base; here by hand:
	st := s.stash
	s.stash = nil
	step(*st, true, 110)
	step(updateItem(t, 3, 2, &s2, &s3, true), true, 120)
	// An old update is ignored.
	step(updateItem(t, 2, 1, &s1, &s2, true), false, 0)
	// Delta 4 is lost; 5 (base 4) waits, 6 (base 5) shows the base is not
	// coming: one Resync, naming what we hold.
	step(updateItem(t, 5, 4, &s3, &s5, true), false, 0)
	step(updateItem(t, 6, 5, &s5, &s6, true), false, 0)
	if st := s.Stats(); st.Resyncs != 1 {
		t.Fatalf("%d resyncs, want 1", st.Resyncs)
	}
	r := wire.NewReader(&sent, 0)
	h, p, err := r.Next()
	if err != nil || h.Type != wire.TypeResync {
		t.Fatalf("sent %v %v, want a Resync", h.Type, err)
	}
	if have, err := wire.DecodeResync(p); err != nil || have != 3 {
		t.Fatalf("Resync says it holds %d (%v), want 3", have, err)
	}
	// More orphans do not repeat the Resync; the keyframe ends the episode.
	step(updateItem(t, 7, 6, &s6, &s6, true), false, 0)
	if s.Stats().Resyncs != 1 {
		t.Fatal("a second Resync before the keyframe")
	}
	step(updateItem(t, 8, 0, nil, &s6, false), true, 150)
	if s.resyncPending || (s.stash != nil && s.stash.h.Seq <= 8) {
		t.Fatal("keyframe did not clear the resync state")
	}
	// A corrupt body is an error, not a crash.
	bad := updateItem(t, 9, 8, &s6, &s6, true)
	bad.p = bad.p[:len(bad.p)-2]
	if _, err := s.apply(&bad); err == nil {
		t.Fatal("truncated update accepted")
	}
}

// TestNextOvertakenKeyframe: a delta that overtook its keyframe comes out
// of Next together with it, as one state rebuilt from a keyframe.
func TestNextOvertakenKeyframe(t *testing.T) {
	var sent bytes.Buffer
	s := &Subscription{fw: wire.NewWriter(&sent), in: make(chan item, 4), stop: make(chan struct{})}
	s1, s2, s3 := packedAt(7, 100), packedAt(7, 110), packedAt(7, 120)
	s.in <- updateItem(t, 2, 1, &s1, &s2, true)
	s.in <- updateItem(t, 1, 0, nil, &s1, false)
	s.in <- updateItem(t, 3, 2, &s2, &s3, true)
	u, err := s.Next()
	if err != nil {
		t.Fatal(err)
	}
	if u.Seq != 2 || !u.Keyframe || !u.Datagram || len(u.State.Objects) != 1 || u.State.IngestNS != 110 {
		t.Fatalf("first update: seq %d keyframe %v datagram %v ingest %d, want seq 2 from keyframe 1, by datagram, ingest 110",
			u.Seq, u.Keyframe, u.Datagram, u.State.IngestNS)
	}
	if u, err = s.Next(); err != nil || u.Seq != 3 || u.Keyframe {
		t.Fatalf("second update: %+v %v, want delta 3", u, err)
	}
	if sent.Len() != 0 {
		t.Fatal("a Resync went out although the base came")
	}
}

package edge

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// viewKey identifies what a subscription selects from a snapshot. Two
// subscribers with the same key see the same view, so the encoded updates
// for it are computed once per snapshot and base and shared.
type viewKey struct {
	center            bool
	lat, lon          float64
	radius            float32
	classes           v2x.ClassMask
	approaches, lanes wire.IDSet
}

func keyOf(f *wire.Subscribe) viewKey {
	k := viewKey{radius: f.Radius, classes: f.Classes, approaches: f.Approaches, lanes: f.Lanes}
	if f.Flags&wire.SubCenter != 0 {
		k.center, k.lat, k.lon = true, f.CenterLat, f.CenterLon
	}
	return k
}

// view is a snapshot as subscribers with one key see it, at broadcast
// precision, with the encoded updates made from it so far.
type view struct {
	key    viewKey
	packed wire.PackedState
	// rawLen is the size of the State frame a subscriber without
	// SubPacked gets for this view: the uncompressed full snapshot.
	rawLen int
	encs   []encoding
	n      int // encs in use
}

// encoding is one Update payload (head and compressed body) of a view:
// a keyframe (base 0) or a delta against the same view of state base,
// compressed with comp.
type encoding struct {
	base    uint64
	comp    wire.Compression
	payload []byte
}

// broadcastCache holds a snapshot's views. It is reset, keeping its
// buffers, when the snapshot is reused.
type broadcastCache struct {
	mu    sync.Mutex
	views []*view
	n     int
	raw   []byte    // scratch for uncompressed bodies
	idx   []int32   // scratch for selectView
	d2    []float64 // scratch for selectView
	byID  []uint64  // scratch for viewLocked: ID<<32 | index
	// cut counts objects left out of views by the per-state cap; set by
	// the hub (nil in tests that make snapshots by hand).
	cut prometheus.Counter
	// gate decides whether deltas are worth compressing; the hub's (nil:
	// always compress).
	gate *compressGate
}

func (c *broadcastCache) reset() {
	c.mu.Lock()
	c.n = 0
	c.mu.Unlock()
}

// inView reports whether o is selected by a subscription whose region
// centre is (ce, cn) in the snapshot's frame: its class, its approach or
// lane, and its distance from the centre must all pass.
func inView(o *wire.StateObject, f *wire.Subscribe, ce, cn float64) bool {
	if f.Classes != 0 && !f.Classes.Has(o.Class) {
		return false
	}
	if f.HasSets() && !f.Approaches.Has(o.Approach) && !f.Lanes.Has(o.Lane) {
		return false
	}
	if f.Radius > 0 {
		de, dn := float64(o.E)-ce, float64(o.N)-cn
		if de*de+dn*dn > float64(f.Radius)*float64(f.Radius) {
			return false
		}
	}
	return true
}

// centre returns a subscription's region centre in s's frame.
func (s *snapshot) centre(f *wire.Subscribe) (ce, cn float64) {
	if f.Flags&wire.SubCenter != 0 && s.HasFrame {
		ce, cn, _ = s.Frame.ToENU(f.CenterLat, f.CenterLon, 0)
	}
	return ce, cn
}

// selectView appends to idx the indexes of s's objects that subscription f
// selected, in snapshot order, and returns them with how many were cut:
// when more than wire.MaxStateObjects pass, the ones nearest the region's
// centre (the reference point without one) are kept, ties by index, so a
// crowd of far objects cannot push out the road users at the
// intersection. d2 is scratch (returned for reuse): the cut sorts the
// squared distances once, not the indexes with a comparator, which a
// flood of far objects made the node's largest cost.
func (s *snapshot) selectView(f *wire.Subscribe, idx []int32, d2 []float64) ([]int32, []float64, int) {
	ce, cn := s.centre(f)
	idx = idx[:0]
	for i := range s.Objects {
		if inView(&s.Objects[i], f, ce, cn) {
			idx = append(idx, int32(i))
		}
	}
	cut := len(idx) - wire.MaxStateObjects
	if cut <= 0 {
		return idx, d2, 0
	}
	// d2[:n] is each selected object's squared distance, d2[n:] the same
	// sorted; NaN counts as farthest.
	n := len(idx)
	d2 = d2[:0]
	for _, i := range idx {
		de, dn := float64(s.Objects[i].E)-ce, float64(s.Objects[i].N)-cn
		d := de*de + dn*dn
		if d != d {
			d = math.Inf(1)
		}
		d2 = append(d2, d)
	}
	d2 = append(d2, d2...)
	slices.Sort(d2[n:])
	limit := d2[n+wire.MaxStateObjects-1] // the farthest kept
	ties := wire.MaxStateObjects - sort.SearchFloat64s(d2[n:], limit)
	kept := idx[:0]
	for k, i := range idx {
		if d := d2[k]; d < limit || d == limit && ties > 0 {
			if d == limit {
				ties--
			}
			kept = append(kept, i)
		}
	}
	return kept, d2, cut
}

// viewLocked returns the view of s for f, building it on first use.
// s.cache.mu must be held.
func (s *snapshot) viewLocked(f *wire.Subscribe) *view {
	c := &s.cache
	k := keyOf(f)
	for _, v := range c.views[:c.n] {
		if v.key == k {
			return v
		}
	}
	if c.n == len(c.views) {
		c.views = append(c.views, new(view))
	}
	v := c.views[c.n]
	c.n++
	v.key, v.n = k, 0
	p := &v.packed
	p.IngestNS, p.Intersection, p.Flags = s.IngestNS, s.Intersection, wire.StateKeyframe
	p.Objects = p.Objects[:0]
	var cut int
	c.idx, c.d2, cut = s.selectView(f, c.idx, c.d2)
	if cut > 0 && c.cut != nil {
		c.cut.Add(float64(cut))
	}
	// Packed in ID order: sorting the IDs with their indexes as integers
	// is much cheaper than sorting the packed objects.
	c.byID = c.byID[:0]
	for _, i := range c.idx {
		c.byID = append(c.byID, uint64(s.Objects[i].ID)<<32|uint64(uint32(i)))
	}
	slices.Sort(c.byID)
	for _, k := range c.byID {
		p.Objects = append(p.Objects, wire.PackedObject{})
		p.Objects[len(p.Objects)-1].Pack(&s.Objects[uint32(k)])
	}
	p.Signals = append(p.Signals[:0], s.Signals...)
	v.rawLen = wire.StateFrameLen(len(p.Objects), len(p.Signals))
	return v
}

// encoded returns the Update payload of s for subscription f: a delta
// against base (which must hold the same view, that is, base was sent to
// a subscription with the same key), or a keyframe when base is nil. The
// payload stays valid while the caller holds its reference to s. rawLen is
// the size of the equivalent State frame; fresh says whether this call
// computed the payload (false: it was shared).
func (s *snapshot) encoded(f *wire.Subscribe, base *snapshot, comp wire.Compression) (payload []byte, rawLen int, fresh bool, err error) {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	v := s.viewLocked(f)
	var baseSeq uint64
	if base != nil {
		baseSeq = base.Seq
	}
	for _, e := range v.encs[:v.n] {
		if e.base == baseSeq && e.comp == comp {
			return e.payload, v.rawLen, false, nil
		}
	}
	var bp *wire.PackedState
	if base != nil {
		base.cache.mu.Lock() // lock order: newer snapshot, then older
		bp = &base.viewLocked(f).packed
		defer base.cache.mu.Unlock()
	}
	c.raw = wire.AppendDelta(c.raw[:0], bp, &v.packed)
	if v.n == len(v.encs) {
		v.encs = append(v.encs, encoding{})
	}
	e := &v.encs[v.n]
	// The encoding is found again by the compression asked for (comp);
	// its Update head says the one used.
	used := comp
	if base != nil && comp != wire.CompressNone && !c.gate.try() {
		used = wire.CompressNone
	}
	u := wire.Update{Compression: used, BaseSeq: baseSeq, RawLen: uint32(len(c.raw))}
	if base == nil {
		u.Flags = wire.UpdateKeyframe
	}
	e.base, e.comp = baseSeq, comp
	e.payload = wire.AppendUpdate(e.payload[:0], &u)
	head := len(e.payload)
	if e.payload, err = wire.AppendCompressed(e.payload, c.raw, used); err != nil {
		return nil, 0, false, fmt.Errorf("broadcast: %w", err)
	}
	if base != nil && used != wire.CompressNone {
		c.gate.observe(len(c.raw), len(e.payload)-head)
	}
	v.n++
	return e.payload, v.rawLen, true, nil
}

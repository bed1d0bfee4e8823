package edge

import (
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// latestFuser is the first fusion stage, and honest about it: it keeps the
// latest measurement of every (producer stream, source, source-local id)
// and reports each as an object, projected into the intersection's ENU
// frame. It does not associate across sources: a vehicle seen by two
// cameras and sending its own BSM appears three times. The multi-source
// tracker replaces it behind the fuser interface.
type latestFuser struct {
	staleNS int64
	index   map[objKey]int32
	entries []latestEntry // flat, swap-removed
	nextID  uint32
	owned   map[uint64]int32 // entries per measurement owner (owners with none deleted)
}

type objKey struct {
	stream  uint64
	source  uint32
	kind    measKind
	localID uint64
}

type latestEntry struct {
	key  objKey
	id   uint32
	m    measurement
	e, n float64
}

func newLatestFuser(staleNS int64) *latestFuser {
	return &latestFuser{staleNS: staleNS, index: make(map[objKey]int32, 1024), entries: make([]latestEntry, 0, 1024),
		owned: make(map[uint64]int32)}
}

func (f *latestFuser) Len() int { return len(f.entries) }

func (f *latestFuser) UpdateFrame(ms []measurement, e, n []float64) (capped int, visible bool) {
	for i := range ms {
		if !f.update(&ms[i], e[i], n[i]) {
			capped++
		}
	}
	return capped, capped < len(ms) // every object it holds is broadcast
}

// SetMap is a no-op: the first stage does no map matching.
func (f *latestFuser) SetMap(*v2x.Map, *geo.Frame) {}

// update folds in one measurement; false when it would start an object
// its owner has no room for (Measurement.OwnerLimit).
func (f *latestFuser) update(m *measurement, e, n float64) bool {
	k := objKey{stream: m.Stream, source: m.Source, kind: m.Kind, localID: m.LocalID}
	if i, ok := f.index[k]; ok {
		en := &f.entries[i]
		if m.TimeNS < en.m.TimeNS { // older than what we hold: out of order
			return true
		}
		en.m, en.e, en.n = *m, e, n
		return true
	}
	if m.Owner != 0 {
		if m.OwnerLimit > 0 && f.owned[m.Owner] >= int32(m.OwnerLimit) {
			return false
		}
		f.owned[m.Owner]++
	}
	f.nextID++
	if f.nextID == 0 {
		f.nextID = 1
	}
	f.index[k] = int32(len(f.entries))
	f.entries = append(f.entries, latestEntry{key: k, id: f.nextID, m: *m, e: e, n: n})
	return true
}

func (f *latestFuser) Reframe(_, to *geo.Frame) {
	for i := range f.entries {
		en := &f.entries[i]
		en.e, en.n, _ = to.ToENU(en.m.Lat, en.m.Lon, 0)
	}
}

func (f *latestFuser) Expire(now int64) {
	cutoff := now - f.staleNS
	for i := 0; i < len(f.entries); {
		if f.entries[i].m.TimeNS >= cutoff {
			i++
			continue
		}
		delete(f.index, f.entries[i].key)
		if o := f.entries[i].m.Owner; o != 0 {
			if f.owned[o]--; f.owned[o] <= 0 {
				delete(f.owned, o)
			}
		}
		last := len(f.entries) - 1
		if i != last {
			f.entries[i] = f.entries[last]
			f.index[f.entries[i].key] = int32(i)
		}
		f.entries = f.entries[:last]
	}
}

func (f *latestFuser) AppendObjects(dst []wire.StateObject, now int64) []wire.StateObject {
	for i := range f.entries {
		en := &f.entries[i]
		age := max(now-en.m.TimeNS, 0) / 1e6
		dst = append(dst, wire.StateObject{
			ID: en.id, Class: en.m.Class, Sources: 1,
			Lat: en.m.Lat, Lon: en.m.Lon, E: float32(en.e), N: float32(en.n),
			Speed: en.m.Speed, Heading: en.m.Heading, Length: en.m.Length, Width: en.m.Width,
			AgeMS: uint32(min(age, 1<<32-1)), CovEE: en.m.CovEE, CovEN: en.m.CovEN, CovNN: en.m.CovNN,
		})
	}
	return dst
}

package trust

// slots is a map whose values live in a slice: a lookup hashes the key
// once and hands out a pointer to update in place, where a map of large
// structs copies the value out and hashes the key again to store it. The
// checks keep one such entry per object and vehicle id, updated on every
// self-report. Freed slots are reused, so a steady population allocates
// nothing. A pointer from get or put is valid until the next put (which
// may grow the slice). Walking the slots by index (keys, used) visits
// them in an order that depends only on the sequence of puts and dels,
// unlike a map's: a re-run of the same inputs finds the same.
type slots[K comparable, V any] struct {
	idx  map[K]int32
	vals []V
	keys []K    // the key of each slot
	used []bool // whether a slot holds a key
	free []int32
}

func newSlots[K comparable, V any](n int) slots[K, V] {
	return slots[K, V]{idx: make(map[K]int32, n), vals: make([]V, 0, n), keys: make([]K, 0, n), used: make([]bool, 0, n)}
}

// get returns the value of k, if any.
func (s *slots[K, V]) get(k K) (*V, bool) {
	i, ok := s.idx[k]
	if !ok {
		return nil, false
	}
	return &s.vals[i], true
}

// put returns the value of k, a zero value if k was absent.
func (s *slots[K, V]) put(k K) *V {
	if i, ok := s.idx[k]; ok {
		return &s.vals[i]
	}
	var zero V
	var i int32
	if n := len(s.free); n > 0 {
		i, s.free = s.free[n-1], s.free[:n-1]
		s.vals[i], s.keys[i], s.used[i] = zero, k, true
	} else {
		i = int32(len(s.vals))
		s.vals, s.keys, s.used = append(s.vals, zero), append(s.keys, k), append(s.used, true)
	}
	s.idx[k] = i
	return &s.vals[i]
}

// del forgets k.
func (s *slots[K, V]) del(k K) {
	if i, ok := s.idx[k]; ok {
		delete(s.idx, k)
		var zero K
		s.keys[i], s.used[i] = zero, false
		s.free = append(s.free, i)
	}
}

// clear forgets every key.
func (s *slots[K, V]) clear() {
	clear(s.idx)
	s.vals, s.keys, s.used, s.free = s.vals[:0], s.keys[:0], s.used[:0], s.free[:0]
}

// len returns how many keys it holds.
func (s *slots[K, V]) len() int { return len(s.idx) }

package trust

// slots is a map whose values live in a slice: a lookup hashes the key
// once and hands out a pointer to update in place, where a map of large
// structs copies the value out and hashes the key again to store it. The
// checks keep one such entry per object and vehicle id, updated on every
// self-report. Freed slots are reused, so a steady population allocates
// nothing. A pointer from get or put is valid until the next put (which
// may grow the slice).
type slots[K comparable, V any] struct {
	idx  map[K]int32
	vals []V
	free []int32
}

func newSlots[K comparable, V any](n int) slots[K, V] {
	return slots[K, V]{idx: make(map[K]int32, n), vals: make([]V, 0, n)}
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
		s.vals[i] = zero
	} else {
		i = int32(len(s.vals))
		s.vals = append(s.vals, zero)
	}
	s.idx[k] = i
	return &s.vals[i]
}

// del forgets k.
func (s *slots[K, V]) del(k K) {
	if i, ok := s.idx[k]; ok {
		delete(s.idx, k)
		s.free = append(s.free, i)
	}
}

// clear forgets every key.
func (s *slots[K, V]) clear() {
	clear(s.idx)
	s.vals, s.free = s.vals[:0], s.free[:0]
}

// len returns how many keys it holds.
func (s *slots[K, V]) len() int { return len(s.idx) }

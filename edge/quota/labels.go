package quota

import "sync"

// Other is the label of identities past the label limit.
const Other = "other"

// labels hands out bounded-cardinality metric labels: the first limit
// distinct names keep their own label for the life of the set, every later
// one gets Other. Names are never forgotten, so a label always means the
// same identity, and the set of label values never exceeds limit+1.
type labels struct {
	mu    sync.Mutex
	limit int
	known map[string]struct{}
}

func newLabels(limit int) *labels {
	return &labels{limit: limit, known: make(map[string]struct{}, limit)}
}

// of returns the label of name.
func (l *labels) of(name string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.known[name]; ok {
		return name
	}
	if len(l.known) < l.limit && name != Other {
		l.known[name] = struct{}{}
		return name
	}
	return Other
}

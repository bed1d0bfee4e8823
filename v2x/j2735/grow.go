package j2735

// grow extends s by one element, reusing the storage (and so the slices
// inside) of an element a previous use left beyond its length.
func grow[S ~[]E, E any](s S) (S, *E) {
	if len(s) < cap(s) {
		s = s[:len(s)+1]
	} else {
		var zero E
		s = append(s, zero)
	}
	return s, &s[len(s)-1]
}

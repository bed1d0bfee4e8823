package uper

// Grow extends s by one element and returns the new element. Like the
// generated decoders, it reuses the storage (and so the slices inside) of
// an element a previous use left beyond the length, so that values built
// again and again into the same struct stop allocating.
func Grow[S ~[]E, E any](s S) (S, *E) {
	if len(s) < cap(s) {
		s = s[:len(s)+1]
	} else {
		var zero E
		s = append(s, zero)
	}
	return s, &s[len(s)-1]
}

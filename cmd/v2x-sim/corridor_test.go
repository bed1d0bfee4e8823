package main

import (
	"slices"
	"testing"
)

func TestConsecutivePorts(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want []string
	}{
		{"127.0.0.1:4433", 3, []string{"127.0.0.1:4433", "127.0.0.1:4434", "127.0.0.1:4435"}},
		{"[::1]:9000", 2, []string{"[::1]:9000", "[::1]:9001"}},
		{"127.0.0.1:65535", 2, nil},
		{"nohost", 2, nil},
	} {
		got, err := consecutivePorts(c.in, c.n)
		if (err != nil) != (c.want == nil) || !slices.Equal(got, c.want) {
			t.Errorf("consecutivePorts(%q, %d) = %v, %v; want %v", c.in, c.n, got, err, c.want)
		}
	}
}

package steer

import (
	"testing"
)

func TestCIDGenerator(t *testing.T) {
	for _, c := range []struct {
		gen  uint8
		slot int
	}{{0, 0}, {0, 1}, {3, 17}, {6, 255}} {
		g, err := NewCIDGenerator(c.gen, c.slot)
		if err != nil {
			t.Fatal(err)
		}
		if g.ConnectionIDLen() != CIDLen {
			t.Errorf("length %d", g.ConnectionIDLen())
		}
		seen := map[string]bool{}
		for range 2000 {
			id, err := g.GenerateConnectionID()
			if err != nil {
				t.Fatal(err)
			}
			b := id.Bytes()
			if len(b) != CIDLen {
				t.Fatalf("id %x has length %d", b, len(b))
			}
			gen, slot, ok := ParseCID(b)
			if !ok || gen != c.gen || slot != c.slot {
				t.Fatalf("id %x parses as gen %d slot %d ok %v, want %d %d", b, gen, slot, ok, c.gen, c.slot)
			}
			if b[0] != CIDPrefix(c.gen) {
				t.Fatalf("id %x: first byte %#x, want %#x", b, b[0], CIDPrefix(c.gen))
			}
			if seen[string(b[2:])] {
				t.Fatalf("random part %x repeated", b[2:])
			}
			seen[string(b[2:])] = true
		}
	}
}

func TestCIDGeneratorRejects(t *testing.T) {
	for _, c := range []struct {
		gen  uint8
		slot int
	}{{7, 0}, {0, -1}, {0, 256}} {
		if _, err := NewCIDGenerator(c.gen, c.slot); err == nil {
			t.Errorf("gen %d slot %d accepted", c.gen, c.slot)
		}
	}
}

func TestParseCID(t *testing.T) {
	id := func(first byte, n int) []byte {
		b := make([]byte, n)
		b[0], b[1] = first, 9
		return b
	}
	for _, c := range []struct {
		name string
		id   []byte
		ok   bool
		gen  uint8
	}{
		{"generation 0", id(0x0b, 12), true, 0},
		{"generation 6", id(0xcb, 12), true, 6},
		{"generation 7 names no server", id(0xeb, 12), false, 0},
		{"wrong length bits", id(0x0c, 12), false, 0},
		{"8 bytes", id(0x0b, 8), false, 0},
		{"20 bytes", id(0x0b, 20), false, 0},
	} {
		gen, slot, ok := ParseCID(c.id)
		if ok != c.ok || (ok && (gen != c.gen || slot != 9)) {
			t.Errorf("%s: gen %d slot %d ok %v", c.name, gen, slot, ok)
		}
	}
}

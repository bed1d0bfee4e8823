package v2x

import "testing"

func TestManeuverBits(t *testing.T) {
	for b := uint64(0); b < 16; b++ {
		if got := ManeuversFromBits(b).Bits(); got != b {
			t.Errorf("bits %04b: back as %04b", b, got)
		}
	}
	if got := ManeuversFromBits(0xff0 | 0b1010); got != ManeuverStraight|ManeuverRight {
		t.Errorf("higher bits taken: %v", got)
	}
}

func TestManeuverAllowedBits(t *testing.T) {
	// straight and right: bits 0 and 2 of the 12-bit string set.
	if got := (ManeuverStraight | ManeuverRight).AllowedBits(); got != 0b1010_0000_0000 {
		t.Errorf("AllowedBits %012b", got)
	}
	for b := uint64(0); b < 16; b++ {
		if got := ManeuversFromBits(ManeuversFromBits(b).AllowedBits() >> (AllowedManeuversLen - 4)); got != ManeuversFromBits(b) {
			t.Errorf("bits %04b: round trip %v", b, got)
		}
	}
}

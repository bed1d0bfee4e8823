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

package clock

import (
	"testing"
	"time"
)

func TestNowMonotonicAndAnchored(t *testing.T) {
	prev := Now()
	for i := 0; i < 10000; i++ {
		n := Now()
		if n < prev {
			t.Fatalf("Now went backwards: %d after %d", n, prev)
		}
		prev = n
	}
	if d := time.Duration(Now() - time.Now().UnixNano()); d < -time.Second || d > time.Second {
		t.Fatalf("Now is %v away from the wall clock", d)
	}
}

func TestNowAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = Now() }); n != 0 {
		t.Fatalf("Now allocates %v times", n)
	}
}

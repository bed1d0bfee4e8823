package harness

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestConnectAllRetries: a subscriber whose first attempts fail (as a
// handshake timing out under load does) is connected by a later attempt,
// and the retries are counted; one that never connects fails the phase
// with a count and the error.
func TestConnectAllRetries(t *testing.T) {
	p := dialPacing{Conc: 4, Rate: -1, Timeout: time.Second, Attempts: 3, Backoff: time.Millisecond}
	var mu sync.Mutex
	tries := map[int]int{}
	flaky := errors.New("handshake timed out")
	connect := func(_ context.Context, i int) error {
		mu.Lock()
		defer mu.Unlock()
		tries[i]++
		if i%3 == 0 && tries[i] < 3 { // every third needs its third attempt
			return flaky
		}
		return nil
	}
	retries, err := p.connectAll(context.Background(), 9, connect)
	if err != nil || retries != 6 {
		t.Fatalf("retries %d, err %v; want 6, nil", retries, err)
	}
	never := func(_ context.Context, i int) error {
		if i == 5 {
			return flaky
		}
		return nil
	}
	retries, err = p.connectAll(context.Background(), 9, never)
	if !errors.Is(err, flaky) || retries != 2 {
		t.Fatalf("retries %d, err %v; want 2 and the dial's error", retries, err)
	}
}

// TestConnectAllPaced: attempts start at most Rate a second and at most
// Conc run at once, and each gets its own deadline.
func TestConnectAllPaced(t *testing.T) {
	p := dialPacing{Conc: 2, Rate: 100, Timeout: time.Second, Attempts: 1}
	var mu sync.Mutex
	var starts []time.Time
	running, most := 0, 0
	connect := func(ctx context.Context, i int) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("attempt without a deadline")
		}
		mu.Lock()
		starts = append(starts, time.Now())
		running++
		most = max(most, running)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
		return nil
	}
	if _, err := p.connectAll(context.Background(), 11, connect); err != nil {
		t.Fatal(err)
	}
	// 11 starts 10 ms apart at least: at least 100 ms from first to last.
	if d := starts[len(starts)-1].Sub(starts[0]); d < 95*time.Millisecond {
		t.Errorf("11 attempts at 100 a second took %v", d)
	}
	if most > 2 {
		t.Errorf("%d attempts at once, want at most 2", most)
	}
}

package harness

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// dialPacing is how a subscriber process connects its subscribers: a
// thousand handshakes at once on a loaded two-core machine made some wait
// past any timeout (the node, the brokers and the subscriber process each
// work through a queue of them on one CPU), and one failed dial used to end
// the phase. So dials start at most Rate a second, at most Conc at once,
// each attempt has its own Timeout, and a failed attempt is made again
// after a jittered wait, up to Attempts times: a handshake that timed out
// under load usually succeeds the next time.
type dialPacing struct {
	Conc     int           // attempts in progress at once
	Rate     float64       // attempts started per second (<= 0: no pacing)
	Timeout  time.Duration // per attempt
	Attempts int           // per subscriber, the first included
	Backoff  time.Duration // first wait after a failed attempt; doubles
}

// defaultDialPacing: 16 at once, 200 a second (a thousand subscribers in
// about 5 s when nothing fails), 15 s an attempt, 5 attempts.
var defaultDialPacing = dialPacing{Conc: 16, Rate: 200, Timeout: 15 * time.Second, Attempts: 5, Backoff: 250 * time.Millisecond}

// connectAll calls connect(actx, i) for i in [0, n) with p's pacing, where
// actx ends after p.Timeout (or with ctx). It returns how many attempts
// failed and were made again, and an error naming how many subscribers
// could not connect within p.Attempts attempts, with the first such error.
func (p dialPacing) connectAll(ctx context.Context, n int, connect func(ctx context.Context, i int) error) (retries int, err error) {
	conc, attempts := max(p.Conc, 1), max(p.Attempts, 1)
	var interval time.Duration
	if p.Rate > 0 {
		interval = time.Duration(float64(time.Second) / p.Rate)
	}
	var (
		mu       sync.Mutex
		next     time.Time // when the next attempt may start
		failed   int
		firstErr error
		retried  atomic.Int64
		wg       sync.WaitGroup
	)
	// pace waits for the next start slot; false when ctx ended.
	pace := func() bool {
		if interval == 0 {
			return ctx.Err() == nil
		}
		mu.Lock()
		now := time.Now()
		at := next
		if at.Before(now) {
			at = now
		}
		next = at.Add(interval)
		mu.Unlock()
		if d := at.Sub(now); d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return false
			case <-t.C:
			}
		}
		return ctx.Err() == nil
	}
	sem := make(chan struct{}, conc)
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return int(retried.Load()), ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			wait := p.Backoff
			var err error
			for a := range attempts {
				if a > 0 {
					retried.Add(1)
					t := time.NewTimer(wait/2 + rand.N(wait))
					select {
					case <-ctx.Done():
						t.Stop()
					case <-t.C:
					}
					wait *= 2
				}
				if !pace() {
					if err == nil {
						err = ctx.Err()
					}
					break
				}
				actx, cancel := context.WithTimeout(ctx, p.Timeout)
				err = connect(actx, i)
				cancel()
				if err == nil {
					return
				}
			}
			mu.Lock()
			failed++
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if failed > 0 {
		return int(retried.Load()), fmt.Errorf("%d of %d subscribers failed to connect in %d attempts each: %w", failed, n, attempts, firstErr)
	}
	return int(retried.Load()), nil
}

package steer

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/edge/steer/steertest"
)

// BenchmarkIngest measures 256-byte messages echoed by the group for 16
// concurrent client connections on loopback, with one worker and with
// several, steered. Clients run in the same process on the same cores, so
// the figures are a comparison between worker counts, not a capacity.
func BenchmarkIngest(b *testing.B) {
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			if workers > 1 {
				steertest.RequireRoot(b)
			}
			benchIngest(b, workers)
		})
	}
}

func benchIngest(b *testing.B, workers int) {
	const clients = 16
	stls, ctls, _ := steertest.TLS(b)
	g, err := Listen(Options{Addr: "127.0.0.1:0", Workers: workers, TLS: stls, QUIC: steertest.QUICConfig()})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	if g.Workers() != workers || (workers > 1 && !g.Steered()) {
		b.Fatalf("workers %d steered %v", g.Workers(), g.Steered())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	steertest.ServeEcho(ctx, g)
	var echoes []*steertest.EchoClient
	for range clients {
		c, e := steertest.DialEcho(ctx, b, g.Addr(), ctls)
		defer c.CloseWithError(0, "")
		echoes = append(echoes, e)
	}
	lat := make([][]time.Duration, clients)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i, e := range echoes {
		n := b.N / clients
		if i < b.N%clients {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := make([]time.Duration, 0, n)
			for range n {
				t0 := time.Now()
				if err := e.RoundTrip(5 * time.Second); err != nil {
					b.Error(err)
					return
				}
				l = append(l, time.Since(t0))
			}
			lat[i] = l
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(len(all))/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50_µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99_µs")
	b.ReportMetric(0, "ns/op")
}

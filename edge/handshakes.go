package edge

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/quota"
)

// handshakeGate admits the node's new QUIC connections to their TLS
// handshake, node-wide, before any cryptography: quic-go asks it
// (Transport.ConnContext) on a connection attempt's first Initial packet,
// and a refused attempt costs one Initial packet with CONNECTION_REFUSED,
// with no key exchange, signature or certificate check. The client
// certificate, and so the identity and its connections quota, is known
// only once the handshake has run; without the gate, a flood of
// handshakes from one host (hundreds of idle connections dialled at once)
// spends the node's CPU in bursts that delay every subscriber.
//
// It bounds two things. The handshakes in progress at once (before the
// client's certificate has been checked): each is a goroutine doing
// cryptography, and the node's other goroutines (fusion, broadcast) queue
// behind as many of them as are runnable. And the handshakes started per
// second, with bursts: the attacker controls how long a handshake stays
// in progress (quic-go's maintainers found a count alone ineffective for
// that reason, quic-go issue #4359), not how many a second it may start.
// edge/client retries a refused dial with backoff, so honest clients
// connecting at once (a benchmark's thousand subscribers) are spread, not
// lost.
type handshakeGate struct {
	mu       sync.Mutex
	b        quota.Bucket
	max      int // handshakes in progress at once; 0: no limit
	inflight int
	now      func() int64
	allowed  prometheus.Counter
	refused  [2]prometheus.Counter // by reason: hsRefusedRate, hsRefusedBusy
}

// Why the gate refused an attempt (v2x_handshakes_refused_total{reason}).
const (
	hsRefusedRate = iota // handshakes_per_sec reached
	hsRefusedBusy        // max_handshakes in progress
)

// errHandshakeRate and errHandshakeBusy are what quic-go is told for a
// refused attempt (it answers CONNECTION_REFUSED).
var (
	errHandshakeRate = errors.New("edge: new connections over handshakes_per_sec")
	errHandshakeBusy = errors.New("edge: max_handshakes in progress")
)

// newHandshakeGate returns a gate admitting rate attempts a second with
// bursts of burst (rate <= 0: no rate limit), at most max in progress at
// once (max <= 0: no limit), registering its counters in reg.
func newHandshakeGate(rate float64, burst, max int, reg prometheus.Registerer) *handshakeGate {
	g := &handshakeGate{now: clock.Now, max: max,
		allowed: counter("v2x_handshakes_admitted_total", "New QUIC connection attempts admitted to the TLS handshake."),
	}
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_handshakes_refused_total",
		Help: "New QUIC connection attempts refused before the TLS handshake (answered CONNECTION_REFUSED), by reason: handshakes_per_sec reached (rate) or max_handshakes in progress (busy).",
	}, []string{"reason"})
	g.refused[hsRefusedRate], g.refused[hsRefusedBusy] = refused.WithLabelValues("rate"), refused.WithLabelValues("busy")
	if rate > 0 {
		g.b = quota.NewBucket(rate, float64(burst))
	}
	if reg != nil {
		reg.MustRegister(g.allowed, refused)
	}
	return g
}

// admit takes a handshake slot and a token, or refuses; it counts the
// decision.
func (g *handshakeGate) admit() error {
	g.mu.Lock()
	var err error
	switch {
	case g.max > 0 && g.inflight >= g.max:
		err = errHandshakeBusy
		g.refused[hsRefusedBusy].Inc()
	case !g.b.Allow(g.now(), 1):
		err = errHandshakeRate
		g.refused[hsRefusedRate].Inc()
	default:
		g.inflight++
		g.allowed.Inc()
	}
	g.mu.Unlock()
	return err
}

func (g *handshakeGate) release() {
	g.mu.Lock()
	g.inflight--
	g.mu.Unlock()
}

// handshakeSlot is one admitted attempt's place among the handshakes in
// progress, given back once: when its client's certificate has been
// checked (handshakeChecked), or when the connection ends, whichever
// comes first.
type handshakeSlot struct {
	g    *handshakeGate
	done atomic.Bool
}

func (s *handshakeSlot) release() {
	if s.done.CompareAndSwap(false, true) {
		s.g.release()
	}
}

type handshakeSlotKey struct{}

// connContext is the quic.Transport.ConnContext of the node's workers.
// ctx ends with the connection (or its failed handshake).
func (g *handshakeGate) connContext(ctx context.Context, _ *quic.ClientInfo) (context.Context, error) {
	if err := g.admit(); err != nil {
		return nil, err
	}
	s := &handshakeSlot{g: g}
	context.AfterFunc(ctx, s.release)
	return context.WithValue(ctx, handshakeSlotKey{}, s), nil
}

// handshakeChecked gives back the handshake slot of the connection whose
// context (the TLS ClientHelloInfo's) is ctx: its client's certificate
// has been checked, the handshake's cryptography is done.
func handshakeChecked(ctx context.Context) {
	if s, ok := ctx.Value(handshakeSlotKey{}).(*handshakeSlot); ok {
		s.release()
	}
}

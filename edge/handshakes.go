package edge

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/quota"
)

// handshakeGate paces the node's new QUIC connections, node-wide, before
// any cryptography: quic-go asks it (Config.GetConfigForClient) on a
// connection attempt's first Initial packet, before the TLS handshake
// starts, and a refused attempt costs an Initial packet with
// CONNECTION_REFUSED, with no key exchange, signature or certificate
// check. The client certificate, and so the identity and its connections
// quota, is known only once the handshake has run; a flood of handshakes
// from one host (hundreds of idle connections dialled at once) would
// otherwise spend the node's CPU in bursts that delay every subscriber.
// A rate, not a count of handshakes in progress: the attacker controls
// how long a handshake stays in progress (quic-go's maintainers found
// concurrency limits ineffective for that reason, quic-go issue #4359).
// edge/client retries a refused dial with backoff, so honest clients
// connecting at once (a benchmark's thousand subscribers) are spread, not
// lost.
type handshakeGate struct {
	mu      sync.Mutex
	b       quota.Bucket
	now     func() int64
	conf    *quic.Config // what an admitted attempt gets: the node's, without the hook
	allowed prometheus.Counter
	refused prometheus.Counter
}

// errHandshakeRate is what quic-go is told for a refused attempt (it
// answers CONNECTION_REFUSED).
var errHandshakeRate = errors.New("edge: new connections over handshakes_per_sec")

// newHandshakeGate returns a gate admitting rate attempts a second with
// bursts of burst (rate <= 0: all), registering its counters in reg.
func newHandshakeGate(rate float64, burst int, reg prometheus.Registerer) *handshakeGate {
	g := &handshakeGate{now: clock.Now,
		allowed: counter("v2x_handshakes_admitted_total", "New QUIC connection attempts admitted to the TLS handshake."),
		refused: counter("v2x_handshakes_refused_total", "New QUIC connection attempts refused before the TLS handshake because handshakes_per_sec was reached (answered CONNECTION_REFUSED)."),
	}
	if rate > 0 {
		g.b = quota.NewBucket(rate, float64(burst))
	}
	if reg != nil {
		reg.MustRegister(g.allowed, g.refused)
	}
	return g
}

// allow takes a handshake from the bucket and counts the decision.
func (g *handshakeGate) allow() bool {
	g.mu.Lock()
	ok := g.b.Allow(g.now(), 1)
	g.mu.Unlock()
	if ok {
		g.allowed.Inc()
	} else {
		g.refused.Inc()
	}
	return ok
}

// install makes conf ask the gate about every new connection; admitted
// ones get conf as it was.
func (g *handshakeGate) install(conf *quic.Config) {
	c := *conf
	g.conf = &c
	conf.GetConfigForClient = func(*quic.ClientInfo) (*quic.Config, error) {
		if !g.allow() {
			return nil, errHandshakeRate
		}
		return g.conf, nil
	}
}

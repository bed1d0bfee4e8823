package steer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/bpf"
)

// MaxWorkers is the largest number of workers: one connection-id byte
// names the slot.
const MaxWorkers = bpf.MaxSlots

// Options configure a worker group.
type Options struct {
	Addr    string // UDP listen address
	Workers int    // QUIC transports on the port; 0: runtime.NumCPU()
	// Generation (0..MaxGeneration) goes into every connection id, so that
	// a restarted node with a new generation can tell its old ids apart.
	Generation uint8
	// NoSteering leaves every datagram to the kernel's reuseport hash (the
	// negative control of the tests: a NAT rebinding then lands on a
	// worker that does not know the connection).
	NoSteering bool
	Keys       *Keys // shared by the workers; nil: fresh random keys
	TLS        *tls.Config
	QUIC       *quic.Config
	// ConnContext, if set, is every worker transport's
	// quic.Transport.ConnContext: asked on a connection attempt's first
	// Initial packet, before its handshake; an error refuses the attempt
	// (CONNECTION_REFUSED).
	ConnContext func(context.Context, *quic.ClientInfo) (context.Context, error)
	Log         *slog.Logger // nil: discard
}

// Group is a set of QUIC workers serving one UDP port.
type Group struct {
	log      *slog.Logger
	workers  []*worker
	steering *bpf.Steering // nil without steering
	steerCfg bpf.SteerConfig
	prefix   byte // of the connection ids
	accepted chan accepted
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
	fallback string // why eBPF is not in use, when it was asked for
}

type worker struct {
	slot  int
	udp   *net.UDPConn
	tr    *quic.Transport
	ln    *quic.Listener
	conns atomic.Uint64 // accepted
}

type accepted struct {
	c      *quic.Conn
	worker int
}

// loadSteering is a variable so that a test can stand in for a kernel
// that refuses.
var loadSteering = bpf.LoadSteering

// Listen binds the workers, loads and attaches the steering program, and
// starts accepting. When the kernel refuses the program for lack of
// privilege or support (or the system is not Linux), it serves with one
// worker and logs why, once; other failures are errors. It fails,
// naming the port, when another process or node serves the port.
func Listen(opts Options) (*Group, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Workers == 0 {
		opts.Workers = runtime.NumCPU()
	}
	if opts.Workers < 1 || opts.Workers > MaxWorkers {
		return nil, fmt.Errorf("steer: %d workers outside 1..%d", opts.Workers, MaxWorkers)
	}
	if opts.Generation > MaxGeneration {
		return nil, fmt.Errorf("steer: generation %d above %d", opts.Generation, MaxGeneration)
	}
	if opts.TLS == nil {
		return nil, errors.New("steer: no TLS configuration")
	}
	if opts.Keys == nil {
		k, err := NewKeys()
		if err != nil {
			return nil, err
		}
		opts.Keys = k
	}
	prefix := CIDPrefix(opts.Generation)
	g := &Group{log: opts.Log, accepted: make(chan accepted), prefix: prefix}
	g.ctx, g.cancel = context.WithCancel(context.Background())

	workers := opts.Workers
	if workers > 1 && !opts.NoSteering {
		cfg := bpf.SteerConfig{CIDLen: CIDLen, CIDPrefix: prefix}
		for i := range workers {
			cfg.Working = append(cfg.Working, i)
		}
		s, err := loadSteering(cfg)
		switch {
		case err == nil:
			g.steering, g.steerCfg = s, cfg
		case bpf.Refused(err):
			g.fallback = err.Error()
			workers = 1
		default:
			return nil, err
		}
	}

	conns, err := listenUDP(opts.Addr, workers)
	if err != nil {
		g.closeSteering()
		return nil, err
	}
	for i, c := range conns {
		gen, _ := NewCIDGenerator(opts.Generation, i) // both checked above
		w := &worker{slot: i, udp: c, tr: &quic.Transport{
			Conn:                  c,
			ConnectionIDGenerator: gen,
			StatelessResetKey:     &opts.Keys.Reset,
			TokenGeneratorKey:     &opts.Keys.Token,
			ConnContext:           opts.ConnContext,
		}}
		g.workers = append(g.workers, w)
	}
	if g.steering != nil {
		for _, w := range g.workers {
			if err := g.steering.SetSocket(w.slot, w.udp); err != nil {
				g.Close()
				return nil, err
			}
		}
		if err := g.steering.Attach(g.workers[0].udp); err != nil {
			g.Close()
			return nil, err
		}
	}
	for _, w := range g.workers {
		ln, err := w.tr.Listen(opts.TLS, opts.QUIC)
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("steer: worker %d: quic listen: %w", w.slot, err)
		}
		w.ln = ln
	}
	for _, w := range g.workers {
		g.wg.Add(1)
		go g.acceptLoop(w)
	}

	if g.fallback != "" {
		opts.Log.Warn("eBPF steering cannot be loaded: serving QUIC with one worker",
			"reason", g.fallback, "needs", "Linux, CAP_BPF (or root) and a kernel with sk_reuseport programs",
			"workers_asked", opts.Workers)
	}
	opts.Log.Info("quic workers listening", "addr", g.Addr().String(), "workers", len(g.workers),
		"steering", g.steering != nil)
	return g, nil
}

func (g *Group) acceptLoop(w *worker) {
	defer g.wg.Done()
	for {
		c, err := w.ln.Accept(g.ctx)
		if err != nil {
			return
		}
		w.conns.Add(1)
		select {
		case g.accepted <- accepted{c, w.slot}:
		case <-g.ctx.Done():
			c.CloseWithError(0, "shutting down")
			return
		}
	}
}

// ErrClosed is returned by Accept once the group stops accepting.
var ErrClosed = errors.New("steer: group closed")

// Accept returns the next connection any worker accepted.
func (g *Group) Accept(ctx context.Context) (*quic.Conn, error) {
	c, _, err := g.AcceptWorker(ctx)
	return c, err
}

// AcceptWorker is Accept that also reports the worker's slot.
func (g *Group) AcceptWorker(ctx context.Context) (*quic.Conn, int, error) {
	select {
	case a := <-g.accepted:
		return a.c, a.worker, nil
	case <-ctx.Done():
		return nil, 0, context.Cause(ctx)
	case <-g.ctx.Done():
		return nil, 0, ErrClosed
	}
}

// Addr is the UDP address the workers share.
func (g *Group) Addr() net.Addr { return g.workers[0].udp.LocalAddr() }

// Workers is the number of workers serving.
func (g *Group) Workers() int { return len(g.workers) }

// Steered reports whether the steering program picks the workers' sockets.
func (g *Group) Steered() bool { return g.steering != nil }

// CIDPrefix is the first byte of the connection ids the workers issue.
func (g *Group) CIDPrefix() byte { return g.prefix }

// Fallback is why steering is not in use although it was asked for (the
// kernel refused the program), or "".
func (g *Group) Fallback() string { return g.fallback }

// SteeringCounters reads the steering program's counters; ok is false
// without steering.
func (g *Group) SteeringCounters() (c bpf.SteerCounters, ok bool, err error) {
	if g.steering == nil {
		return c, false, nil
	}
	c, err = g.steering.Counters()
	return c, true, err
}

// WorkerConnections is the number of connections each worker accepted.
func (g *Group) WorkerConnections() []uint64 {
	n := make([]uint64, len(g.workers))
	for i, w := range g.workers {
		n[i] = w.conns.Load()
	}
	return n
}

// StopAccepting closes every worker's listener: Accept returns ErrClosed
// and open connections go on.
func (g *Group) StopAccepting() {
	g.cancel()
	for _, w := range g.workers {
		if w.ln != nil {
			w.ln.Close()
		}
	}
}

// Close stops accepting, closes every connection and socket, and releases
// the steering program.
func (g *Group) Close() error {
	var errs []error
	g.once.Do(func() {
		g.StopAccepting()
		g.wg.Wait()
		for _, w := range g.workers {
			if err := w.tr.Close(); err != nil {
				errs = append(errs, fmt.Errorf("steer: close worker %d: %w", w.slot, err))
			}
			w.udp.Close()
		}
		errs = append(errs, g.closeSteering())
	})
	return errors.Join(errs...)
}

func (g *Group) closeSteering() error {
	if g.steering == nil {
		return nil
	}
	return g.steering.Close()
}

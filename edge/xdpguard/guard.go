package xdpguard

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/bpf"
	"github.com/v2x-edge/v2x-edge/edge/steer"
)

// Guard is the node's XDP guard: the loaded program when one is attached,
// and what serves and counts its control. The zero Guard is not usable;
// Attach makes one, also when no guard is asked for or possible.
type Guard struct {
	log      *slog.Logger
	mu       sync.Mutex // serializes changes to the lists and limits
	kern     *bpf.Guard // nil: no guard attached
	fallback string     // why none is attached although one was asked for

	// The HTTP control (control.go) and the reloads (reload.go).
	reqs    *prometheus.CounterVec
	count   [numControlOps][numControlResults]prometheus.Counter
	reloads *prometheus.CounterVec
	cop     *http.CrossOriginProtection
	mux     *http.ServeMux
}

// Options say where to attach the guard and what to set on it.
type Options struct {
	Iface    string // interface to attach the guard to; "": no guard
	Settings Settings
	Log      *slog.Logger // nil: discard
}

// loadGuard is a variable so that a test can stand in for a kernel that
// refuses, or load the program without attaching it.
var loadGuard = bpf.LoadGuard

// Attach loads the guard for the port and connection ids of grp, attaches
// it to opts.Iface (native mode where the driver allows, generic
// otherwise) and sets opts.Settings on it. When the kernel refuses the
// program for lack of privilege or support (or the system is not Linux),
// and steering is not in use either, it returns a Guard without a program
// and logs why, once; so it does when grp fell back for the same reason.
// Other failures are errors. With no interface it returns a Guard without
// a program, whose control answers that none is attached.
func Attach(grp *steer.Group, opts Options) (*Guard, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if err := opts.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("xdpguard: %w", err)
	}
	g := newGuard(nil, "", opts.Log)
	if opts.Iface == "" {
		return g, nil
	}
	if why := grp.Fallback(); why != "" {
		g.fallback = why // the kernel refused steering: it refuses the guard too
	} else {
		port := uint16(grp.Addr().(*net.UDPAddr).Port)
		kern, err := loadGuard(opts.Iface, opts.Settings.Limits.WithDefaults().apply(
			bpf.GuardOptions{Port: port, CIDLen: steer.CIDLen, CIDPrefix: grp.CIDPrefix()}))
		switch {
		case err == nil:
			g.kern = kern
		case bpf.Refused(err) && !grp.Steered():
			g.fallback = err.Error()
		default:
			return nil, fmt.Errorf("xdpguard: %w", err)
		}
	}
	if g.kern == nil {
		opts.Log.Warn("eBPF programs cannot be loaded: serving QUIC with no XDP guard",
			"reason", g.fallback, "needs", "Linux, CAP_BPF and CAP_NET_ADMIN (or root) and a kernel with XDP programs",
			"xdp_iface_asked", opts.Iface)
		return g, nil
	}
	if _, err := syncGuard(g.kern, opts.Settings); err != nil {
		g.kern.Close()
		return nil, fmt.Errorf("xdpguard: lists: %w", err)
	}
	opts.Log.Info("xdp guard attached", "iface", g.kern.Interface(), "mode", g.kern.Mode(),
		"allow", len(opts.Settings.Allow), "deny", len(opts.Settings.Deny), "limits", opts.Settings.Limits.WithDefaults().String())
	return g, nil
}

// newGuard returns a Guard around kern (nil: none attached, for the
// reason fallback).
func newGuard(kern *bpf.Guard, fallback string, log *slog.Logger) *Guard {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Guard{log: log, kern: kern, fallback: fallback}
	g.initControl()
	g.initReloads()
	return g
}

// Kernel is the attached program (for its counters and its lists through
// the Go API), or nil.
func (g *Guard) Kernel() *bpf.Guard { return g.kern }

// Fallback is why no guard is attached although one was asked for, or "".
func (g *Guard) Fallback() string { return g.fallback }

// Close detaches the guard and releases its maps; without a guard it does
// nothing.
func (g *Guard) Close() error {
	if g.kern == nil {
		return nil
	}
	if err := g.kern.Close(); err != nil {
		return fmt.Errorf("xdpguard: close: %w", err)
	}
	return nil
}

package xdpguard

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Results of Reload, as metric label values.
const (
	reloadOK      = "ok"
	reloadInvalid = "invalid" // the configuration could not be read or is invalid
	reloadNoGuard = "no_guard"
	reloadError   = "error" // the kernel refused
)

func (g *Guard) initReloads() {
	g.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_xdp_reloads_total", Help: "Reloads of the XDP guard's lists and limits from the configuration (SIGHUP), by result.",
	}, []string{"result"})
	for _, r := range []string{reloadOK, reloadInvalid, reloadNoGuard, reloadError} {
		g.reloads.WithLabelValues(r)
	}
}

// ErrInvalid wraps the error of a Reload whose settings could not be read
// or are invalid.
var ErrInvalid = errors.New("invalid configuration")

// Reload replaces the guard's lists and limits with the settings load
// returns, as Set does: SIGHUP does this with the re-read config file.
// Each reload is logged and counted in v2x_xdp_reloads_total; a failed one
// changes nothing. An error of load (or invalid settings) is wrapped with
// ErrInvalid; without a guard the error wraps ErrNoGuard.
func (g *Guard) Reload(load func() (Settings, error)) error {
	err := g.reload(load)
	res := reloadOK
	switch {
	case errors.Is(err, ErrNoGuard):
		res = reloadNoGuard
	case errors.Is(err, ErrInvalid):
		res = reloadInvalid
	case err != nil:
		res = reloadError
	}
	g.reloads.WithLabelValues(res).Inc()
	if err != nil {
		g.log.Error("xdp guard lists and limits not reloaded", "err", err)
	}
	return err
}

func (g *Guard) reload(load func() (Settings, error)) error {
	s, err := load()
	if err == nil {
		err = s.Validate()
	}
	if err != nil {
		return fmt.Errorf("xdpguard: reload: %w: %w", ErrInvalid, err)
	}
	sync, err := g.Set(s)
	if err != nil {
		return fmt.Errorf("xdpguard: reload: %w", err)
	}
	g.log.Info("xdp guard lists and limits reloaded", "allow_added", sync.AllowAdded, "allow_removed", sync.AllowRemoved,
		"deny_added", sync.DenyAdded, "deny_removed", sync.DenyRemoved, "limits", sync.Limits.String())
	return nil
}

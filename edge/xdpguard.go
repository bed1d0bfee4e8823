package edge

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/edge/steer"
)

// Results of ReloadGuard, as metric label indexes.
const (
	reloadOK      = iota
	reloadInvalid // the configuration could not be read or is invalid
	reloadNoGuard
	reloadError // the kernel refused
	numReloadResults
)

var reloadResultNames = [numReloadResults]string{"ok", "invalid", "no_guard", "error"}

// xdpMetrics counts reloads of the XDP guard's lists and limits.
type xdpMetrics struct {
	reloads [numReloadResults]prometheus.Counter
}

func (x *xdpMetrics) register(reg *prometheus.Registry) {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_xdp_reloads_total", Help: "Reloads of the XDP guard's lists and limits from the configuration (SIGHUP), by result.",
	}, []string{"result"})
	for r, name := range reloadResultNames {
		x.reloads[r] = v.WithLabelValues(name)
	}
	reg.MustRegister(v)
}

// ReloadGuard replaces the running XDP guard's lists and limits with
// those of the configuration load returns (entries added over HTTP since
// are dropped); the rest of it is ignored. SIGHUP does this with the
// re-read config file. Each reload is logged and counted in
// v2x_xdp_reloads_total; a failed one changes nothing. Without a guard
// the error wraps steer.ErrNoGuard.
func (n *Node) ReloadGuard(load func() (Config, error)) error {
	err := n.reloadGuard(load)
	res := reloadOK
	switch {
	case errors.Is(err, steer.ErrNoGuard):
		res = reloadNoGuard
	case errors.Is(err, errInvalidReload):
		res = reloadInvalid
	case err != nil:
		res = reloadError
	}
	n.m.xdp.reloads[res].Inc()
	if err != nil {
		n.log.Error("xdp guard lists and limits not reloaded", "err", err)
	}
	return err
}

var errInvalidReload = errors.New("invalid configuration")

func (n *Node) reloadGuard(load func() (Config, error)) error {
	c, err := load()
	if err == nil {
		c.SetDefaults()
		err = c.Validate()
	}
	if err != nil {
		return fmt.Errorf("edge: reload xdp guard: %w: %w", errInvalidReload, err)
	}
	sync, err := n.grp.SetGuard(c.GuardSettings())
	if err != nil {
		return fmt.Errorf("edge: reload xdp guard: %w", err)
	}
	n.log.Info("xdp guard lists and limits reloaded", "allow_added", sync.AllowAdded, "allow_removed", sync.AllowRemoved,
		"deny_added", sync.DenyAdded, "deny_removed", sync.DenyRemoved, "limits", sync.Limits.String())
	return nil
}

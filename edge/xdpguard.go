package edge

import (
	"github.com/v2x-edge/v2x-edge/edge/xdpguard"
)

// ReloadGuard replaces the running XDP guard's lists and limits with
// those of the configuration load returns (entries added over HTTP since
// are dropped); the rest of it is ignored. SIGHUP does this with the
// re-read config file. Each reload is logged and counted in
// v2x_xdp_reloads_total; a failed one changes nothing. A configuration
// that cannot be read or is invalid gives an error wrapping
// xdpguard.ErrInvalid; without a guard the error wraps
// xdpguard.ErrNoGuard.
func (n *Node) ReloadGuard(load func() (Config, error)) error {
	return n.guard.Reload(func() (xdpguard.Settings, error) {
		c, err := load()
		if err == nil {
			c.SetDefaults()
			err = c.Validate()
		}
		return c.GuardSettings(), err
	})
}

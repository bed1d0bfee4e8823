package edge

import (
	"fmt"
)

// SetGuard replaces the running XDP guard's lists and limits with those
// of c (entries added over HTTP since are dropped), as SIGHUP does with
// a re-read config file; the rest of c is ignored. Without a guard the
// error wraps steer.ErrNoGuard.
func (n *Node) SetGuard(c Config) error {
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("edge: invalid configuration: %w", err)
	}
	sync, err := n.grp.SetGuard(c.GuardSettings())
	if err != nil {
		return fmt.Errorf("edge: set xdp guard: %w", err)
	}
	n.log.Info("xdp guard lists and limits replaced", "allow_added", sync.AllowAdded, "allow_removed", sync.AllowRemoved,
		"deny_added", sync.DenyAdded, "deny_removed", sync.DenyRemoved, "limits", sync.Limits.String())
	return nil
}

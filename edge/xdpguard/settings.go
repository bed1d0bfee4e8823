package xdpguard

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/v2x-edge/v2x-edge/bpf"
)

// Settings are what an operator sets on the XDP guard: the prefixes
// on its allow and deny lists and its new-connection limits. The deny
// list is checked first: a source on both is dropped.
type Settings struct {
	Allow, Deny []netip.Prefix
	Limits      Limits // the zero value: DefaultLimits
}

// Validate reports every prefix that cannot go on a list and every limit
// out of range (after Limits.WithDefaults).
func (s Settings) Validate() error {
	var errs []error
	for _, l := range []struct {
		name string
		ps   []netip.Prefix
	}{{"allow", s.Allow}, {"deny", s.Deny}} {
		for i, p := range l.ps {
			if err := CheckPrefix(p); err != nil {
				errs = append(errs, fmt.Errorf("%s[%d] %v: %w", l.name, i, p, err))
			}
		}
	}
	if err := s.Limits.WithDefaults().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("limits: %w", err))
	}
	return errors.Join(errs...)
}

// Sync counts what Set changed.
type Sync struct {
	AllowAdded, AllowRemoved, DenyAdded, DenyRemoved int
	Limits                                           Limits // now in force
}

// ErrNoGuard is returned when no XDP guard is attached.
var ErrNoGuard = errors.New("xdpguard: no xdp guard attached")

// Set makes the attached guard's lists exactly s's (prefixes added
// since, over HTTP or the Go API, are removed) and sets its limits, all
// taking effect with the next frame. It is what SIGHUP does with a
// re-read config file. Without a guard it returns ErrNoGuard.
func (g *Guard) Set(s Settings) (Sync, error) {
	if err := s.Validate(); err != nil {
		return Sync{}, fmt.Errorf("xdpguard: %w", err)
	}
	if g.kern == nil {
		return Sync{}, ErrNoGuard
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return syncGuard(g.kern, s)
}

// syncGuard sets s on gd; s is valid.
func syncGuard(gd *bpf.Guard, s Settings) (Sync, error) {
	var sync Sync
	opts, err := gd.Options()
	if err != nil {
		return sync, err
	}
	sync.Limits = s.Limits.WithDefaults()
	if err := gd.SetOptions(sync.Limits.apply(opts)); err != nil {
		return sync, err
	}
	if sync.AllowAdded, sync.AllowRemoved, err = syncList(gd, bpf.Allow, s.Allow); err != nil {
		return sync, err
	}
	sync.DenyAdded, sync.DenyRemoved, err = syncList(gd, bpf.Deny, s.Deny)
	return sync, err
}

// syncList makes list l hold exactly want: it removes what is not wanted
// before adding, so that a full list can be replaced.
func syncList(gd *bpf.Guard, l bpf.List, want []netip.Prefix) (added, removed int, err error) {
	have, err := gd.Entries(l)
	if err != nil {
		return 0, 0, err
	}
	wanted := make(map[netip.Prefix]bool, len(want))
	for _, p := range want {
		wanted[canonical(p)] = true
	}
	present := make(map[netip.Prefix]bool, len(have))
	for _, p := range have {
		present[p] = true
		if !wanted[p] {
			if err := gd.Remove(l, p); err != nil {
				return added, removed, err
			}
			removed++
		}
	}
	for p := range wanted {
		if !present[p] {
			if err := gd.Add(l, p); err != nil {
				return added, removed, err
			}
			added++
		}
	}
	return added, removed, nil
}

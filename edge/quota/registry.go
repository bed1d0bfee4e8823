package quota

import (
	"hash/maphash"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Registry holds the accounts of the identities connected to a node.
type Registry struct {
	cfg      Config
	labels   *labels
	exceeded *prometheus.CounterVec

	seed     maphash.Seed // of owner keys
	mu       sync.Mutex
	accounts map[string]*Account
	owners   map[uint64]*Account // the accounts of connected identities, by owner key
}

// NewRegistry returns a registry applying cfg (defaults filled).
func NewRegistry(cfg Config) *Registry {
	cfg.SetDefaults()
	return &Registry{cfg: cfg, labels: newLabels(cfg.LabelLimit), accounts: make(map[string]*Account),
		seed: maphash.MakeSeed(), owners: make(map[uint64]*Account),
		exceeded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "v2x_quota_exceeded_total",
			Help: "Requests refused (frames, objects, streams, ...) or measurements shed because an identity exceeded a quota, by identity (the first label_limit identities seen, the rest as \"other\") and quota.",
		}, []string{"identity", "quota"})}
}

// Collector returns the registry's metrics.
func (r *Registry) Collector() prometheus.Collector { return r.exceeded }

// Role bits as the edge/auth package defines them; kept as plain flags
// here so that quota does not depend on auth.
const (
	RoleProducer   = 1 << 0
	RoleSubscriber = 1 << 1
	RoleOperator   = 1 << 2
)

// LimitsFor returns the limits of an identity holding roles (RoleProducer,
// ...): the union of its roles' limits, or Anonymous without roles.
func (r *Registry) LimitsFor(roles uint8) Limits {
	var l Limits
	first := true
	for _, x := range []struct {
		bit uint8
		l   Limits
	}{{RoleProducer, r.cfg.Producer}, {RoleSubscriber, r.cfg.Subscriber}, {RoleOperator, r.cfg.Operator}} {
		if roles&x.bit == 0 {
			continue
		}
		if first {
			l, first = x.l, false
		} else {
			l = l.Union(x.l)
		}
	}
	if first {
		return r.cfg.Anonymous
	}
	return l
}

// Connect returns the account of identity name with roles for a new
// connection, or nil and false when the identity already holds its
// Connections quota (the refusal is counted). Every successful Connect is
// paired with Disconnect.
func (r *Registry) Connect(name string, roles uint8) (*Account, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.accounts[name]
	if a == nil {
		a = r.newAccount(name, r.LimitsFor(roles))
		r.accounts[name] = a
		r.owners[a.owner] = a
	}
	if a.lim.Connections > 0 && a.conns.Load() >= int64(a.lim.Connections) {
		a.exceeded[Connections].Inc()
		if a.refs == 0 {
			r.forget(a)
		}
		return nil, false
	}
	a.conns.Add(1)
	a.refs++
	return a, true
}

// Disconnect gives back a connection of a; the account is forgotten (and
// its rates reset) when its last connection goes.
func (r *Registry) Disconnect(a *Account) {
	if a == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	a.conns.Add(-1)
	a.refs--
	if a.refs == 0 && r.accounts[a.name] == a {
		r.forget(a)
	}
}

// forget drops a from the connected accounts; r.mu held.
func (r *Registry) forget(a *Account) {
	delete(r.accounts, a.name)
	if r.owners[a.owner] == a {
		delete(r.owners, a.owner)
	}
}

// ExceededOwner counts n refusals under quota k for the identity of owner
// key owner (Account.Owner): the fusion loop's refusals, which it knows by
// owner key only. An identity no longer connected is counted as Other.
func (r *Registry) ExceededOwner(owner uint64, k Kind, n int) {
	if n <= 0 {
		return
	}
	r.mu.Lock()
	a := r.owners[owner]
	r.mu.Unlock()
	if a == nil {
		r.exceeded.WithLabelValues(Other, k.String()).Add(float64(n))
		return
	}
	a.Exceeded(k, n)
}

// Account returns an account not tied to connections (a listener's own
// source, such as the raw UPER listener), with the given limits. It stays
// known to ExceededOwner for the registry's life.
func (r *Registry) Account(name string, lim Limits) *Account {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.newAccount(name, lim)
	r.owners[a.owner] = a
	return a
}

func (r *Registry) newAccount(name string, lim Limits) *Account {
	a := &Account{name: name, label: r.labels.of(name), owner: maphash.String(r.seed, name) | 1, lim: lim, reg: r,
		frames: NewBucket(lim.FramesPerSec, 0), objects: NewBucket(lim.ObjectsPerSec, 0),
		subs: NewBucket(lim.SubscribesPerSec, max(lim.SubscribesPerSec, float64(lim.Subscriptions))), m: NewBucket(lim.MapsPerSec, 0)}
	for k := Kind(0); k < numKinds; k++ {
		a.exceeded[k] = r.exceeded.WithLabelValues(a.label, k.String())
	}
	return a
}

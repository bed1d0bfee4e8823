package steer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/bpf"
)

// GuardControl serves the XDP guard's lists and limits over HTTP, on the
// node's metrics listener:
//
//	GET    /xdp/lists              {"allow": [...], "deny": [...]}, read back from the kernel's tries
//	POST   /xdp/allow?prefix=P     put P on the allow list (/xdp/deny: the deny list)
//	DELETE /xdp/allow?prefix=P     take P off it
//	GET    /xdp/limits             the limits the program runs with (GuardLimits as JSON)
//	PUT    /xdp/limits             a JSON object of GuardLimits fields; fields left out keep their value
//
// P is a CIDR prefix or a bare address (/32, /128), as ParsePrefix takes
// it. POST and DELETE answer {"list", "prefix", "changed", "entries"}:
// whether the list changed and how many prefixes it holds now. Failures
// answer {"error": "..."}: 400 for bad input, 409 without a guard, 507
// when the list is full, 403 for a cross-origin request from a browser,
// 500 when the kernel refuses. Changes apply from the next frame; each is
// logged and every request counted in v2x_xdp_control_requests_total.
type GuardControl struct {
	g     *Group
	log   *slog.Logger
	reqs  *prometheus.CounterVec
	count [numControlOps][numControlResults]prometheus.Counter
	cop   *http.CrossOriginProtection
	mux   *http.ServeMux
}

type controlOp int

const (
	opLists controlOp = iota
	opAllowAdd
	opAllowRemove
	opDenyAdd
	opDenyRemove
	opLimitsGet
	opLimitsSet
	numControlOps
)

var controlOpNames = [numControlOps]string{"lists", "allow_add", "allow_remove", "deny_add", "deny_remove", "limits_get", "limits_set"}

type controlResult int

const (
	resultOK        controlResult = iota
	resultInvalid                 // 400
	resultForbidden               // 403
	resultNoGuard                 // 409
	resultFull                    // 507
	resultError                   // 500
	numControlResults
)

var controlResultNames = [numControlResults]string{"ok", "invalid", "forbidden", "no_guard", "full", "error"}
var controlResultStatus = [numControlResults]int{http.StatusOK, http.StatusBadRequest, http.StatusForbidden,
	http.StatusConflict, http.StatusInsufficientStorage, http.StatusInternalServerError}

// maxLimitsBody bounds a PUT /xdp/limits body.
const maxLimitsBody = 4096

// NewGuardControl returns the control of g's guard; a nil logger discards.
func NewGuardControl(g *Group, log *slog.Logger) *GuardControl {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &GuardControl{g: g, log: log, cop: http.NewCrossOriginProtection(), mux: http.NewServeMux(),
		reqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "v2x_xdp_control_requests_total",
			Help: "Requests to the XDP guard's HTTP control (/xdp/...), by operation and result.",
		}, []string{"op", "result"})}
	for op := range numControlOps {
		for r := range numControlResults {
			c.count[op][r] = c.reqs.WithLabelValues(controlOpNames[op], controlResultNames[r])
		}
	}
	c.mux.HandleFunc("GET /xdp/lists", c.lists)
	for _, l := range []bpf.List{bpf.Allow, bpf.Deny} {
		path := "/xdp/" + l.String()
		c.mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) { c.change(w, r, l, true) })
		c.mux.HandleFunc("DELETE "+path, func(w http.ResponseWriter, r *http.Request) { c.change(w, r, l, false) })
	}
	c.mux.HandleFunc("GET /xdp/limits", c.getLimits)
	c.mux.HandleFunc("PUT /xdp/limits", c.putLimits)
	return c
}

// ServeHTTP serves the /xdp/ paths.
func (c *GuardControl) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.mux.ServeHTTP(w, r) }

// Collector returns the v2x_xdp_control_requests_total counter.
func (c *GuardControl) Collector() prometheus.Collector { return c.reqs }

// controlError is a failed request: its result and message.
type controlError struct {
	result controlResult
	msg    string
}

func (e *controlError) Error() string { return e.msg }

func invalid(format string, a ...any) *controlError {
	return &controlError{resultInvalid, fmt.Sprintf(format, a...)}
}

// begin checks what every request needs, a same-origin caller and a
// guard, and takes the guard's lock; the caller must call end.
func (c *GuardControl) begin(r *http.Request) (*bpf.Guard, *controlError) {
	if err := c.cop.Check(r); err != nil {
		return nil, &controlError{resultForbidden, err.Error()}
	}
	if c.g.guard == nil {
		msg := "no xdp guard attached: start the node with -xdp-iface (config xdp_iface), as root or with CAP_BPF and CAP_NET_ADMIN"
		if c.g.fallback != "" {
			msg = "no xdp guard attached: eBPF programs cannot be loaded: " + c.g.fallback
		}
		return nil, &controlError{resultNoGuard, msg}
	}
	c.g.guardMu.Lock()
	return c.g.guard, nil
}

func (c *GuardControl) end() { c.g.guardMu.Unlock() }

// reply writes v as JSON, or err as {"error": ...}, and counts the request.
func (c *GuardControl) reply(w http.ResponseWriter, op controlOp, v any, err *controlError) {
	res := resultOK
	if err != nil {
		res, v = err.result, map[string]string{"error": err.msg}
	}
	c.count[op][res].Inc()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(controlResultStatus[res])
	json.NewEncoder(w).Encode(v)
}

// kernelError classifies an error of the guard's maps.
func kernelError(err error) *controlError {
	if errors.Is(err, bpf.ErrListFull) {
		return &controlError{resultFull, err.Error()}
	}
	return &controlError{resultError, err.Error()}
}

// GuardLists is the body of GET /xdp/lists.
type GuardLists struct {
	Allow []netip.Prefix `json:"allow"`
	Deny  []netip.Prefix `json:"deny"`
}

func (c *GuardControl) lists(w http.ResponseWriter, r *http.Request) {
	gd, cerr := c.begin(r)
	if cerr != nil {
		c.reply(w, opLists, nil, cerr)
		return
	}
	defer c.end()
	out := GuardLists{Allow: []netip.Prefix{}, Deny: []netip.Prefix{}}
	for _, l := range []struct {
		l   bpf.List
		dst *[]netip.Prefix
	}{{bpf.Allow, &out.Allow}, {bpf.Deny, &out.Deny}} {
		ps, err := gd.Entries(l.l)
		if err != nil {
			c.reply(w, opLists, nil, kernelError(err))
			return
		}
		*l.dst = append(*l.dst, ps...)
	}
	c.reply(w, opLists, out, nil)
}

// GuardListChange is the body answering POST and DELETE /xdp/{allow,deny}.
type GuardListChange struct {
	List    string       `json:"list"`
	Prefix  netip.Prefix `json:"prefix"`
	Changed bool         `json:"changed"` // added (POST) or removed (DELETE) now; false if it was already so
	Entries int          `json:"entries"` // prefixes on the list after the change
}

func (c *GuardControl) change(w http.ResponseWriter, r *http.Request, l bpf.List, add bool) {
	op, verb := opDenyRemove, "remove"
	switch {
	case l == bpf.Allow && add:
		op, verb = opAllowAdd, "add"
	case l == bpf.Allow:
		op = opAllowRemove
	case add:
		op, verb = opDenyAdd, "add"
	}
	res, cerr := c.changeList(r, l, add)
	if cerr != nil {
		c.log.Info("xdp guard list change refused", "op", verb, "list", l.String(), "prefix", r.URL.Query().Get("prefix"),
			"status", controlResultStatus[cerr.result], "err", cerr.msg, "remote", r.RemoteAddr)
		c.reply(w, op, nil, cerr)
		return
	}
	c.log.Info("xdp guard list changed", "op", verb, "list", res.List, "prefix", res.Prefix.String(), "changed", res.Changed,
		"entries", res.Entries, "remote", r.RemoteAddr)
	c.reply(w, op, res, nil)
}

// changeList adds r's prefix to list l or removes it, and reads the list
// back before and after.
func (c *GuardControl) changeList(r *http.Request, l bpf.List, add bool) (GuardListChange, *controlError) {
	p, cerr := queryPrefix(r)
	if cerr != nil {
		return GuardListChange{}, cerr
	}
	gd, cerr := c.begin(r)
	if cerr != nil {
		return GuardListChange{}, cerr
	}
	defer c.end()
	before, err := gd.Entries(l)
	if err != nil {
		return GuardListChange{}, kernelError(err)
	}
	if add {
		err = gd.Add(l, p)
	} else {
		err = gd.Remove(l, p)
	}
	if err != nil {
		return GuardListChange{}, kernelError(err)
	}
	after, err := gd.Entries(l)
	if err != nil {
		return GuardListChange{}, kernelError(err)
	}
	return GuardListChange{List: l.String(), Prefix: p, Changed: len(after) != len(before), Entries: len(after)}, nil
}

// queryPrefix takes the one prefix parameter of r.
func queryPrefix(r *http.Request) (netip.Prefix, *controlError) {
	q := r.URL.Query()["prefix"]
	if len(q) != 1 {
		return netip.Prefix{}, invalid("give exactly one prefix parameter (got %d), e.g. ?prefix=198.51.100.0/24", len(q))
	}
	p, err := ParsePrefix(q[0])
	if err != nil {
		return p, invalid("prefix %q: %v", q[0], err)
	}
	return p, nil
}

func (c *GuardControl) getLimits(w http.ResponseWriter, r *http.Request) {
	gd, cerr := c.begin(r)
	if cerr != nil {
		c.reply(w, opLimitsGet, nil, cerr)
		return
	}
	defer c.end()
	o, err := gd.Options()
	if err != nil {
		c.reply(w, opLimitsGet, nil, kernelError(err))
		return
	}
	c.reply(w, opLimitsGet, limitsOf(o), nil)
}

func (c *GuardControl) putLimits(w http.ResponseWriter, r *http.Request) {
	old, now, cerr := c.setLimits(w, r)
	if cerr != nil {
		c.log.Info("xdp guard limits change refused", "status", controlResultStatus[cerr.result], "err", cerr.msg, "remote", r.RemoteAddr)
		c.reply(w, opLimitsSet, nil, cerr)
		return
	}
	c.log.Info("xdp guard limits changed", "old", old.String(), "new", now.String(), "remote", r.RemoteAddr)
	c.reply(w, opLimitsSet, now, nil)
}

// setLimits merges r's body over the limits in force and sets them.
func (c *GuardControl) setLimits(w http.ResponseWriter, r *http.Request) (old, now GuardLimits, cerr *controlError) {
	gd, cerr := c.begin(r)
	if cerr != nil {
		return old, now, cerr
	}
	defer c.end()
	o, err := gd.Options()
	if err != nil {
		return old, now, kernelError(err)
	}
	old = limitsOf(o)
	l := old
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxLimitsBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		if errors.Is(err, io.EOF) {
			return old, now, invalid("body: want a JSON object of limits, e.g. {\"prefix_rate\": 50}")
		}
		return old, now, invalid("body: %v", err)
	}
	if dec.More() {
		return old, now, invalid("body: more than one JSON value")
	}
	if err := l.Validate(); err != nil {
		return old, now, invalid("%v", err)
	}
	if err := gd.SetOptions(l.apply(o)); err != nil {
		return old, now, kernelError(err)
	}
	if o, err = gd.Options(); err != nil {
		return old, now, kernelError(err)
	}
	return old, limitsOf(o), nil
}

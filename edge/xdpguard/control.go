package xdpguard

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/bpf"
)

// ServeHTTP serves the XDP guard's lists and limits over HTTP, on the
// node's metrics listener:
//
//	GET    /xdp/lists              {"allow": [...], "deny": [...]}, read back from the kernel's tries
//	POST   /xdp/allow?prefix=P     put P on the allow list (/xdp/deny: the deny list)
//	DELETE /xdp/allow?prefix=P     take P off it
//	GET    /xdp/limits             the limits the program runs with (Limits as JSON)
//	PUT    /xdp/limits             a JSON object of Limits fields; fields left out keep their value
//
// P is a CIDR prefix or a bare address (/32, /128), as ParsePrefix takes
// it. POST and DELETE answer {"list", "prefix", "changed", "entries"}:
// whether the list changed and how many prefixes it holds now. Failures
// answer {"error": "..."}: 400 for bad input, 409 without a guard, 507
// when the list is full, 403 for a cross-origin request from a browser,
// 500 when the kernel refuses. Changes apply from the next frame; each is
// logged and every request counted in v2x_xdp_control_requests_total.
func (g *Guard) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.mux.ServeHTTP(w, r) }

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

// initControl makes the control's routes and counters.
func (g *Guard) initControl() {
	g.cop, g.mux = http.NewCrossOriginProtection(), http.NewServeMux()
	g.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_xdp_control_requests_total",
		Help: "Requests to the XDP guard's HTTP control (/xdp/...), by operation and result.",
	}, []string{"op", "result"})
	for op := range numControlOps {
		for r := range numControlResults {
			g.count[op][r] = g.reqs.WithLabelValues(controlOpNames[op], controlResultNames[r])
		}
	}
	g.mux.HandleFunc("GET /xdp/lists", g.lists)
	for _, l := range []bpf.List{bpf.Allow, bpf.Deny} {
		path := "/xdp/" + l.String()
		g.mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) { g.change(w, r, l, true) })
		g.mux.HandleFunc("DELETE "+path, func(w http.ResponseWriter, r *http.Request) { g.change(w, r, l, false) })
	}
	g.mux.HandleFunc("GET /xdp/limits", g.getLimits)
	g.mux.HandleFunc("PUT /xdp/limits", g.putLimits)
}

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
func (g *Guard) begin(r *http.Request) (*bpf.Guard, *controlError) {
	if err := g.cop.Check(r); err != nil {
		return nil, &controlError{resultForbidden, err.Error()}
	}
	if g.kern == nil {
		msg := "no xdp guard attached: start the node with -xdp-iface (config xdp_iface), as root or with CAP_BPF and CAP_NET_ADMIN"
		if g.fallback != "" {
			msg = "no xdp guard attached: eBPF programs cannot be loaded: " + g.fallback
		}
		return nil, &controlError{resultNoGuard, msg}
	}
	g.mu.Lock()
	return g.kern, nil
}

func (g *Guard) end() { g.mu.Unlock() }

// reply writes v as JSON, or err as {"error": ...}, and counts the request.
func (g *Guard) reply(w http.ResponseWriter, op controlOp, v any, err *controlError) {
	res := resultOK
	if err != nil {
		res, v = err.result, map[string]string{"error": err.msg}
	}
	g.count[op][res].Inc()
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

// Lists is the body of GET /xdp/lists.
type Lists struct {
	Allow []netip.Prefix `json:"allow"`
	Deny  []netip.Prefix `json:"deny"`
}

func (g *Guard) lists(w http.ResponseWriter, r *http.Request) {
	gd, cerr := g.begin(r)
	if cerr != nil {
		g.reply(w, opLists, nil, cerr)
		return
	}
	defer g.end()
	out := Lists{Allow: []netip.Prefix{}, Deny: []netip.Prefix{}}
	for _, l := range []struct {
		l   bpf.List
		dst *[]netip.Prefix
	}{{bpf.Allow, &out.Allow}, {bpf.Deny, &out.Deny}} {
		ps, err := gd.Entries(l.l)
		if err != nil {
			g.reply(w, opLists, nil, kernelError(err))
			return
		}
		*l.dst = append(*l.dst, ps...)
	}
	g.reply(w, opLists, out, nil)
}

// ListChange is the body answering POST and DELETE /xdp/{allow,deny}.
type ListChange struct {
	List    string       `json:"list"`
	Prefix  netip.Prefix `json:"prefix"`
	Changed bool         `json:"changed"` // added (POST) or removed (DELETE) now; false if it was already so
	Entries int          `json:"entries"` // prefixes on the list after the change
}

func (g *Guard) change(w http.ResponseWriter, r *http.Request, l bpf.List, add bool) {
	op, verb := opDenyRemove, "remove"
	switch {
	case l == bpf.Allow && add:
		op, verb = opAllowAdd, "add"
	case l == bpf.Allow:
		op = opAllowRemove
	case add:
		op, verb = opDenyAdd, "add"
	}
	res, cerr := g.changeList(r, l, add)
	if cerr != nil {
		g.log.Info("xdp guard list change refused", "op", verb, "list", l.String(), "prefix", r.URL.Query().Get("prefix"),
			"status", controlResultStatus[cerr.result], "err", cerr.msg, "remote", r.RemoteAddr)
		g.reply(w, op, nil, cerr)
		return
	}
	g.log.Info("xdp guard list changed", "op", verb, "list", res.List, "prefix", res.Prefix.String(), "changed", res.Changed,
		"entries", res.Entries, "remote", r.RemoteAddr)
	g.reply(w, op, res, nil)
}

// changeList adds r's prefix to list l or removes it, and reads the list
// back before and after.
func (g *Guard) changeList(r *http.Request, l bpf.List, add bool) (ListChange, *controlError) {
	p, cerr := queryPrefix(r)
	if cerr != nil {
		return ListChange{}, cerr
	}
	gd, cerr := g.begin(r)
	if cerr != nil {
		return ListChange{}, cerr
	}
	defer g.end()
	before, err := gd.Entries(l)
	if err != nil {
		return ListChange{}, kernelError(err)
	}
	if add {
		err = gd.Add(l, p)
	} else {
		err = gd.Remove(l, p)
	}
	if err != nil {
		return ListChange{}, kernelError(err)
	}
	after, err := gd.Entries(l)
	if err != nil {
		return ListChange{}, kernelError(err)
	}
	return ListChange{List: l.String(), Prefix: p, Changed: len(after) != len(before), Entries: len(after)}, nil
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

func (g *Guard) getLimits(w http.ResponseWriter, r *http.Request) {
	gd, cerr := g.begin(r)
	if cerr != nil {
		g.reply(w, opLimitsGet, nil, cerr)
		return
	}
	defer g.end()
	o, err := gd.Options()
	if err != nil {
		g.reply(w, opLimitsGet, nil, kernelError(err))
		return
	}
	g.reply(w, opLimitsGet, limitsOf(o), nil)
}

func (g *Guard) putLimits(w http.ResponseWriter, r *http.Request) {
	old, now, cerr := g.setLimits(w, r)
	if cerr != nil {
		g.log.Info("xdp guard limits change refused", "status", controlResultStatus[cerr.result], "err", cerr.msg, "remote", r.RemoteAddr)
		g.reply(w, opLimitsSet, nil, cerr)
		return
	}
	g.log.Info("xdp guard limits changed", "old", old.String(), "new", now.String(), "remote", r.RemoteAddr)
	g.reply(w, opLimitsSet, now, nil)
}

// setLimits merges r's body over the limits in force and sets them.
func (g *Guard) setLimits(w http.ResponseWriter, r *http.Request) (old, now Limits, cerr *controlError) {
	gd, cerr := g.begin(r)
	if cerr != nil {
		return old, now, cerr
	}
	defer g.end()
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

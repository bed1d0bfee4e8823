package edge

import (
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// livePage is the built-in live view: one self-contained page (no build
// step, nothing fetched from elsewhere) that draws what GET /live sends.
//
//go:embed web/index.html
var livePage []byte

// Live view limits.
const (
	liveDefaultRate = 10 // states a second when the query does not say
	liveMaxRate     = 50
	// liveWriteTimeout bounds one write to a viewer; a viewer that takes
	// longer is dropped (a slow one merely gets fewer states).
	liveWriteTimeout = 10 * time.Second
	// liveKeepAlive is the longest a viewer goes without a byte, so a
	// closed browser is noticed even while no state is due.
	liveKeepAlive = 5 * time.Second
	// liveReadEvery is how often a viewer waiting for a new state looks
	// at the hub.
	liveReadEvery = 10 * time.Millisecond
)

// liveFeed serves the built-in page (GET /) and its state feed (GET /live,
// server-sent events). Each viewer is a subscriber like any other, with
// its own region and class filter and rate cap, but it only reads the hub
// (Acquire, Release) at its own pace and never holds a snapshot while it
// writes: the fusion loop and the other subscribers never wait for it, and
// a slow browser only gets fewer states.
type liveFeed struct {
	hub  *hub
	mp   *atomic.Pointer[v2x.Map] // the fusion loop's current MAP
	max  int32                    // concurrent viewers
	n    atomic.Int32
	done <-chan struct{} // closed when the node shuts down
	now  func() int64    // the node clock
	// writeTimeout bounds one write (liveWriteTimeout).
	writeTimeout time.Duration
	m            liveMetrics
	log          *slog.Logger
}

type liveMetrics struct {
	viewers prometheus.Gauge
	refused prometheus.Counter // viewers turned away: LiveViewers reached
	badReq  prometheus.Counter // queries refused as malformed
	states  prometheus.Counter
	bytes   prometheus.Counter
	dropped prometheus.Counter // viewers dropped on a timed-out write
}

func newLiveMetrics(reg prometheus.Registerer) liveMetrics {
	m := liveMetrics{
		viewers: gauge("v2x_live_viewers", "Open live view feeds (GET /live)."),
		refused: counter("v2x_live_refused_total", "Live view feeds refused because live_viewers were open."),
		badReq:  counter("v2x_live_bad_requests_total", "Live view feeds refused for a malformed query."),
		states:  counter("v2x_live_states_total", "States written to live view feeds."),
		bytes:   counter("v2x_live_bytes_total", "Bytes written to live view feeds."),
		dropped: counter("v2x_live_dropped_total", "Live view feeds dropped because a write took longer than 10 s (a stalled viewer)."),
	}
	reg.MustRegister(m.viewers, m.refused, m.badReq, m.states, m.bytes, m.dropped)
	return m
}

func (lf *liveFeed) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", lf.servePage)
	mux.HandleFunc("GET /live", lf.serveLive)
}

func (lf *liveFeed) servePage(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src data:; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	w.Write(livePage)
}

// liveQuery is a viewer's subscription, from GET /live's query.
type liveQuery struct {
	sub      wire.Subscribe
	interval time.Duration // 1 / rate
}

// parseLiveQuery reads rate (Hz, default 10), radius (metres around lat,lon
// or the reference point; 0: no limit), lat and lon (both or neither) and
// classes (comma-separated class names; empty: all).
func parseLiveQuery(q url.Values) (liveQuery, error) {
	lq := liveQuery{interval: time.Second / liveDefaultRate}
	num := func(name string, lo, hi float64) (float64, bool, error) {
		s := q.Get(name)
		if s == "" {
			return 0, false, nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v >= lo && v <= hi) {
			return 0, false, fmt.Errorf("%s %q: want a number in [%g, %g]", name, s, lo, hi)
		}
		return v, true, nil
	}
	if r, ok, err := num("rate", 0, liveMaxRate); err != nil {
		return lq, err
	} else if ok {
		if r == 0 {
			return lq, fmt.Errorf("rate %q: want a number in (0, %d]", q.Get("rate"), liveMaxRate)
		}
		lq.interval = time.Duration(float64(time.Second) / r)
	}
	lq.sub.MaxRate = float32(float64(time.Second) / float64(lq.interval))
	r, _, err := num("radius", 0, 1e6)
	if err != nil {
		return lq, err
	}
	lq.sub.Radius = float32(r)
	lat, hasLat, err := num("lat", -90, 90)
	if err != nil {
		return lq, err
	}
	lon, hasLon, err := num("lon", -180, 180)
	if err != nil {
		return lq, err
	}
	if hasLat != hasLon {
		return lq, errors.New("lat and lon: give both or neither")
	}
	if hasLat {
		lq.sub.Flags |= wire.SubCenter
		lq.sub.CenterLat, lq.sub.CenterLon = lat, lon
	}
	if cs := q.Get("classes"); cs != "" {
		for name := range strings.SplitSeq(cs, ",") {
			c, err := v2x.ParseClass(strings.TrimSpace(name))
			if err != nil {
				return lq, fmt.Errorf("classes: %w", err)
			}
			lq.sub.Classes |= v2x.MaskOf(c)
		}
	}
	return lq, nil
}

func (lf *liveFeed) serveLive(w http.ResponseWriter, r *http.Request) {
	q, err := parseLiveQuery(r.URL.Query())
	if err != nil {
		lf.m.badReq.Inc()
		http.Error(w, "live: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !lf.admit() {
		lf.m.refused.Inc()
		w.Header().Set("Retry-After", "5")
		http.Error(w, fmt.Sprintf("live: %d viewers already (live_viewers)", lf.max), http.StatusServiceUnavailable)
		return
	}
	defer lf.leave()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	lf.stream(r, w, q)
}

func (lf *liveFeed) admit() bool {
	for {
		n := lf.n.Load()
		if n >= lf.max {
			return false
		}
		if lf.n.CompareAndSwap(n, n+1) {
			lf.m.viewers.Inc()
			return true
		}
	}
}

func (lf *liveFeed) leave() {
	lf.n.Add(-1)
	lf.m.viewers.Dec()
}

// stream writes the viewer's events until the viewer or the node goes.
func (lf *liveFeed) stream(r *http.Request, w http.ResponseWriter, q liveQuery) {
	rc := http.NewResponseController(w)
	// A write in progress when the node shuts down ends at once; a write
	// after that is not begun.
	var mu sync.Mutex
	closing := false
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-lf.done:
			mu.Lock()
			closing = true
			rc.SetWriteDeadline(time.Now())
			mu.Unlock()
		case <-finished:
		}
	}()
	write := func(b []byte) error {
		mu.Lock()
		if closing {
			mu.Unlock()
			return net.ErrClosed
		}
		rc.SetWriteDeadline(time.Now().Add(lf.writeTimeout)) // replaces the server's WriteTimeout
		mu.Unlock()
		if _, err := w.Write(b); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil {
			return err
		}
		lf.m.bytes.Add(float64(len(b)))
		return nil
	}

	v := &liveViewer{f: q.sub}
	if write(appendLiveHello(nil, &q)) != nil {
		return
	}
	// One state per rate slot of the node clock, the first worth sending
	// in it: after a state, wait for the next slot; while there is nothing
	// new, look again every liveReadEvery.
	slotNS := int64(q.interval)
	poll := min(q.interval, liveReadEvery)
	timer := time.NewTimer(0)
	defer timer.Stop()
	lastWrite := time.Now()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-lf.done:
			return
		case <-timer.C:
		}
		wait := poll
		if b := v.next(lf); len(b) > 0 {
			if err := write(b); err != nil {
				lf.dropped(r, err)
				return
			}
			lf.m.states.Inc()
			lastWrite = time.Now()
			now := lf.now()
			wait = max(time.Duration((now/slotNS+1)*slotNS-now), poll)
		} else if time.Since(lastWrite) >= liveKeepAlive {
			if err := write([]byte(":\n\n")); err != nil {
				lf.dropped(r, err)
				return
			}
			lastWrite = time.Now()
		}
		timer.Reset(wait)
	}
}

// dropped counts a viewer whose write timed out: too slow, or gone
// without closing its connection. (A browser that closes it is noticed
// by the server and not counted.)
func (lf *liveFeed) dropped(r *http.Request, err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		select {
		case <-lf.done: // shutting down: not the viewer's doing
		default:
			lf.m.dropped.Inc()
			lf.log.Debug("live viewer dropped: write timed out", "remote", r.RemoteAddr, "timeout", lf.writeTimeout)
		}
	}
}

// liveViewer is one viewer's state between its writes.
type liveViewer struct {
	f        wire.Subscribe
	buf      []byte
	idx      []int32
	d2       []float64
	lastSeq  uint64
	lastSent int64    // node time of the last state written
	mapSent  *v2x.Map // MAP last written, in the frame mapFrame
	mapFrame [2]float64
}

// next returns the events due now (the MAP when it or the frame changed,
// and the current state), or nothing when there is no new state: a state
// with new measurements, or one a second without. The snapshot is held
// only while it is encoded.
func (v *liveViewer) next(lf *liveFeed) []byte {
	v.buf = v.buf[:0]
	s := lf.hub.Acquire()
	if s == nil {
		return v.buf
	}
	defer lf.hub.Release(s)
	now := lf.now()
	if s.Seq == v.lastSeq || !s.Fresh && now-v.lastSent < heartbeat {
		return v.buf
	}
	if mp := lf.mp.Load(); mp != nil && s.HasFrame {
		lat, lon, _ := s.Frame.Origin()
		if mp != v.mapSent || v.mapFrame != [2]float64{lat, lon} {
			v.buf = appendLiveMap(v.buf, mp, &s.Frame)
			v.mapSent, v.mapFrame = mp, [2]float64{lat, lon}
		}
	}
	v.buf = v.appendState(v.buf, s, now)
	v.lastSeq, v.lastSent = s.Seq, now
	return v.buf
}

// appendLiveHello appends the first event of a feed: the names the states
// refer to by number, and the subscription as the node understood it.
func appendLiveHello(b []byte, q *liveQuery) []byte {
	b = append(b, "retry: 2000\nevent: hello\ndata: {\"classes\":["...)
	for c := range v2x.NumClasses {
		if c > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, v2x.Class(c).String())
	}
	b = append(b, "],\"lights\":["...)
	for l := v2x.LightState(0); l.Valid(); l++ {
		if l > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, l.String())
	}
	b = append(b, "],\"rate\":"...)
	b = appendNum(b, float64(q.sub.MaxRate), 2)
	b = append(b, ",\"radius\":"...)
	b = appendNum(b, float64(q.sub.Radius), 1)
	return append(b, "}\n\n"...)
}

// liveLaneKinds names v2x.LaneKind values for the page.
var liveLaneKinds = [...]string{"vehicle", "crosswalk", "bike", "sidewalk"}

// appendLiveMap appends a map event: the MAP's lanes with their points
// in fr (the frame the states' E/N are in), to the centimetre.
//
//	{"int":7,"ref":[lat,lon],"lanes":[{"id":1,"kind":"vehicle","ap":1,"in":true,"w":3.5,
//	  "cx":[[toLane,signalGroup],…],"p":[e,n,e,n,…]},…]}
//
// The first point of a lane is its end at the intersection (an ingress
// lane's stop line).
func appendLiveMap(b []byte, mp *v2x.Map, fr *geo.Frame) []byte {
	lat, lon, _ := fr.Origin()
	same := lat == mp.RefLat && lon == mp.RefLon
	mf := geo.NewFrame(mp.RefLat, mp.RefLon, 0)
	b = append(b, "event: map\ndata: {\"int\":"...)
	b = strconv.AppendUint(b, uint64(mp.IntersectionID), 10)
	b = append(b, ",\"ref\":["...)
	b = appendNum(b, lat, 7)
	b = append(b, ',')
	b = appendNum(b, lon, 7)
	b = append(b, "],\"lanes\":["...)
	for i := range mp.Lanes {
		ln := &mp.Lanes[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "{\"id\":"...)
		b = strconv.AppendUint(b, uint64(ln.ID), 10)
		b = append(b, ",\"kind\":"...)
		if int(ln.Kind) < len(liveLaneKinds) {
			b = strconv.AppendQuote(b, liveLaneKinds[ln.Kind])
		} else {
			b = append(b, "null"...)
		}
		b = append(b, ",\"ap\":"...)
		b = strconv.AppendUint(b, uint64(ln.Approach), 10)
		b = append(b, ",\"in\":"...)
		b = strconv.AppendBool(b, ln.Ingress)
		b = append(b, ",\"w\":"...)
		b = appendNum(b, float64(ln.Width), 1)
		b = append(b, ",\"cx\":["...)
		for j, c := range ln.Connections {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = strconv.AppendUint(b, uint64(c.ToLane), 10)
			b = append(b, ',')
			b = strconv.AppendUint(b, uint64(c.SignalGroup), 10)
			b = append(b, ']')
		}
		b = append(b, "],\"p\":["...)
		for j, p := range ln.Nodes {
			e, n := float64(p.E), float64(p.N)
			if !same {
				la, lo, _ := mf.FromENU(e, n, 0)
				e, n, _ = fr.ToENU(la, lo, 0)
			}
			if j > 0 {
				b = append(b, ',')
			}
			b = appendNum(b, e, 2)
			b = append(b, ',')
			b = appendNum(b, n, 2)
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}\n\n"...)
}

// appendState appends a state event: the objects the viewer's filter
// selects and the signal states. Objects are arrays, to keep a state
// small (about 50 bytes a state per object on the demo):
//
//	{"seq":…,"int":7,"age":ms,"iage":ms,"all":30,"cut":0,
//	 "o":[[id,class,e,n,heading,speed,length,width,lane,sources],…],
//	 "s":[[phase,light,minEnd,likelyEnd,maxEnd],…]}
//
// age is the state's age on the node clock as it is written, iage the age
// of the newest measurement in it; the signal times are ms after the state
// time, null when unknown.
func (v *liveViewer) appendState(b []byte, s *snapshot, now int64) []byte {
	var cut int
	v.idx, v.d2, cut = s.selectView(&v.f, v.idx, v.d2)
	b = append(b, "event: state\ndata: {\"seq\":"...)
	b = strconv.AppendUint(b, s.Seq, 10)
	b = append(b, ",\"int\":"...)
	b = strconv.AppendUint(b, uint64(s.Intersection), 10)
	b = append(b, ",\"age\":"...)
	b = strconv.AppendInt(b, max(now-s.TimeNS, 0)/1e6, 10)
	b = append(b, ",\"iage\":"...)
	if s.IngestNS > 0 {
		b = strconv.AppendInt(b, max(now-s.IngestNS, 0)/1e6, 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, ",\"all\":"...)
	b = strconv.AppendInt(b, int64(len(s.Objects)), 10)
	b = append(b, ",\"cut\":"...)
	b = strconv.AppendInt(b, int64(cut), 10)
	b = append(b, ",\"o\":["...)
	for k, i := range v.idx {
		o := &s.Objects[i]
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendUint(b, uint64(o.ID), 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(o.Class), 10)
		b = append(b, ',')
		b = appendNum(b, float64(o.E), 2)
		b = append(b, ',')
		b = appendNum(b, float64(o.N), 2)
		b = append(b, ',')
		b = appendNum(b, float64(o.Heading), 1)
		b = append(b, ',')
		b = appendNum(b, float64(o.Speed), 2)
		b = append(b, ',')
		b = appendNum(b, float64(o.Length), 1)
		b = append(b, ',')
		b = appendNum(b, float64(o.Width), 1)
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(o.Lane), 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(o.Sources), 10)
		b = append(b, ']')
	}
	b = append(b, "],\"s\":["...)
	for k := range s.Signals {
		g := &s.Signals[k]
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendUint(b, uint64(g.Phase), 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(g.State), 10)
		for _, t := range [3]int32{g.MinEndMS, g.LikelyEndMS, g.MaxEndMS} {
			b = append(b, ',')
			if t == v2x.TimeUnknown {
				b = append(b, "null"...)
			} else {
				b = strconv.AppendInt(b, int64(t), 10)
			}
		}
		b = append(b, ']')
	}
	return append(b, "]}\n\n"...)
}

// appendNum appends v with prec decimals, without trailing zeros, and
// null for NaN and infinities (which JSON cannot carry).
func appendNum(b []byte, v float64, prec int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', prec, 64)
	if prec > 0 {
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		if b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
	}
	if string(b[start:]) == "-0" {
		b = append(b[:start], '0')
	}
	return b
}

// liveLane is a lane with its points in a state's frame.
type liveLane struct {
	lane *v2x.Lane
	pts  [][2]float64
}

// liveLanePoints returns the MAP's lanes with their points moved from the
// MAP's reference point into fr.
func liveLanePoints(mp *v2x.Map, fr *geo.Frame) []liveLane {
	lat, lon, _ := fr.Origin()
	same := lat == mp.RefLat && lon == mp.RefLon
	mf := geo.NewFrame(mp.RefLat, mp.RefLon, 0)
	out := make([]liveLane, len(mp.Lanes))
	for i := range mp.Lanes {
		ln := &mp.Lanes[i]
		out[i].lane = ln
		out[i].pts = make([][2]float64, len(ln.Nodes))
		for j, p := range ln.Nodes {
			e, n := float64(p.E), float64(p.N)
			if !same {
				la, lo, _ := mf.FromENU(e, n, 0)
				e, n, _ = fr.ToENU(la, lo, 0)
			}
			out[i].pts[j] = [2]float64{e, n}
		}
	}
	return out
}

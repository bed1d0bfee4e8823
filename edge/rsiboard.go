package edge

import (
	"cmp"
	"slices"
	"sync/atomic"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// rsiSet is an immutable set of the roadside events active at a node
// time, highest priority first, as the fusion loop publishes it.
type rsiSet struct {
	gen    uint64 // grows with every change of the set
	timeNS int64  // node time of the change
	events []v2x.RoadEvent
}

// rsiHold is how long the events of an RSU that sends no RSI stay held
// when they have no end of their own.
const rsiHold = 30 * time.Second

// rsiBoard holds the latest RSI of each RSU and publishes the set of
// events active now. The fusion loop owns it (update); subscribers read
// the published set (load) without locking.
type rsiBoard struct {
	cur atomic.Pointer[rsiSet]

	// Owned by the fusion loop.
	held   []heldRSI // by RSUID
	active []bool    // of each held event, in held order, as published
	gen    uint64
}

// heldRSI is the latest RSI of one RSU and when it came.
type heldRSI struct {
	rsi    *v2x.RSI
	recvNS int64
}

// load returns the published set, nil before any.
func (b *rsiBoard) load() *rsiSet { return b.cur.Load() }

// update folds in the RSIs of a fusion cycle (each replaces its RSU's
// events; event times are on the node clock) and publishes the active
// set at node time now when it changed: an RSI with new content, an event
// that started or ended, an RSU silent for rsiHold.
func (b *rsiBoard) update(rsis []*v2x.RSI, now int64) {
	changed := false
	for _, r := range rsis {
		i, found := slices.BinarySearchFunc(b.held, r.RSUID, func(h heldRSI, id uint32) int { return cmp.Compare(h.rsi.RSUID, id) })
		switch {
		case !found:
			b.held = slices.Insert(b.held, i, heldRSI{r, now})
			changed = true
		case !slices.EqualFunc(b.held[i].rsi.Events, r.Events, sameEvent):
			b.held[i] = heldRSI{r, now}
			changed = true
		default:
			b.held[i].recvNS = now
		}
	}
	// An RSU silent for rsiHold takes its open-ended events with it.
	b.held = slices.DeleteFunc(b.held, func(h heldRSI) bool {
		if now-h.recvNS < int64(rsiHold) {
			return false
		}
		changed = true
		return true
	})
	n := 0
	for _, h := range b.held {
		n += len(h.rsi.Events)
	}
	if len(b.active) != n {
		b.active = make([]bool, n)
		changed = true
	}
	k := 0
	for _, h := range b.held {
		for i := range h.rsi.Events {
			e := &h.rsi.Events[i]
			a := (e.StartNS == 0 || e.StartNS <= now) && (e.EndNS == 0 || now < e.EndNS)
			if a != b.active[k] {
				b.active[k], changed = a, true
			}
			k++
		}
	}
	if !changed && b.cur.Load() != nil {
		return
	}
	set := &rsiSet{gen: b.gen + 1, timeNS: now}
	k = 0
	for _, h := range b.held {
		for i := range h.rsi.Events {
			if b.active[k] {
				set.events = append(set.events, h.rsi.Events[i])
			}
			k++
		}
	}
	slices.SortStableFunc(set.events, func(x, y v2x.RoadEvent) int { return cmp.Compare(y.Priority, x.Priority) })
	if old := b.cur.Load(); old != nil && slices.Equal(old.events, set.events) {
		return // e.g. an RSI repeated with an event already ended
	}
	b.gen++
	b.cur.Store(set)
}

// rsiTimeSlack is how far validity times of a repeated RSI may move and
// still be the same: the clock correction that shifts them onto the node
// clock moves by micro- to milliseconds between frames.
const rsiTimeSlack = int64(100 * time.Millisecond)

// sameEvent reports whether two events are the same, validity times
// within rsiTimeSlack.
func sameEvent(a, b v2x.RoadEvent) bool {
	near := func(x, y int64) bool { return (x == 0) == (y == 0) && max(x-y, y-x) <= rsiTimeSlack }
	if !near(a.StartNS, b.StartNS) || !near(a.EndNS, b.EndNS) {
		return false
	}
	a.StartNS, a.EndNS = b.StartNS, b.EndNS
	return a == b
}

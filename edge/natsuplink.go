package edge

import (
	"context"
	"math"

	"github.com/v2x-edge/v2x-edge/edge/uplink"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// uplinkPump feeds the NATS uplink (edge/uplink) from the hub the way a
// subscriber is fed: a rate-capped latest-wins mailbox for the snapshots
// and an event queue, in a goroutine of its own, so the fusion loop and
// the hub never wait for it. It sends what a packed subscriber of the
// whole intersection gets: keyframes at least every KeyframeInterval and
// deltas between, encoded once and shared with QUIC subscribers of the
// same view; the uplink copies them and publishes them from its own
// goroutines.
type uplinkPump struct {
	hub  *hub
	up   *uplink.Uplink
	comp wire.Compression
	cfg  uplink.Config
	mb   *mailbox
	evq  *eventQueue
	sub  wire.Subscribe // everything, packed

	base      *snapshot // the state handed over last, held
	lastSeq   uint64
	lastSent  int64
	lastSlot  int64
	lastKeyNS int64
	forceKey  bool   // the last encoding failed: start again with a keyframe
	ev        []byte // scratch for Event payloads
}

func newUplinkPump(h *hub, up *uplink.Uplink, cfg uplink.Config, comp wire.Compression) *uplinkPump {
	p := &uplinkPump{hub: h, up: up, cfg: cfg, comp: comp, mb: newMailbox(), evq: newEventQueue(),
		sub: wire.Subscribe{Flags: wire.SubPacked, MaxRate: float32(cfg.StateRate)}}
	p.mb.rate.Store(math.Float32bits(p.sub.MaxRate))
	return p
}

// run pumps until ctx ends.
func (p *uplinkPump) run(ctx context.Context) {
	p.hub.events.add(p.evq)
	p.hub.addMailbox(p.mb)
	defer func() {
		p.hub.removeMailbox(p.mb)
		p.hub.events.remove(p.evq)
		if p.base != nil {
			p.hub.Release(p.base)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-p.evq.c:
			p.ev = wire.AppendEvent(p.ev[:0], &ev)
			p.up.Event(p.ev, ev.TimeNS)
		case <-p.mb.c:
			p.sendCurrent()
		}
	}
}

// sendCurrent hands the current snapshot to the uplink if it is due: new
// data in a new rate slot, or a heartbeat's worth of time without.
func (p *uplinkPump) sendCurrent() {
	snap := p.hub.Acquire()
	if snap == nil {
		return
	}
	needKey := p.up.NeedKeyframe() || p.forceKey
	if !needKey && (snap.Seq == p.lastSeq || !snap.Fresh && snap.TimeNS-p.lastSent < heartbeat) {
		p.hub.Release(snap)
		return
	}
	sl, next := slot(snap.TimeNS, p.sub.MaxRate, 0)
	p.mb.due.Store(next)
	if !needKey && sl == p.lastSlot {
		p.hub.Release(snap)
		return
	}
	p.lastSlot = sl
	key := needKey || p.base == nil || snap.TimeNS-p.lastKeyNS >= int64(p.cfg.KeyframeInterval)
	base := p.base
	if key {
		base = nil
	}
	payload, _, _, err := snap.encoded(&p.sub, base, p.comp)
	if err != nil {
		p.hub.Release(snap)
		p.forceKey = true
		return
	}
	var baseSeq uint64
	if base != nil {
		baseSeq = base.Seq
	}
	p.up.State(payload, snap.Seq, baseSeq, snap.TimeNS, key)
	p.forceKey = false
	if key {
		p.lastKeyNS = snap.TimeNS
	}
	if p.base != nil {
		p.hub.Release(p.base)
	}
	p.base, p.lastSeq, p.lastSent = snap, snap.Seq, snap.TimeNS
}

// UplinkStats returns the NATS uplink's counters; ok is false without
// an uplink. After Close, events left unpublished count as dropped.
func (n *Node) UplinkStats() (s uplink.Stats, ok bool) {
	if n.up == nil {
		return s, false
	}
	return n.up.Stats(), true
}

package uplink

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/nats-io/nats.go"
)

// HandoverSuffix is the subject suffix of a node's handovers:
// v2x.REGION.NODE.handover.
const HandoverSuffix = "handover"

// Handover is an object leaving a node towards a neighbour (JSON on
// v2x.REGION.NODE.handover, docs/protocol.md §12): its fused id, which
// the neighbour's track of it keeps, and its state at TimeNS.
type Handover struct {
	From      string  `json:"from"` // the node handing over
	To        string  `json:"to"`   // the neighbour it drives towards
	ID        uint32  `json:"id"`
	Class     uint8   `json:"class"`   // §6.1
	TimeNS    int64   `json:"time_ns"` // the sender's node time of the state
	Lat       float64 `json:"lat"`
	Lon       float64 `json:"lon"`
	VelE      float64 `json:"vel_e"` // m/s
	VelN      float64 `json:"vel_n"`
	CovEE     float64 `json:"cov_ee"` // m², position covariance east/north
	CovEN     float64 `json:"cov_en"`
	CovNN     float64 `json:"cov_nn"`
	Length    float32 `json:"length"`
	Width     float32 `json:"width"`
	VehicleID uint64  `json:"vehicle_id,omitempty"` // BSM temporary id, if the node has one
}

// DecodeHandover decodes and checks a handover message.
func DecodeHandover(b []byte) (Handover, error) {
	var h Handover
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("handover: %w", err)
	}
	fin := func(xs ...float64) bool {
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
		return true
	}
	switch {
	case h.ID == 0:
		return h, fmt.Errorf("handover: no id")
	case !(h.Lat >= -90 && h.Lat <= 90 && h.Lon >= -180 && h.Lon <= 180):
		return h, fmt.Errorf("handover: position %v,%v out of range", h.Lat, h.Lon)
	case !fin(h.VelE, h.VelN, h.CovEE, h.CovEN, h.CovNN) || math.Hypot(h.VelE, h.VelN) > 100:
		return h, fmt.Errorf("handover: velocity or covariance not finite or implausible")
	}
	return h, nil
}

// Handover sending: each handover goes out twice, handoverRepeat apart,
// so a neighbour reconnecting to another server (a server died) during
// the first still gets it; the receiver ignores the repeat. One the bus
// did not take is retried until handoverMaxAge old, then dropped.
const (
	handoverRepeat = time.Second
	handoverMaxAge = 5 * time.Second
	handoverQueue  = 256
	handoverTick   = 50 * time.Millisecond
)

type pendingHandover struct {
	h      Handover
	queued time.Time
	sent   time.Time // zero: not yet out
}

// SetHandoverSink sets the function handovers from the neighbours go to
// (called from the NATS client's goroutine); call it before Start.
func (u *Uplink) SetHandoverSink(f func(Handover)) { u.hoSink = f }

// Handover queues a handover to publish; it never blocks. A full queue
// drops the oldest (counted).
func (u *Uplink) Handover(h Handover) {
	h.From = u.cfg.NodeID
	u.hoMu.Lock()
	if len(u.hoq) == handoverQueue {
		copy(u.hoq, u.hoq[1:])
		u.hoq = u.hoq[:handoverQueue-1]
		u.stats.handoversDropped.Add(1)
	}
	u.hoq = append(u.hoq, pendingHandover{h: h, queued: time.Now()})
	u.hoMu.Unlock()
	select {
	case u.hoReady <- struct{}{}:
	default:
	}
}

// subscribeHandovers subscribes to the neighbours' handover subjects
// (the client renews them after a reconnection).
func (u *Uplink) subscribeHandovers() error {
	for _, nb := range u.cfg.Neighbours {
		subj := Subject(u.cfg.Region, nb.NodeID, HandoverSuffix)
		if _, err := u.nc.Subscribe(subj, func(m *nats.Msg) {
			h, err := DecodeHandover(m.Data)
			if err != nil {
				u.stats.handoversBad.Add(1)
				u.log.Debug("nats: bad handover", "subject", m.Subject, "err", err)
				return
			}
			if h.To != "" && h.To != u.cfg.NodeID {
				return // for another of the sender's neighbours
			}
			u.stats.handoversIn.Add(1)
			if u.hoSink != nil {
				u.hoSink(h)
			}
		}); err != nil {
			return fmt.Errorf("nats: subscribe %s: %w", subj, err)
		}
	}
	return nil
}

// handoverLoop publishes queued handovers, each twice.
func (u *Uplink) handoverLoop() {
	tick := time.NewTicker(handoverTick)
	defer tick.Stop()
	var out []byte
	for {
		select {
		case <-u.ctx.Done():
			return
		case <-u.hoReady:
		case <-tick.C:
		}
		now := time.Now()
		u.hoMu.Lock()
		k := 0
		for _, p := range u.hoq {
			switch {
			case p.sent.IsZero() || now.Sub(p.sent) >= handoverRepeat:
				var err error
				if out, err = json.Marshal(&p.h); err == nil {
					err = u.nc.Publish(u.hoSubj, out)
				}
				if err == nil {
					if !p.sent.IsZero() {
						u.stats.handoversOut.Add(1)
						continue // repeated: done
					}
					p.sent = now
				} else if now.Sub(p.queued) > handoverMaxAge {
					if p.sent.IsZero() {
						u.stats.handoversDropped.Add(1)
					} else {
						u.stats.handoversOut.Add(1) // the first copy went out
					}
					continue
				}
			}
			u.hoq[k] = p
			k++
		}
		u.hoq = u.hoq[:k]
		u.hoMu.Unlock()
	}
}

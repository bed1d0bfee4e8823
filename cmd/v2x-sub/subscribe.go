package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/csae53"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// subFlags are the flags that make the Subscribe.
type subFlags struct {
	radius, rate                       float64
	center, classes, approaches, lanes string
	raw, csaeRSM, noDatagrams          bool
	j2735SDSM, rsi, csaeRSI            bool
}

// Limits of the Subscribe fields (docs/protocol.md §5.8).
const (
	maxRadius = 1e6  // metres
	maxRate   = 1000 // Hz
)

// subscribe checks the flags and builds the Subscribe, so that what the
// node would reject is refused before dialling, naming the flag.
func (f *subFlags) subscribe() (wire.Subscribe, error) {
	var sub wire.Subscribe
	if !(f.radius >= 0 && f.radius <= maxRadius) {
		return sub, fmt.Errorf("-radius %v: want 0 (no limit) to %g metres", f.radius, float64(maxRadius))
	}
	if !(f.rate >= 0 && f.rate <= maxRate) {
		return sub, fmt.Errorf("-rate %v: want 0 (every update) to %d updates per second", f.rate, maxRate)
	}
	sub.Radius, sub.MaxRate = float32(f.radius), float32(f.rate)
	if f.csaeRSM {
		sub.Flags |= wire.SubCSAERSM
	}
	if f.j2735SDSM {
		sub.Flags |= wire.SubJ2735SDSM
	}
	if f.rsi {
		sub.Flags |= wire.SubRSI
	}
	if f.csaeRSI {
		sub.Flags |= wire.SubCSAERSI
	}
	if !f.raw {
		sub.Flags |= wire.SubPacked
	}
	if f.noDatagrams {
		sub.Flags |= wire.SubNoDatagram
	}
	if f.center != "" {
		lat, lon, err := v2x.ParseLatLon(f.center)
		if err != nil {
			return sub, fmt.Errorf("-center: %w", err)
		}
		sub.Flags |= wire.SubCenter
		sub.CenterLat, sub.CenterLon = lat, lon
	}
	if f.classes != "" {
		for _, name := range strings.Split(f.classes, ",") {
			c, err := v2x.ParseClass(strings.TrimSpace(name))
			if err != nil {
				return sub, fmt.Errorf("-classes: %w (known: %s)", err, classList())
			}
			sub.Classes |= v2x.MaskOf(c)
		}
	}
	var err error
	if sub.Approaches, err = wire.ParseIDSet(f.approaches); err != nil {
		return sub, fmt.Errorf("-approaches: %w", err)
	}
	if sub.Lanes, err = wire.ParseIDSet(f.lanes); err != nil {
		return sub, fmt.Errorf("-lanes: %w", err)
	}
	// Whatever else the node checks: the Subscribe must decode.
	var check wire.Subscribe
	if err := wire.DecodeSubscribe(wire.AppendSubscribe(nil, &sub), &check); err != nil {
		return sub, fmt.Errorf("flags make an invalid subscription: %w", err)
	}
	return sub, nil
}

func classList() string {
	var names []string
	for c := v2x.Class(0); c.Valid(); c++ {
		names = append(names, c.String())
	}
	return strings.Join(names, ",")
}

// sizeVsFull says how the bytes received compare with full State frames
// of the same states, in plain words.
func sizeVsFull(bytes, full int64) string {
	if bytes <= 0 || full <= 0 {
		return "no size comparison"
	}
	r := float64(full) / float64(bytes)
	switch {
	case math.Abs(r-1) < 0.05:
		return "about the size of full states"
	case r > 1:
		return fmt.Sprintf("%.1fx smaller than full states", r)
	}
	return fmt.Sprintf("%.1fx larger than full states", 1/r)
}

// rsiLine is the JSON line of a native RSI set: the node's RSI generation
// and the active events of the region (none: all withdrawn).
type rsiLine struct {
	RSI struct {
		Seq    uint64     `json:"seq"`
		RSUID  uint32     `json:"rsu_id"`
		Events []rsiEvent `json:"events"`
	} `json:"rsi"`
}

// rsiEvent is one event of an rsiLine (docs/protocol.md §5.7).
type rsiEvent struct {
	ID       uint16  `json:"id"`
	Kind     string  `json:"kind"` // event or sign
	Type     uint16  `json:"type"`
	Priority uint8   `json:"priority"`
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
	Radius   float32 `json:"radius"`
	StartNS  int64   `json:"start_ns"` // node clock; 0: open
	EndNS    int64   `json:"end_ns"`
	Text     string  `json:"text"`
}

// writeRSI prints an RSI update: a native set as one JSON line {"rsi":
// ...}, a CSAE 53 RSI MessageFrame as JSON with ASN.1 names.
func writeRSI(w io.Writer, u *client.Update, f *csae53.MessageFrame) error {
	if u.Encoding == wire.EncodingCSAE53 {
		if _, err := csae53.DecodeFrame(u.Encoded, f); err != nil {
			return fmt.Errorf("rsi frame %d: %w", u.RSISeq, err)
		}
		_, err := w.Write(append(csae53.AppendJSON(nil, f), '\n'))
		return err
	}
	var l rsiLine
	l.RSI.Seq, l.RSI.RSUID, l.RSI.Events = u.RSISeq, u.RSI.RSUID, []rsiEvent{}
	for _, e := range u.RSI.Events {
		kind := "event"
		if e.Kind == v2x.KindSign {
			kind = "sign"
		}
		l.RSI.Events = append(l.RSI.Events, rsiEvent{e.ID, kind, e.Type, e.Priority, e.Lat, e.Lon, e.Radius, e.StartNS, e.EndNS, e.Text})
	}
	b, err := json.Marshal(&l)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

package sim

import (
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
)

// Output is one message leaving a source. Only the field of its Type is
// set. Slices in an Output are its own: no two outputs share memory, and
// the simulator keeps no reference to them.
type Output struct {
	SendAt  time.Duration // true time when it leaves the source (capture + processing delay)
	Source  uint32
	Capture time.Duration // capture time on the source's clock (true capture + the source's ClockOffset); may be negative early on
	Type    MsgType
	BSM     v2x.BSM
	SPAT    v2x.SPAT
	Map     v2x.Map
	RSI     v2x.RSI
	Objects v2x.ObjectList // SensorID = camera source id
	Sensor  v2x.SensorInfo // SensorID = camera source id
	// NoBias, with Config.OracleNoBias, is Objects.Objects without the
	// camera's calibration bias (a diagnostic; same order and fields).
	NoBias []v2x.DetectedObject
}

// outQueue holds outputs in SendAt order; outputs with equal SendAt keep
// the order in which they were pushed.
type outQueue struct {
	q []Output
}

func (oq *outQueue) push(o *Output) {
	q := oq.q
	i, j := 0, len(q) // first index with SendAt > o.SendAt
	for i < j {
		h := int(uint(i+j) >> 1)
		if q[h].SendAt > o.SendAt {
			j = h
		} else {
			i = h + 1
		}
	}
	q = append(q, Output{})
	copy(q[i+1:], q[i:])
	q[i] = *o
	oq.q = q
}

// popDue appends to dst and removes every output with SendAt <= now.
func (oq *outQueue) popDue(dst []Output, now time.Duration) []Output {
	n := 0
	for n < len(oq.q) && oq.q[n].SendAt <= now {
		n++
	}
	if n == 0 {
		return dst
	}
	dst = append(dst, oq.q[:n]...)
	rest := copy(oq.q, oq.q[n:])
	clear(oq.q[rest:])
	oq.q = oq.q[:rest]
	return dst
}

func (oq *outQueue) len() int { return len(oq.q) }

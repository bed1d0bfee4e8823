package edge

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/record"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// What the node records (-record DIR), channel by channel. The binary
// encodings are the native wire format of docs/protocol.md; each
// channel's schema record carries the documentation of its encoding
// (docs/recording.md says the same).
var (
	recIngestTopic = &record.Topic{
		Name: "/v2x/ingest", MessageEncoding: "v2x-edge-frame",
		SchemaName: "v2x-edge.Frame", SchemaEncoding: "text/markdown",
		Schema: []byte("A data frame as a producer sent it on one QUIC stream: the 28-byte frame header " +
			"(docs/protocol.md §3: length, version, type, encoding, flags, source, seq, capture time on the " +
			"producer's clock) and the payload (native §5, or one UPER MessageFrame). One channel per producer " +
			"stream; its metadata names the stream and the client's identity. log_time is the arrival on the " +
			"node clock (ns since the Unix epoch), publish_time the capture time mapped to the node clock " +
			"(0 when the frame was refused for its capture time)."),
	}
	recUPERTopic = &record.Topic{
		Name: "/v2x/uper", MessageEncoding: "v2x-edge-uper-datagram",
		SchemaName: "v2x-edge.UPERDatagram", SchemaEncoding: "text/markdown",
		Schema: []byte("A UDP datagram as the raw UPER listener read it: one or more UPER MessageFrames back to " +
			"back, perhaps zero padded, of the message set in the channel's metadata (std). log_time and " +
			"publish_time are its arrival on the node clock."),
	}
	recMQTTTopic = &record.Topic{
		Name: "/v2x/mqtt", MessageEncoding: "v2x-edge-mqtt-message",
		SchemaName: "v2x-edge.MQTTMessage", SchemaEncoding: "text/markdown",
		Schema: []byte("An MQTT message as the node received it (-mqtt, docs/protocol.md §13): its payload, of the " +
			"kind in the channel's metadata (rsm, map, spat: OpenV2X JSON; uper: MessageFrames back to back of the " +
			"message set std). One channel per MQTT topic name (metadata topic), for the first 256 names; later " +
			"ones share a channel per kind with topic \"*\". log_time and publish_time are its arrival on the node clock."),
	}
	recCycleTopic = &record.Topic{
		Name: "/v2x/cycle", MessageEncoding: "v2x-edge-cycle",
		SchemaName: "v2x-edge.Cycle", SchemaEncoding: "text/markdown",
		Schema: []byte("What one fusion cycle took and when (docs/recording.md, layout in edge/cyclerec.go): version 2, " +
			"start and now (ns, node clock), the seq of the state it published, then the measurements, SPATs, MAPs " +
			"and RSIs it drained from the inbox in the order it saw them. log_time is now."),
	}
	recConfigTopic = &record.Topic{
		Name: "/v2x/config", MessageEncoding: "json",
		SchemaName: "v2x-edge.Config", SchemaEncoding: "jsonschema",
		Schema: []byte(`{"type":"object","description":"The node's run, at the start of every file.","properties":{` +
			`"first_seq":{"type":"integer","description":"seq of the first state the node published in this run"},` +
			`"config":{"type":"object","description":"edge.Config as encoding/json writes it (durations in ns)"}}}`),
	}
	recStateTopic = &record.Topic{
		Name: "/v2x/state", MessageEncoding: "v2x-edge-frame",
		SchemaName: "v2x-edge.State", SchemaEncoding: "text/markdown",
		Schema: []byte("Every state the fusion loop published, whole (no region filter): a State frame " +
			"(docs/protocol.md §5.8) with its header: Seq is the state's sequence number, Capture its time on the " +
			"node clock. log_time is that time; the MCAP sequence is the low 32 bits of Seq."),
	}
)

// cycleQueue bounds the fusion cycles waiting to be recorded (a power
// of two): at the recorder's PollEvery it is many times what a poll
// takes, and it leaves room for the writer's stalls (a file rotated).
const cycleQueue = 128

// recCycle is one fusion cycle handed to the recorder: the batch it
// drained, its times, and the snapshot it published, with a reference
// held.
type recCycle struct {
	start, now int64
	seq        uint64
	b          batch
	snap       *snapshot
}

// nodeRecorder records what the node received and published. Producer
// streams write their frames straight into the recorder's queue. The
// fusion loop only hands each cycle's batch (its buffers, not a copy) and
// a reference to the snapshot it published (immutable) to the next slot
// of a ring and advances the ring's head: no copy, lock, channel, wakeup
// or encoding.
// The recorder's writer goroutine, which polls anyway, pumps the ring:
// it encodes each cycle record, state and Foxglove message straight into
// the recorder's buffers. Nothing here blocks ingest or fusion: a cycle
// that finds the ring full is dropped and counted.
type nodeRecorder struct {
	r      *record.Recorder
	hub    *hub
	state  record.Channel
	cycles record.Channel

	// The ring: slot i%cycleQueue. head is written by the fusion loop
	// only (cycles handed over), tail by pump only (cycles written).
	ring       [cycleQueue]recCycle
	head, tail atomic.Uint64
	drops      atomic.Uint64 // cycles (and their states) dropped: the ring was full

	// pump's own, under pumpMu (Close may pump while the writer does).
	pumpMu  sync.Mutex
	rec     []byte
	st      wire.State
	lastFox int64
	lastMap *v2x.Map

	// The live view's Foxglove channels, at foxEvery of state time, so
	// that a recording opened in Foxglove looks like -foxglove live; off
	// when mp is nil.
	mp      *atomic.Pointer[v2x.Map]
	fox     [foxState + 1]record.Channel
	lanesAt int64 // state time the lanes were last recorded (pump's)
}

// foxEvery is the rate of the Foxglove channels in a recording (10 Hz,
// the live view's default).
const foxEvery = int64(100e6)

// recFoxTopics are the recording's Foxglove channels: the live view's
// topics and schemas, but the state as JSON on /v2x/state_json
// (/v2x/state holds the native states).
func recFoxTopics() [foxState + 1]*record.Topic {
	var t [foxState + 1]*record.Topic
	for _, c := range foxChannels {
		name := c.Topic
		if c.ID == foxState {
			name = "/v2x/state_json"
		}
		t[c.ID] = &record.Topic{Name: name, MessageEncoding: "json", SchemaName: c.SchemaName, SchemaEncoding: "jsonschema", Schema: []byte(c.Schema)}
	}
	return t
}

// recRun is the /v2x/config message.
type recRun struct {
	FirstSeq uint64 `json:"first_seq"`
	Config   Config `json:"config"`
}

func newNodeRecorder(cfg *Config, h *hub, n *Node) (*nodeRecorder, error) {
	nr := &nodeRecorder{hub: h, mp: &n.w.mapPub}
	r, err := record.New(record.Config{Dir: cfg.RecordDir, MaxFile: cfg.RecordMaxFile, MaxAge: cfg.RecordMaxAge,
		MaxTotal: cfg.RecordMaxTotal, Pump: nr.pump}, n.log)
	if err != nil {
		return nil, fmt.Errorf("edge: record: %w", err)
	}
	nr.r = r
	for i, t := range recFoxTopics() {
		if t != nil {
			nr.fox[i] = r.AddChannel(t, map[string]string{"frame_id": foxFrame})
		}
	}
	nr.state = r.AddChannel(recStateTopic, map[string]string{"listen": cfg.Listen})
	nr.cycles = r.AddChannel(recCycleTopic, nil)
	if cj, err := json.Marshal(recRun{FirstSeq: n.w.seq + 1, Config: *cfg}); err == nil {
		now := clock.Now()
		r.Sticky(r.AddChannel(recConfigTopic, nil), now, cj)
	}
	st := func(f func(record.Stats) float64) func() float64 { return func() float64 { return f(r.Stats()) } }
	cs := []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "v2x_record_messages_total", Help: "Messages written to recordings (-record)."},
			st(func(s record.Stats) float64 { return float64(s.Messages) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "v2x_record_bytes_total", Help: "Message bytes written to recordings, before compression."},
			st(func(s record.Stats) float64 { return float64(s.Bytes) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "v2x_record_dropped_total", Help: "Messages not recorded because the recorder could not keep up (its queue was full): never waited for."},
			func() float64 { return float64(r.Stats().Dropped + nr.drops.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "v2x_record_files_total", Help: "Recording files begun (rotation by -record-max-file and -record-max-age)."},
			st(func(s record.Stats) float64 { return float64(s.Files) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "v2x_record_deleted_files_total", Help: "Oldest recording files deleted to keep the directory under -record-max-total."},
			st(func(s record.Stats) float64 { return float64(s.Deleted) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "v2x_record_errors_total", Help: "Recording write errors (the file is closed and a new one begun)."},
			st(func(s record.Stats) float64 { return float64(s.Errors) })),
	}
	for _, c := range cs {
		if err := n.m.reg.Register(c); err != nil {
			r.Close()
			return nil, fmt.Errorf("edge: register recording metrics: %w", err)
		}
	}
	return nr, nil
}

// openStream declares the channel of a producer stream.
func (nr *nodeRecorder) openStream(stream uint64, identity string) record.Channel {
	return nr.r.AddChannel(recIngestTopic, map[string]string{"stream": strconv.FormatUint(stream, 10), "identity": identity})
}

// frame records a data frame as received, from the stream's goroutine.
func (nr *nodeRecorder) frame(ch record.Channel, h *wire.Header, payload []byte, arrival, capture int64) {
	var hb [wire.HeaderLen]byte
	b := wire.AppendHeader(hb[:0], h)
	// The length field counts what follows it: the rest of the header
	// and the payload.
	binary.BigEndian.PutUint32(b, uint32(wire.HeaderLen-4+len(payload)))
	nr.r.Write(ch, uint32(h.Seq), arrival, capture, b, payload)
}

// begin takes the ring's next slot for the cycle starting at start,
// from the fusion loop; nil when the ring is full (the cycle is dropped
// and counted).
func (nr *nodeRecorder) begin(start int64) *recCycle {
	h := nr.head.Load() // only this goroutine writes it
	if h-nr.tail.Load() >= cycleQueue {
		nr.drops.Add(1)
		return nil
	}
	rc := &nr.ring[h%cycleQueue]
	rc.start = start
	return rc
}

// end hands rc over with the batch b the cycle drained (untouched: the
// cycle kept its measurements elsewhere) and the snapshot s it published
// as seq at now, from the fusion loop right after publishing s. Nothing
// is copied: b's buffers and the slot's (which pump is done with) trade
// places, and the hub holds its reference to s until the next
// publication, by this goroutine, so taking one more needs no lock. It
// never blocks.
func (nr *nodeRecorder) end(rc *recCycle, b *batch, now int64, seq uint64, s *snapshot) {
	if rc == nil {
		return
	}
	rc.now, rc.seq = now, seq
	rc.b, *b = *b, rc.b // the slot's old batch is the inbox's next (swap resets it)
	if s != nil {
		s.refs.Add(1)
	}
	rc.snap = s
	nr.head.Add(1) // publishes the slot to pump
}

// pending is the number of cycles handed over and not yet written.
func (nr *nodeRecorder) pending() uint64 { return nr.head.Load() - nr.tail.Load() }

// pump encodes and records the cycles handed over, on the recorder's
// writer goroutine (record.Config.Pump).
func (nr *nodeRecorder) pump() {
	nr.pumpMu.Lock()
	defer nr.pumpMu.Unlock()
	for t := nr.tail.Load(); t != nr.head.Load(); t++ {
		rc := &nr.ring[t%cycleQueue]
		nr.write(rc)
		if rc.snap != nil {
			nr.hub.Release(rc.snap)
			rc.snap = nil
		}
		clear(rc.b.maps)
		clear(rc.b.rsis)
		nr.tail.Store(t + 1) // the slot is the fusion loop's again
	}
}

// write records one cycle: its record, the state it published, and at
// foxEvery the Foxglove channels.
func (nr *nodeRecorder) write(rc *recCycle) {
	nr.rec = appendCycleRec(nr.rec[:0], rc.start, &rc.b)
	finishCycleRec(nr.rec, rc.now, rc.seq)
	nr.r.Write(nr.cycles, uint32(rc.seq), rc.now, rc.now, nr.rec)
	s := rc.snap
	if s == nil {
		return
	}
	h := wire.Header{Type: wire.TypeState, Seq: s.Seq, Capture: s.TimeNS}
	nr.st = wire.State{IngestNS: s.IngestNS, Intersection: s.Intersection, Flags: wire.StateKeyframe, Objects: s.Objects, Signals: s.Signals}
	bp := nr.r.Buffer()
	b := wire.AppendHeader(*bp, &h)
	b = wire.AppendState(b, &nr.st)
	wire.FinishFrame(b, 0)
	*bp = b
	nr.r.WriteBuffer(nr.state, uint32(h.Seq), s.TimeNS, s.TimeNS, bp)
	nr.st = wire.State{} // holds no reference to s
	if nr.mp != nil && s.HasFrame && s.TimeNS-nr.lastFox >= foxEvery {
		nr.lastFox = s.TimeNS
		nr.lastMap = nr.foxglove(s, nr.lastMap)
	}
}

// foxglove records s on the Foxglove channels (and the MAP's lanes and
// the reference when the MAP is not last's); it returns the MAP drawn.
// It runs on the recorder's goroutine, at foxEvery: the JSON allocates,
// off the fusion loop.
func (nr *nodeRecorder) foxglove(s *snapshot, last *v2x.Map) *v2x.Map {
	put := func(ch int, v any) {
		if b, err := json.Marshal(v); err == nil {
			nr.r.Write(nr.fox[ch], uint32(s.Seq), s.TimeNS, s.TimeNS, b)
		}
	}
	mp := nr.mp.Load()
	// The lanes on a new MAP, and every 10 s so that every file (they
	// rotate) has them.
	if mp != nil && (mp != last || s.TimeNS-nr.lanesAt >= 10e9) {
		nr.lanesAt = s.TimeNS
		put(foxLanes, foxLanesUpdate(mp, &s.Frame, s.TimeNS))
		lat, lon, h := s.Frame.Origin()
		put(foxReference, foxLocationFix{Timestamp: foxTimeOf(s.TimeNS), FrameID: foxFrame, Latitude: lat, Longitude: lon, Altitude: h})
	}
	idx := make([]int32, len(s.Objects))
	for i := range idx {
		idx[i] = int32(i)
	}
	put(foxObjects, foxObjectsUpdate(s, idx))
	put(foxSignals, foxSignalsUpdate(s, mp, &s.Frame))
	if b, err := foxStateJSON(s, idx); err == nil {
		nr.r.Write(nr.fox[foxState], uint32(s.Seq), s.TimeNS, s.TimeNS, b)
	}
	return mp
}

// close records what was handed over last and writes the last file's
// footer.
func (nr *nodeRecorder) close() error { return nr.r.Close() }

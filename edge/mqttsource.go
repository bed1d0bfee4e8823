package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/mqttin"
	"github.com/v2x-edge/v2x-edge/edge/record"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/codec"
	"github.com/v2x-edge/v2x-edge/v2x/openv2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// mqttSourceID is the Measurement.Stream of messages ingested over MQTT
// (next to uperSourceID; QUIC stream ids are never this large).
const mqttSourceID = 1<<62 - 2

// mqttSource ingests the messages the MQTT client (edge/mqttin) queues:
// OpenV2X JSON (participants, MAP, SPAT) and UPER MessageFrames, as the
// configured identity (mqtt.identity), through the same validation as
// every other source. Capture time is the arrival time (MQTT carries no
// clock exchange). One goroutine owns it.
type mqttSource struct {
	src   source
	cl    *mqttin.Client
	enc   wire.Encoding // of "uper" topics
	ident auth.Identity
	log   *slog.Logger
	// results[kind][result] counts v2x_mqtt_messages_total.
	results [4]map[string]prometheus.Counter
	// forbidden is set by reject when it refused a message with
	// forbidden, so that it is counted as such.
	forbidden bool
	// recChs are the recording channels by MQTT topic name (the first
	// maxRecTopics), and by kind (NUL and the kind) for later names;
	// nil: not recording.
	recChs map[string]record.Channel
	recURL string
}

// maxRecTopics bounds the recording channels of MQTT topic names.
const maxRecTopics = 256

func newMQTTSource(env ingestEnv, cl *mqttin.Client, url string, enc wire.Encoding, ident auth.Identity, am *authMetrics, log *slog.Logger) *mqttSource {
	m := &mqttSource{cl: cl, enc: enc, ident: ident, log: log, recURL: url}
	if env.rec != nil {
		m.recChs = map[string]record.Channel{}
	}
	m.src = newSource(env, m, nil, mqttSourceID)
	m.src.ident, m.src.am = &m.ident, am
	for _, k := range mqttin.Kinds() {
		m.results[k] = map[string]prometheus.Counter{}
		for _, r := range mqttin.Results {
			m.results[k][r] = cl.Counts.WithLabelValues(k.String(), r)
		}
	}
	return m
}

// reject counts a refused message; there is no one to answer.
func (m *mqttSource) reject(h *wire.Header, code wire.Code, msg string) {
	m.src.env.m.reject(code)
	m.forbidden = m.forbidden || code == wire.CodeForbidden
	m.log.Debug("mqtt message rejected", "code", code.String(), "type", h.Type.String(), "msg", msg)
}

func (m *mqttSource) run(ctx context.Context) {
	q := m.cl.Queue()
	for {
		select {
		case <-ctx.Done():
			return
		case msg := <-q:
			m.handle(&msg)
			m.cl.Done(&msg)
		}
	}
}

// record writes msg to its recording channel.
func (m *mqttSource) record(msg *mqttin.Message) {
	key, topic := msg.Topic, msg.Topic
	ch, ok := m.recChs[key]
	if !ok && len(m.recChs) >= maxRecTopics {
		key, topic = "\x00"+msg.Kind.String(), "*" // no topic name holds NUL
		ch, ok = m.recChs[key]
	}
	if !ok {
		ch = m.src.env.rec.r.AddChannel(recMQTTTopic, map[string]string{"url": m.recURL, "topic": topic,
			"kind": msg.Kind.String(), "std": uperStdName(m.enc)})
		m.recChs[key] = ch
	}
	m.src.env.rec.r.Write(ch, 0, msg.Arrival, msg.Arrival, msg.Payload)
}

// handle ingests one message.
func (m *mqttSource) handle(msg *mqttin.Message) {
	if m.recChs != nil {
		m.record(msg)
	}
	if msg.Kind == mqttin.KindUPER {
		m.handleUPER(msg)
		return
	}
	h := wire.Header{Encoding: wire.EncodingNative}
	var err error
	switch msg.Kind {
	case mqttin.KindRSM:
		h.Type, m.src.msg.Type = wire.TypeRSM, wire.TypeRSM
		err = openv2x.DecodeParticipants(msg.Payload, &m.src.msg.RSM)
		h.Source = m.src.msg.RSM.RSUID // participant ids are per RSU
	case mqttin.KindMap:
		h.Type, m.src.msg.Type = wire.TypeMAP, wire.TypeMAP
		if !m.maySend(&h) {
			m.count(msg.Kind, mqttin.ResultForbidden)
			return
		}
		if m.src.mapRepeat(&h, msg.Payload, msg.Arrival) {
			m.count(msg.Kind, mqttin.ResultOK) // the MAP queued last, again: normal
			return
		}
		mp := new(v2x.Map)
		err = openv2x.DecodeMap(msg.Payload, mp)
		m.src.msg.Map = mp
	case mqttin.KindSPAT:
		h.Type, m.src.msg.Type = wire.TypeSPAT, wire.TypeSPAT
		m.src.msg.SPATs, err = openv2x.DecodeSPAT(msg.Payload, m.src.msg.SPATs)
	}
	if err != nil {
		m.count(msg.Kind, mqttin.ResultMalformed)
		m.src.env.m.reject(wire.CodeMalformed)
		m.log.Debug("mqtt message malformed", "topic", msg.Topic, "kind", msg.Kind.String(), "err", err)
		return
	}
	m.count(msg.Kind, m.ingest(&h, msg.Arrival))
}

// handleUPER ingests the MessageFrames of a "uper" message, back to back
// as the raw UPER listener takes them; each frame is counted. After a
// frame that does not decode the rest is dropped.
func (m *mqttSource) handleUPER(msg *mqttin.Message) {
	b := msg.Payload
	if len(b) == 0 {
		m.count(msg.Kind, mqttin.ResultMalformed)
		m.src.env.m.reject(wire.CodeMalformed)
		return
	}
	for off := 0; !codec.End(b, off); {
		n, err := m.src.dec.Decode(m.enc, b[off:], &m.src.msg)
		switch {
		case errors.Is(err, codec.ErrUnsupported):
			m.count(msg.Kind, mqttin.ResultUnsupported)
			m.log.Debug("mqtt uper frame not ingested", "topic", msg.Topic, "offset", off, "err", err)
		case err != nil:
			m.count(msg.Kind, mqttin.ResultMalformed)
			m.src.env.m.reject(wire.CodeMalformed)
			m.log.Debug("mqtt uper frame malformed", "topic", msg.Topic, "offset", off, "err", err)
			return
		default:
			h := wire.Header{Type: m.src.msg.Type, Encoding: m.enc}
			m.count(msg.Kind, m.ingest(&h, msg.Arrival))
		}
		if n <= 0 {
			return
		}
		off += n
	}
}

// maySend checks the identity's kinds for the message h announces,
// refusing it with forbidden when they do not hold it.
func (m *mqttSource) maySend(h *wire.Header) bool {
	k, _ := auth.KindOf(h.Type)
	if m.ident.MaySend(k) {
		return true
	}
	m.src.am.forbid(k, false)
	m.reject(h, wire.CodeForbidden, fmt.Sprintf("mqtt identity %q may not send kind %s", m.ident.Name, k))
	return false
}

// ingest validates and queues the decoded message as the identity, with
// t its capture (arrival) time; it returns the result to count.
func (m *mqttSource) ingest(h *wire.Header, t int64) string {
	m.forbidden = false
	if !m.maySend(h) {
		return mqttin.ResultForbidden
	}
	if !m.src.ingest(h, t, t) {
		if m.forbidden {
			return mqttin.ResultForbidden
		}
		return mqttin.ResultRejected
	}
	return mqttin.ResultOK
}

func (m *mqttSource) count(k mqttin.Kind, result string) { m.results[k][result].Inc() }

// startMQTT builds the MQTT client, registers its metrics and starts the
// ingest goroutine; connectMQTT, once nothing else in Start can fail,
// connects in the background (the node starts whether or not the broker
// is there, and keeps trying).
func (n *Node) startMQTT() error {
	cfg := n.cfg.MQTT
	enc, err := codec.ParseEncoding(cfg.UPERStd)
	if err != nil {
		return fmt.Errorf("edge: mqtt uper_std: %w", err)
	}
	ident, err := auth.ParseURIString(cfg.Identity)
	if err != nil { // Validate checked it
		return fmt.Errorf("edge: mqtt identity: %w", err)
	}
	cl, err := mqttin.New(cfg, n.log)
	if err != nil {
		return fmt.Errorf("edge: %w", err)
	}
	for _, c := range cl.Collectors() {
		if err := n.m.reg.Register(c); err != nil {
			return fmt.Errorf("edge: register mqtt metrics: %w", err)
		}
	}
	m := newMQTTSource(n.ingestEnv(), cl, cfg.URL, enc, ident, &n.m.auth, n.log.With("mqtt", cfg.URL))
	n.mqtt = cl
	n.wg.Add(1)
	go func() { defer n.wg.Done(); m.run(n.ctx) }()
	n.log.Info("mqtt ingest", "url", cfg.URL, "topics", cfg.Topics, "identity", ident.String())
	return nil
}

// connectMQTT starts connecting the MQTT client, if there is one.
func (n *Node) connectMQTT() {
	if n.mqtt != nil {
		n.mqtt.Start()
	}
}

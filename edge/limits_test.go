package edge

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/edge/quota"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// rawIdentity is the identity of rawDial's connections: a producer of
// every kind, as the quota tests name it.
const rawIdentity = "raw"

var rawCerts sync.Map // *Node → *tls.Certificate

// rawCert issues rawIdentity's certificate once per node.
func rawCert(t *testing.T, n *Node) *tls.Certificate {
	t.Helper()
	if c, ok := rawCerts.Load(n); ok {
		return c.(*tls.Certificate)
	}
	o := issue(t, n, "v2x-edge:"+rawIdentity+"?roles=producer&kinds=vehicle,rsu,camera,signal,map", time.Now().Add(time.Hour))
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	rawCerts.Store(n, &cert)
	t.Cleanup(func() { rawCerts.Delete(n) })
	return &cert
}

// rawDial opens a QUIC connection to n without edge/client (no
// keep-alives of its own unless asked), from local address from ("" for
// any), as the producer rawIdentity.
func rawDial(t *testing.T, n *Node, from string, keepAlive time.Duration) *quic.Conn {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(n.cfg.DataDir, devca.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cert := rawCert(t, n)
	tlsConf := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", NextProtos: []string{wire.ALPN}, MinVersion: tls.VersionTLS13,
		Certificates: []tls.Certificate{*cert}}
	qconf := &quic.Config{MaxIdleTimeout: time.Minute, KeepAlivePeriod: keepAlive, EnableDatagrams: true}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if from == "" {
		from = "127.0.0.1:0"
	}
	udp, err := net.ListenPacket("udp", from)
	if err != nil {
		t.Skipf("cannot bind %s: %v", from, err)
	}
	tr := &quic.Transport{Conn: udp}
	t.Cleanup(func() { tr.Close() })
	c, err := tr.Dial(ctx, n.Addr(), tlsConf, qconf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseWithError(0, "") })
	return c
}

func heapInuse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestStalledLargeFramesBounded: 20 connections each announce a 1 MiB
// frame and stall. The node's heap does not grow by the announced
// megabytes, each stream is reset after frame_timeout with an Error
// frame and counted, and the memory is gone after the connections close.
func TestStalledLargeFramesBounded(t *testing.T) {
	n, _ := startNode(t, func(c *Config) {
		c.FrameTimeout = 700 * time.Millisecond
		c.Quotas.Producer.Connections = 0 // 20 connections of one identity
	})
	const conns = 20
	rawDial(t, n, "", 0).CloseWithError(0, "") // warm: the identity issued, TLS set up once
	base := heapInuse()
	var streams []*quic.Stream
	var qconns []*quic.Conn
	for range conns {
		c := rawDial(t, n, "", 0)
		qconns = append(qconns, c)
		st, err := c.OpenStreamSync(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		hdr := wire.AppendHeader(nil, &wire.Header{Type: wire.TypeObjectList, Seq: 1})
		binary.BigEndian.PutUint32(hdr, uint32(wire.DefaultMaxFrame))
		if _, err := st.Write(append(hdr, make([]byte, 1000)...)); err != nil {
			t.Fatal(err)
		}
		streams = append(streams, st)
	}
	time.Sleep(200 * time.Millisecond) // the node has read what was sent, not yet timed out
	grown := int64(heapInuse()) - int64(base)
	t.Logf("heap grew %.1f MB with %d stalled 1 MiB frames", float64(grown)/1e6, conns)
	if grown > 8<<20 {
		t.Errorf("heap grew %.1f MB for %d announced-but-unsent 1 MiB frames, want under 8 MB", float64(grown)/1e6, conns)
	}
	// Each stalled stream gets an Error frame and is reset.
	for i, st := range streams {
		st.SetReadDeadline(time.Now().Add(5 * time.Second))
		r := wire.NewReader(st, 0)
		for {
			h, p, err := r.Next()
			if err != nil {
				t.Fatalf("stream %d: no Error frame before the stream ended: %v", i, err)
			}
			if h.Type != wire.TypeError {
				continue
			}
			var e wire.ErrorFrame
			if err := wire.DecodeError(p, &e); err != nil {
				t.Fatal(err)
			}
			if e.Code != wire.CodeMalformed || !strings.Contains(e.Message, "frame_timeout") {
				t.Fatalf("stream %d: error %v, want malformed for frame_timeout", i, &e)
			}
			break
		}
	}
	if got := testutil.ToFloat64(n.m.stalled); got != conns {
		t.Errorf("v2x_frames_stalled_total %v, want %d", got, conns)
	}
	// Closed connections leave nothing pinned.
	for _, c := range qconns {
		c.CloseWithError(0, "")
	}
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(n.m.connections) != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := int64(heapInuse()) - int64(base); left > 4<<20 {
		t.Errorf("heap %.1f MB above the start after the connections closed", float64(left)/1e6)
	}
}

// TestNodeSendsNoKeepAlives: a client that sends no keep-alives of its own
// is closed by the idle timeout; the node does not keep it alive.
func TestNodeSendsNoKeepAlives(t *testing.T) {
	n, _ := startNode(t, func(c *Config) { c.IdleTimeout = 400 * time.Millisecond })
	rawDial(t, n, "", 0)
	open := func() float64 { return testutil.ToFloat64(n.m.connections) }
	deadline := time.Now().Add(5 * time.Second)
	for open() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("idle connection still open after 5 s with a 400 ms idle timeout: the node keeps it alive")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A client with keep-alives of its own stays.
	rawDial(t, n, "", 100*time.Millisecond)
	time.Sleep(1500 * time.Millisecond)
	if open() != 1 {
		t.Fatalf("%v connections open, want the one that sends keep-alives", open())
	}
}

// TestHTTPKeepAliveTimesOut: an idle HTTP keep-alive connection is closed
// after http_idle_timeout.
func TestHTTPKeepAliveTimesOut(t *testing.T) {
	n, _ := startNode(t, func(c *Config) { c.HTTPIdleTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", n.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("read a byte from an idle keep-alive connection")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("idle HTTP keep-alive connection still open after 5 s with a 300 ms idle timeout")
	}
}

// TestQuotaOverloadsOneIdentity: a producer over its frame quota gets
// overloaded, counted under its identity; another identity sending at
// the same time is not refused anything.
func TestQuotaOverloadsOneIdentity(t *testing.T) {
	n, _ := startNode(t, func(c *Config) { c.Quotas.Producer.FramesPerSec = 50 })
	// Two producer identities.
	until := time.Now().Add(time.Hour)
	fopts := issue(t, n, "v2x-edge:flooder?roles=producer&kinds=vehicle", until)
	opts := issue(t, n, "v2x-edge:honest?roles=producer&kinds=vehicle", until)
	flooder, err := dial(t, n, fopts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	honest, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	// Refusals under the frame quota, as the flooder reads them. (It
	// also gets others: what it wrote while its stream backed off waits
	// and may reach the node too old.)
	var framesRefused atomic.Int64
	go func() {
		for e := range flooder.Errors() {
			if e.Code == wire.CodeOverloaded && strings.Contains(e.Message, "frames-per-second") {
				framesRefused.Add(1)
			}
		}
	}()
	go func() {
		defer close(done)
		b := bsmAt(1, 0, 0)
		for ctx.Err() == nil {
			flooder.SendBSM(1, clock.Now(), &b)
		}
	}()
	for range 20 { // 20 frames/s, within the quota of 50
		h := bsmAt(2, 5, 5)
		honest.SendBSM(2, clock.Now(), &h)
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	time.Sleep(200 * time.Millisecond)
	fr, _ := flooder.Stats()
	hr, _ := honest.Stats()
	if fr == 0 {
		t.Error("flooder over its frame quota was refused nothing")
	}
	if hr != 0 {
		t.Errorf("honest identity refused %d frames while another flooded", hr)
	}
	if got, saw := quotaExceeded(t, n, "flooder", quota.Frames), framesRefused.Load(); got == 0 || got < float64(saw) {
		t.Errorf("frames quota exceeded for the flooder counted %v, flooder saw %d such refusals", got, saw)
	}
	if got := quotaExceeded(t, n, "honest", quota.Frames); got != 0 {
		t.Errorf("frames quota exceeded counted %v for the honest identity", got)
	}
}

// quotaExceeded reads v2x_quota_exceeded_total for identity and quota.
func quotaExceeded(t *testing.T, n *Node, identity string, k quota.Kind) float64 {
	t.Helper()
	mfs, err := n.m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "v2x_quota_exceeded_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var id, q string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "identity":
					id = l.GetValue()
				case "quota":
					q = l.GetValue()
				}
			}
			if id == identity && q == k.String() {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestRepeatedMapSkipped: the same MAP sent again is recognised without
// decoding and counted; a different one goes through.
func TestRepeatedMapSkipped(t *testing.T) {
	n, opts := startNode(t, nil)
	p, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	mp := v2x.Map{IntersectionID: 7, RefLat: refLat, RefLon: refLon}
	for range 3 {
		if err := p.SendMap(9, clock.Now(), &mp); err != nil {
			t.Fatal(err)
		}
	}
	waitCounter(t, n.m.mapsUnchanged, 2)
	mp.IntersectionID = 8
	if err := p.SendMap(9, clock.Now(), &mp); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if got := testutil.ToFloat64(n.m.mapsUnchanged); got != 2 {
		t.Errorf("a changed MAP counted as unchanged: %v, want 2", got)
	}
	rejected, _ := p.Stats()
	if rejected != 0 {
		t.Errorf("%d MAP frames rejected", rejected)
	}
}

// waitCounter waits up to 5 s for c to reach want.
func waitCounter(t *testing.T, c prometheus.Counter, want float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(c) != want {
		if time.Now().After(deadline) {
			t.Fatalf("counter %v, want %v", testutil.ToFloat64(c), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClientKeepsItselfAlive: edge/client connections (producers and
// subscribers alike) send their own keep-alives, so an idle one outlives
// the node's idle timeout.
func TestClientKeepsItselfAlive(t *testing.T) {
	n, opts := startNode(t, func(c *Config) { c.IdleTimeout = 400 * time.Millisecond })
	// quic-go takes a peer's idle timeout as at least 5 s, so the client's
	// own, shorter one sets its keep-alive period here (a third of it).
	opts.IdleTimeout = time.Second
	if _, err := dial(t, n, opts).OpenProducer(context.Background(), clock.Now); err != nil {
		t.Fatal(err)
	}
	dial(t, n, opts) // no stream at all
	time.Sleep(1500 * time.Millisecond)
	if got := testutil.ToFloat64(n.m.connections); got != 2 {
		t.Errorf("%v client connections open after 1.5 s idle with a 400 ms idle timeout, want 2", got)
	}
}

// TestStreamsQuota: streams beyond an identity's quota are reset with
// StreamErrOverloaded and counted; the ones within it work.
func TestStreamsQuota(t *testing.T) {
	n, _ := startNode(t, func(c *Config) { c.Quotas.Producer.Streams = 2 })
	c := rawDial(t, n, "", 0)
	var sts []*quic.Stream
	for range 3 {
		st, err := c.OpenStreamSync(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		req := wire.AppendHeader(nil, &wire.Header{Type: wire.TypeClockRequest})
		req = wire.AppendClockRequest(req, 1)
		wire.FinishFrame(req, 0)
		if _, err := st.Write(req); err != nil {
			t.Fatal(err)
		}
		sts = append(sts, st)
	}
	for i, st := range sts {
		st.SetReadDeadline(time.Now().Add(5 * time.Second))
		h, _, err := wire.NewReader(st, 0).Next()
		var se *quic.StreamError
		switch {
		case i < 2 && (err != nil || h.Type != wire.TypeClockResponse):
			t.Errorf("stream %d within the quota: %v, %v", i, h.Type, err)
		case i == 2 && !(errors.As(err, &se) && se.ErrorCode == wire.StreamErrOverloaded):
			t.Errorf("stream over the quota: %v, %v; want reset with StreamErrOverloaded", h.Type, err)
		}
	}
	if got := quotaExceeded(t, n, rawIdentity, quota.Streams); got != 1 {
		t.Errorf("streams quota exceeded %v, want 1", got)
	}
}

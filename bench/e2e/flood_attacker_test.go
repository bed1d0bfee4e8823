//go:build !race

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/clock"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/geo"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// The floods of issue 13, all from one attacker identity (a producer of
// every kind that may also subscribe), sized as the issue's probe sized
// them.
const (
	floodStallConns   = 20   // (a) connections announcing a 1 MiB frame, then stalling
	floodParked       = 6000 // (b) fake objects parked 600 m away
	floodObjectsPerS  = 50000
	floodIdleConns    = 500 // (f) connections that send nothing
	floodSubStreams   = 4   // (e) streams sending Subscribe and Resync in a loop
	floodSourceOffset = 0xF1000
)

// attacker floods a node from one identity until its context ends.
type attacker struct {
	t      *testing.T
	addr   string
	tlsCfg *tls.Config
	opts   client.Options
	ref    v2x.Map
	// only, if set, names the floods to run ("ace": (a), (c) and (e)):
	// the V2X_FLOODS the test gives the attacker process for one run.
	only string

	mu     sync.Mutex
	codes  map[wire.Code]uint64 // Error frames the node answered the floods with
	sent   atomic.Uint64        // data frames the floods wrote
	stalls atomic.Uint64        // stalled frames the node reset
	idle   atomic.Int64         // idle connections open
	busy   atomic.Uint64        // dials the node refused as busy (handshakes_per_sec)
}

// newAttacker issues the attacker identity "flooder" from the node's
// development CA in dataDir.
func newAttacker(t *testing.T, dataDir, addr string, ref v2x.Map) *attacker {
	t.Helper()
	id := auth.Identity{Name: "flooder", Roles: auth.Roles(auth.RoleProducer | auth.RoleSubscriber), Kinds: auth.AllKinds}
	cf, kf, err := devca.IssueFiles(dataDir, id, time.Now().Add(time.Hour), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(cf, kf)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dataDir, devca.CAFile)
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &attacker{t: t, addr: addr, ref: ref, only: os.Getenv("V2X_FLOODS"), codes: map[wire.Code]uint64{},
		opts: client.Options{CAFile: caFile, CertFile: cf, KeyFile: kf},
		tlsCfg: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", NextProtos: []string{wire.ALPN},
			MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}}
}

func (a *attacker) count(c wire.Code) {
	a.mu.Lock()
	a.codes[c]++
	a.mu.Unlock()
}

// Codes returns the Error frames counted by code.
func (a *attacker) Codes() map[string]uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]uint64{}
	for c, n := range a.codes {
		out[c.String()] = n
	}
	return out
}

// run starts every flood at once and returns when ctx ends and they have
// stopped.
func (a *attacker) run(ctx context.Context) {
	var wg sync.WaitGroup
	c, err := client.Dial(ctx, a.addr, a.opts)
	if err != nil {
		a.t.Errorf("attacker: %v", err)
		return
	}
	defer c.Close()
	tr, err := a.transport()
	if err != nil {
		a.t.Errorf("attacker: %v", err)
		return
	}
	defer tr.Close()
	on := func(f string) bool { return a.only == "" || strings.Contains(a.only, f) }
	if on("a") {
		for range floodStallConns {
			wg.Go(func() { a.stallLoop(ctx, tr) })
		}
	}
	if on("b") {
		wg.Go(func() { a.parked(ctx, c) })
	}
	if on("c") {
		wg.Go(func() { a.objects(ctx, c) })
	}
	if on("d") {
		wg.Go(func() { a.maps(ctx, c) })
	}
	if on("e") {
		for range floodSubStreams {
			wg.Go(func() { a.subscribes(ctx, c) })
		}
	}
	if on("f") {
		wg.Go(func() { a.idleConns(ctx, tr) })
	}
	wg.Wait()
}

// transport is one UDP socket for the attacker's raw connections.
func (a *attacker) transport() (*quic.Transport, error) {
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &quic.Transport{Conn: udp}, nil
}

// dialRaw opens a QUIC connection without edge/client: no keep-alives.
// A persistent attacker, it dials again every 100 ms while the node
// refuses it for being busy (handshakes_per_sec, max_handshakes), until
// ctx ends. Not faster: a refusal costs the node little (one Initial
// packet each way), but each attempt costs the attacker a ClientHello's
// key shares, and here the attacker shares the node's machine, where
// that CPU would be taken from the node's, not spent on another host.
func (a *attacker) dialRaw(ctx context.Context, tr *quic.Transport) (*quic.Conn, error) {
	addr, err := net.ResolveUDPAddr("udp", a.addr)
	if err != nil {
		return nil, err
	}
	for {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		qc, err := tr.Dial(dctx, addr, a.tlsCfg, &quic.Config{MaxIdleTimeout: time.Minute, EnableDatagrams: true})
		cancel()
		if !client.Busy(err) {
			return qc, err
		}
		a.busy.Add(1)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stallLoop is flood (a) on one connection: announce a 1 MiB object list,
// send 1000 bytes of it and stall; when the node resets the stream (its
// frame_timeout), do it again.
func (a *attacker) stallLoop(ctx context.Context, tr *quic.Transport) {
	qc, err := a.dialRaw(ctx, tr)
	if err != nil {
		return
	}
	defer qc.CloseWithError(0, "")
	for ctx.Err() == nil {
		st, err := qc.OpenStreamSync(ctx)
		if err != nil {
			return
		}
		hdr := wire.AppendHeader(nil, &wire.Header{Type: wire.TypeObjectList, Source: floodSourceOffset, Seq: 1, Capture: clock.Now()})
		hdr[0], hdr[1], hdr[2], hdr[3] = 0, 0x10, 0, 0 // 1 MiB
		if _, err := st.Write(append(hdr, make([]byte, 1000)...)); err != nil {
			st.CancelRead(0)
			continue
		}
		stop := context.AfterFunc(ctx, func() { st.CancelRead(0) })
		if _, err := io.Copy(io.Discard, st); err == nil || ctx.Err() == nil {
			a.stalls.Add(1)
		}
		stop()
		st.CancelWrite(0)
	}
}

// fakeObjects fills l with n objects of source-local ids from first, at
// east/north offsets place(i) from the intersection.
func fakeObjects(l *v2x.ObjectList, f *geo.Frame, first, n int, place func(i int) (e, n float64)) {
	l.Objects = l.Objects[:0]
	for i := range n {
		e, no := place(first + i)
		lat, lon, _ := f.FromENU(e, no, 0)
		l.Objects = append(l.Objects, v2x.DetectedObject{LocalID: uint32(first + i + 1), Class: v2x.ClassCar, Confidence: 90,
			Lat: lat, Lon: lon, Length: 4.5, Width: 1.8, Height: 1.5})
	}
}

// producer opens a producer stream on c whose Error frames are counted.
func (a *attacker) producer(ctx context.Context, c *client.Conn) *client.Producer {
	p, err := c.OpenProducer(ctx, clock.Now)
	if err != nil {
		return nil
	}
	go func() {
		for e := range p.Errors() {
			a.count(e.Code)
		}
	}()
	return p
}

// parked is flood (b): 6000 stationary cars 600 m east of the
// intersection, as six camera lists of 1000, five times a second.
func (a *attacker) parked(ctx context.Context, c *client.Conn) {
	p := a.producer(ctx, c)
	if p == nil {
		return
	}
	defer p.Close()
	f := geo.NewFrame(a.ref.RefLat, a.ref.RefLon, 0)
	fp := &f
	const per = 1000
	lists := make([]v2x.ObjectList, floodParked/per)
	for k := range lists {
		lists[k].SensorID = uint32(floodSourceOffset + 0x100 + k)
		fakeObjects(&lists[k], fp, k*per, per, func(i int) (float64, float64) {
			return 600 + float64(i%100)*6, -300 + float64(i/100)*10
		})
	}
	a.every(ctx, 200*time.Millisecond, func() {
		for k := range lists {
			if p.SendObjects(lists[k].SensorID, clock.Now(), &lists[k]) == nil {
				a.sent.Add(1)
			}
		}
	})
}

// objects is flood (c): 50 000 fake objects a second, 1000 to a list at
// random places 300 to 600 m north, so that no two frames associate.
func (a *attacker) objects(ctx context.Context, c *client.Conn) {
	p := a.producer(ctx, c)
	if p == nil {
		return
	}
	defer p.Close()
	f := geo.NewFrame(a.ref.RefLat, a.ref.RefLon, 0)
	fp := &f
	rng := rand.New(rand.NewPCG(13, 50000))
	const per, lists = 1000, 5
	var l v2x.ObjectList
	a.every(ctx, time.Second*per*lists/floodObjectsPerS, func() {
		for k := range lists {
			l.SensorID = uint32(floodSourceOffset + 0x200 + k)
			fakeObjects(&l, fp, 0, per, func(int) (float64, float64) {
				return -300 + rng.Float64()*600, 300 + rng.Float64()*300
			})
			if p.SendObjects(l.SensorID, clock.Now(), &l) == nil {
				a.sent.Add(1)
			}
		}
	})
}

// largestMap is the scenario's MAP padded to the largest MAP the node
// takes: 255 lanes of 64 nodes and 16 connections each, the added lanes
// 700 m south, away from the real ones. variant changes one node, so that
// consecutive MAPs are not byte-identical.
func largestMap(ref v2x.Map, variant int) v2x.Map {
	m := ref
	m.Lanes = append([]v2x.Lane(nil), ref.Lanes...)
	used := map[uint8]bool{}
	for _, l := range m.Lanes {
		used[l.ID] = true
	}
	for id := 255; id > 0 && len(m.Lanes) < v2x.MaxLanes; id-- {
		if used[uint8(id)] {
			continue
		}
		l := v2x.Lane{ID: uint8(id), Kind: v2x.LaneVehicle, Approach: 1, Ingress: true, Maneuvers: v2x.ManeuverStraight, Width: 3.5, SpeedLimit: 13.9}
		for k := range v2x.MaxLaneNodes {
			l.Nodes = append(l.Nodes, v2x.Point{E: float32(id)*4 - 500, N: -700 - float32(k)*5})
		}
		if id == 255 {
			l.Nodes[0].E += float32(variant)
		}
		for k := range v2x.MaxConnections {
			l.Connections = append(l.Connections, v2x.Connection{ToLane: uint8(1 + k), SignalGroup: uint8(1 + k%8), Maneuver: v2x.ManeuverStraight})
		}
		m.Lanes = append(m.Lanes, l)
	}
	return m
}

// maps is flood (d): the largest MAP, two variants in turn, as fast as
// the stream takes them.
func (a *attacker) maps(ctx context.Context, c *client.Conn) {
	p := a.producer(ctx, c)
	if p == nil {
		return
	}
	defer p.Close()
	ms := [2]v2x.Map{largestMap(a.ref, 0), largestMap(a.ref, 1)}
	for i := 0; ctx.Err() == nil; i++ {
		if p.SendMap(floodSourceOffset+0x300, clock.Now(), &ms[i%2]) != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		a.sent.Add(1)
	}
}

// subscribes is flood (e) on one stream: a packed Subscribe, then
// Resyncs and Subscribes that change the region, every millisecond; what
// the node sends back is read and dropped.
func (a *attacker) subscribes(ctx context.Context, c *client.Conn) {
	st, err := c.QUIC().OpenStreamSync(ctx)
	if err != nil {
		return
	}
	defer st.CancelRead(0)
	defer st.Close()
	go func() {
		r := wire.NewReader(st, 0)
		for {
			h, p, err := r.Next()
			if err != nil {
				return
			}
			if h.Type == wire.TypeError {
				var e wire.ErrorFrame
				if wire.DecodeError(p, &e) == nil {
					a.count(e.Code)
				}
			}
		}
	}()
	var b []byte
	write := func(t wire.Type, fill func([]byte) []byte) error {
		b = wire.AppendHeader(b[:0], &wire.Header{Type: t})
		b = fill(b)
		wire.FinishFrame(b, 0)
		_, err := st.Write(b)
		return err
	}
	sub := wire.Subscribe{Flags: wire.SubPacked, CenterLat: a.ref.RefLat, CenterLon: a.ref.RefLon}
	for i := 0; ctx.Err() == nil; i++ {
		var err error
		if i%2 == 0 {
			sub.Radius = float32(50 + i%200)
			err = write(wire.TypeSubscribe, func(b []byte) []byte { return wire.AppendSubscribe(b, &sub) })
		} else {
			err = write(wire.TypeResync, func(b []byte) []byte { return wire.AppendResync(b, 0) })
		}
		if err != nil {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// idleConns is flood (f): 500 connections that complete the handshake
// and send nothing, held until ctx ends.
func (a *attacker) idleConns(ctx context.Context, tr *quic.Transport) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 25)
	for range floodIdleConns {
		sem <- struct{}{}
		wg.Go(func() {
			qc, err := a.dialRaw(ctx, tr)
			<-sem
			if err != nil {
				return
			}
			a.idle.Add(1)
			<-ctx.Done()
			qc.CloseWithError(0, "")
		})
	}
	wg.Wait()
}

// every calls f each period until ctx ends.
func (a *attacker) every(ctx context.Context, period time.Duration, f func()) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		f()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

package harness

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// floorALPN is the ALPN of the transport-floor phase.
const floorALPN = "v2x-floor"

// floorTick is how often the floor server sends to the connections that
// are due: the finest grain a Go timer keeps on this kind of machine.
const floorTick = time.Millisecond

// Floor modes: how the transport-floor server decides when to send.
const (
	// FloorEven sends each connection one datagram per period, the n
	// connections spread evenly over it: the transport alone.
	FloorEven = "even"
	// FloorFresh sends like the node: a relay subscribes to the node, and
	// each state with new measurements goes to the connections whose rate
	// slot (in the node's 16 phases) has begun since they were last sent,
	// at most the node's burst cap of them, longest due first. So the
	// sends come in the same bursts as the node's, driven by the same
	// data, with none of the fusion, filtering, encoding or reassembly,
	// and are timed over the same fan-out span: from the relay's receipt
	// of the state.
	FloorFresh = "fresh"
)

// runFloor measures what the transport alone costs at the same fan-out:
// a bare quic-go server in this process sends n connections datagrams of
// size bytes at rate Hz each (when, mode says), and n bare quic-go
// clients in a subscriber process (the same sockets and GOMAXPROCS as the
// node's subscribers) time each datagram from its send. The node's latency
// is read against it: FloorEven is the best case for any node built on
// quic-go on this machine, FloorFresh the best case for one that sends
// each subscriber the first new data of its slot, as ours does.
func runFloor(ctx context.Context, cfg Config, tmp, mode string, n int, rate float64, size int, nodeAddr string, relay client.Options) (SubsResult, float64, error) {
	dir := filepath.Join(tmp, "floor")
	cert, err := devca.Ensure(dir)
	if err != nil {
		return SubsResult{}, 0, fmt.Errorf("floor certificate: %w", err)
	}
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return SubsResult{}, 0, fmt.Errorf("floor socket: %w", err)
	}
	tr := &quic.Transport{Conn: udp}
	defer tr.Close()
	ln, err := tr.Listen(&tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{floorALPN}, MinVersion: tls.VersionTLS13},
		&quic.Config{EnableDatagrams: true, MaxIdleTimeout: 30 * time.Second, KeepAlivePeriod: 10 * time.Second})
	if err != nil {
		return SubsResult{}, 0, fmt.Errorf("floor listen: %w", err)
	}
	defer ln.Close()

	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		conns []*quic.Conn
		wg    sync.WaitGroup
	)
	wg.Add(2)
	go func() { // accept
		defer wg.Done()
		for {
			c, err := ln.Accept(fctx)
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	relayErr := make(chan error, 1)
	go func() {
		defer wg.Done()
		switch mode {
		case FloorFresh:
			relayErr <- floorSendFresh(fctx, &mu, &conns, rate, max(size, 8), cfg.Node.MaxBurst, nodeAddr, relay)
		default: // connection i is due at phase i/n of each period
			floorSend(fctx, &mu, &conns, n, rate, max(size, 8))
			relayErr <- nil
		}
	}()
	sc := SubsConfig{Addr: udp.LocalAddr().String(), CA: filepath.Join(dir, devca.CAFile), Floor: true, Subs: n, Rate: rate,
		Sockets: cfg.Sockets, Warmup: cfg.Warmup, Duration: cfg.Duration}
	res, cpu, err := runPhase(ctx, cfg.Exe, cfg.ChildProcs, cfg.Pin, sc, selfCPU)
	cancel()
	wg.Wait() // the accept and send goroutines are done: conns is ours
	for _, c := range conns {
		c.CloseWithError(wire.ConnErrNone, "")
	}
	if rerr := <-relayErr; err == nil && rerr != nil {
		err = fmt.Errorf("floor relay: %w", rerr)
	}
	return res, cpu, err
}

// floorSendFresh relays the node's states with the node's send policy
// and burst cap: on each state with newer measurements than the last, the
// connections whose rate slot has begun (in the node's 16 phases, on the
// state's node time, as the node's subscribers' slots) are due; at most
// the node's burst limit of them (edge.BurstCap, with the node's
// MaxBurst), those due longest first, get one datagram, the rest wait for
// the next state. Every datagram carries the relay's receipt of the state
// (Mono), so the floor is timed from the state's handing to the fan-out,
// as the node is from its publication, and each burst's last datagram
// counts its wait behind the others.
func floorSendFresh(ctx context.Context, mu *sync.Mutex, conns *[]*quic.Conn, rate float64, size, maxBurst int, nodeAddr string, relay client.Options) error {
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := client.Dial(dctx, nodeAddr, relay)
	if err != nil {
		dcancel()
		return err
	}
	defer c.Close()
	sub, err := c.Subscribe(dctx, wire.Subscribe{Flags: wire.SubPacked})
	dcancel()
	if err != nil {
		return err
	}
	stop := sub.WaitContext(ctx)
	defer stop()
	payload := make([]byte, size)
	var (
		lastIngest int64
		fs         freshSends
	)
	fs.cap.MaxBurst = maxBurst
	for {
		u, err := sub.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		recv := Mono()
		if u.IngestNS <= lastIngest {
			continue
		}
		lastIngest = u.IngestNS
		mu.Lock()
		cs := *conns
		mu.Unlock()
		binary.BigEndian.PutUint64(payload, uint64(recv))
		for _, i := range fs.due(u.TimeNS, rate, len(cs)) {
			_ = cs[i].SendDatagram(payload) // a full queue drops it: the receiver's count shows that
		}
	}
}

// freshSends is the fresh floor's send policy, the node's (edge/hub.go
// publish and edge/subscriber.go worthSending): per connection, the node
// time its next slot begins; the node's burst cap.
type freshSends struct {
	cap  edge.BurstCap
	next []int64 // per connection: node time (ns) its next slot begins
	pend []int   // scratch
}

// due returns the connections to send to for a state with new data at
// node time t, n connections capped at rate Hz each.
func (f *freshSends) due(t int64, rate float64, n int) []int {
	f.cap.Fresh(t)
	for len(f.next) < n {
		f.next = append(f.next, 0)
	}
	f.pend = f.pend[:0]
	for i := range n {
		if t >= f.next[i] {
			f.pend = append(f.pend, i)
		}
	}
	if limit := f.cap.Limit(rate * float64(n)); len(f.pend) > limit {
		slices.SortStableFunc(f.pend, func(a, b int) int { return cmp.Compare(f.next[a], f.next[b]) })
		f.pend = f.pend[:limit]
	}
	for _, i := range f.pend {
		f.next[i] = floorSlotEnd(t, rate, i)
	}
	return f.pend
}

// floorSlotEnd is the node time at which connection i's slot holding t
// ends (the next begins).
func floorSlotEnd(t int64, rate float64, i int) int64 {
	ph := edge.SlotPhase(uint64(i))
	return int64((float64(floorSlot(t, rate, i)+1) - ph) * 1e9 / rate)
}

// floorSlot is the rate slot of time t (ns) for connection i: slots of
// 1/rate s in the node's 16 phases (edge.SlotPhase, connection index for
// stream id: both give runs of consecutive ids).
func floorSlot(t int64, rate float64, i int) int64 {
	return int64(math.Floor(float64(t)*rate/1e9 + edge.SlotPhase(uint64(i))))
}

// floorSend sends every floorTick to the connections whose turn has come.
// A datagram carries its send time (Mono, ns) in its first 8 bytes.
func floorSend(ctx context.Context, mu *sync.Mutex, conns *[]*quic.Conn, n int, rate float64, size int) {
	period := float64(time.Second) / rate
	payload := make([]byte, size)
	start := time.Now()
	sent := make([]int64, n) // periods sent per connection slot
	tick := time.NewTicker(floorTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		el := float64(time.Since(start))
		mu.Lock()
		cs := *conns
		mu.Unlock()
		for i, c := range cs {
			k := floorDue(el, period, i, n)
			if k < sent[i] {
				continue
			}
			sent[i] = k + 1
			binary.BigEndian.PutUint64(payload, uint64(Mono()))
			_ = c.SendDatagram(payload) // a full queue drops it: the receiver's count shows that
		}
	}
}

// floorDue returns the index of the last datagram due for connection slot
// i of n, el ns into the run: slot i's k-th is due at (k + i/n) periods, so
// the n slots spread evenly over each period. Before its first, it is -1.
func floorDue(el, period float64, i, n int) int64 {
	return int64(math.Floor(el/period - float64(i)/float64(n)))
}

// dialFloor connects one bare floor client and returns its receive loop.
func dialFloor(ctx context.Context, cfg SubsConfig, tr *quic.Transport, st *subStats, measuring func() bool) (next func() error, closeFn func(), err error) {
	pool, err := devca.LoadPool(cfg.CA)
	if err != nil {
		return nil, nil, err
	}
	ua, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return nil, nil, err
	}
	tlsConf := &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{floorALPN}, MinVersion: tls.VersionTLS13}
	qconf := &quic.Config{EnableDatagrams: true, MaxIdleTimeout: 30 * time.Second, KeepAlivePeriod: 10 * time.Second}
	var c *quic.Conn
	if tr != nil {
		c, err = tr.Dial(ctx, ua, tlsConf, qconf)
	} else {
		c, err = quic.DialAddr(ctx, cfg.Addr, tlsConf, qconf)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("floor dial: %w", err)
	}
	next = func() error {
		b, err := c.ReceiveDatagram(context.Background())
		now := Mono()
		if err != nil {
			return err
		}
		if len(b) < 8 {
			return errors.New("floor datagram shorter than its timestamp")
		}
		if measuring() {
			st.fanout = append(st.fanout, now-int64(binary.BigEndian.Uint64(b)))
			st.bytes += int64(len(b))
			st.raw += int64(len(b))
			st.seen++
		}
		return nil
	}
	return next, func() { c.CloseWithError(wire.ConnErrNone, "") }, nil
}

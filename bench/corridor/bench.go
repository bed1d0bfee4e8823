package corridor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/v2x-edge/v2x-edge/bench/sim"
	"github.com/v2x-edge/v2x-edge/edge"
	"github.com/v2x-edge/v2x-edge/edge/client"
	"github.com/v2x-edge/v2x-edge/edge/devca"
	"github.com/v2x-edge/v2x-edge/edge/uplink"
	"github.com/v2x-edge/v2x-edge/internal/natsproc"
)

// Config is a corridor bench run.
type Config struct {
	Sim      sim.CorridorConfig
	Duration time.Duration // how long the corridor runs
	// KillNATS kills one NATS server (SIGKILL) this long after the start;
	// 0: none.
	KillNATS time.Duration
	Servers  int    // NATS servers; default 3
	Region   string // default "corridor"
	Log      *slog.Logger
	// Progress, if set, gets a line per phase.
	Progress func(format string, args ...any)
}

// Result is the bench's JSON line.
type Result struct {
	HandoverContinuity float64 `json:"handover_continuity"`
	MinNodeMOTA        float64 `json:"min_node_mota"`
	EventsPublished    uint64  `json:"events_published"` // events the nodes' uplinks took (sequence numbers given out)
	EventsInStream     uint64  `json:"events_in_stream"` // messages in the events stream after the run
	EventsLost         int64   `json:"events_lost"`      // published but not in the stream (dropped included)
	Duplicates         int     `json:"duplicates"`       // stream messages whose message id another one has
	StateSubjectsSeen  int     `json:"state_subjects_seen"`
	// States of every node seen after the kill (0 without -kill-nats).
	StateSubjectsAfterKill int     `json:"state_subjects_after_kill"`
	HandoverLatencyMS      float64 `json:"handover_latency_ms"`
	Handovers              uint64  `json:"handovers_published"`
	HandoversDropped       uint64  `json:"handovers_dropped"`
	EventsDropped          uint64  `json:"events_dropped"`
	KilledNATS             string  `json:"killed_nats,omitempty"`
	Judged                 *Judged `json:"corridor"`
}

// Bench runs the corridor on a NATS cluster: cfg.Sim.N nodes, each with
// the NATS uplink, its neighbours and its own id namespace, fed by the
// corridor simulator and judged; one server is killed at cfg.KillNATS.
func Bench(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Servers == 0 {
		cfg.Servers = 3
	}
	if cfg.Region == "" {
		cfg.Region = "corridor"
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	progress := cfg.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	if cfg.KillNATS >= cfg.Duration {
		return nil, fmt.Errorf("corridor: kill at %v is not within the %v run", cfg.KillNATS, cfg.Duration)
	}
	dir, err := os.MkdirTemp("", "v2x-corridor-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	cl, err := natsproc.StartCluster(natsproc.Options{Servers: cfg.Servers, Dir: filepath.Join(dir, "nats")})
	if cl != nil {
		defer cl.StopAll()
	}
	if err != nil {
		return nil, err
	}
	progress("nats: %d servers with JetStream at %s", cfg.Servers, cl.URL())

	c, err := sim.NewCorridor(cfg.Sim)
	if err != nil {
		return nil, err
	}
	n := c.N()
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("n%d", i+1)
	}
	nodes := make([]*edge.Node, 0, n)
	closeNodes := func() error {
		var errs []error
		for _, nd := range nodes {
			errs = append(errs, nd.Close())
		}
		nodes = nodes[:0]
		return errors.Join(errs...)
	}
	defer closeNodes()
	var conns []*client.Conn
	defer func() {
		for _, cn := range conns {
			cn.Close()
		}
	}()
	for i := range n {
		mp := c.View(i).Sim().Map()
		nc := edge.DefaultConfig()
		nc.Listen, nc.HTTP, nc.DataDir = "127.0.0.1:0", "127.0.0.1:0", filepath.Join(dir, names[i])
		nc.RefLat, nc.RefLon = mp.RefLat, mp.RefLon
		nc.Track.IDNamespace = uint8(i + 1)
		nc.NATS.URLs = strings.Split(cl.URL(), ",")
		nc.NATS.NodeID, nc.NATS.Region = names[i], cfg.Region
		nc.NATS.Replicas = min(3, cfg.Servers)
		nc.NATS.FlushTimeout = 15 * time.Second
		for _, k := range []int{i - 1, i + 1} {
			if k < 0 || k >= n {
				continue
			}
			o := c.View(k).Sim().Map()
			appr := uint8(2) // east
			if k < i {
				appr = 4 // west
			}
			nc.NATS.Neighbours = append(nc.NATS.Neighbours, uplink.Neighbour{NodeID: names[k], Lat: o.RefLat, Lon: o.RefLon, Approach: appr})
		}
		nc.SetDefaults()
		if err := nc.Validate(); err != nil {
			return nil, fmt.Errorf("corridor: node %s: %w", names[i], err)
		}
		nd, err := edge.New(nc, log.With("node", names[i]))
		if err != nil {
			return nil, fmt.Errorf("corridor: node %s: %w", names[i], err)
		}
		if err := nd.Start(); err != nil {
			return nil, fmt.Errorf("corridor: node %s: %w", names[i], err)
		}
		nodes = append(nodes, nd)
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		cn, err := client.Dial(dctx, nd.Addr().String(), client.DevOptions(nc.DataDir, devca.SimIdentity))
		cancel()
		if err != nil {
			return nil, fmt.Errorf("corridor: dial %s: %w", names[i], err)
		}
		conns = append(conns, cn)
	}
	progress("nodes: %s, each with the NATS uplink and its neighbours", strings.Join(names, ", "))

	// A city subscriber: which nodes' states arrive, before and after the kill.
	watch, err := nats.Connect(cl.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("corridor: subscriber: %w", err)
	}
	defer watch.Close()
	var mu sync.Mutex
	seen, afterKill := map[string]bool{}, map[string]bool{}
	var killedAt time.Time
	if _, err := watch.Subscribe(uplink.Subject(cfg.Region, "*", uplink.StateSuffix), func(m *nats.Msg) {
		mu.Lock()
		seen[m.Subject] = true
		if !killedAt.IsZero() && time.Since(killedAt) > 2*time.Second {
			afterKill[m.Subject] = true
		}
		mu.Unlock()
	}); err != nil {
		return nil, fmt.Errorf("corridor: subscribe: %w", err)
	}

	rctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	res := &Result{}
	if cfg.KillNATS > 0 {
		go func() {
			if !wait(rctx, cfg.KillNATS) {
				return
			}
			victim := cl.Servers[0]
			cl.Kill(0)
			mu.Lock()
			killedAt = time.Now()
			res.KilledNATS = victim.Name
			mu.Unlock()
			progress("nats: killed server %s (SIGKILL) at %v", victim.Name, cfg.KillNATS)
		}()
	}
	progress("corridor: %d intersections %v m apart, %v", n, cfg.Sim.Spacing, cfg.Duration)
	j, err := Drive(rctx, c, conns, DriveOptions{Names: names, Log: log})
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	res.Judged = j
	res.HandoverContinuity, res.MinNodeMOTA, res.HandoverLatencyMS = j.HandoverContinuity, j.MinNodeMOTA, j.HandoverLatencyMS

	// Close the nodes (each publishes what it buffered), then audit.
	for _, cn := range conns {
		cn.Close()
	}
	conns = nil
	stats := make([]uplink.Stats, 0, n)
	for _, nd := range nodes {
		if err := nd.Close(); err != nil {
			log.Warn("node closed with an error", "err", err)
		}
		s, _ := nd.UplinkStats()
		stats = append(stats, s)
	}
	nodes = nodes[:0]
	for _, s := range stats {
		res.EventsPublished += s.Events + s.EventsDropped
		res.EventsDropped += s.EventsDropped
		res.Handovers += s.HandoversOut
		res.HandoversDropped += s.HandoversDropped
	}
	mu.Lock()
	res.StateSubjectsSeen, res.StateSubjectsAfterKill = len(seen), len(afterKill)
	mu.Unlock()
	inStream, distinct, err := audit(ctx, watch)
	if err != nil {
		return nil, err
	}
	res.EventsInStream = inStream
	res.Duplicates = int(inStream) - distinct
	res.EventsLost = int64(res.EventsPublished) - int64(distinct)
	return res, nil
}

// audit reads the whole events stream and returns its message count and
// the number of distinct message ids.
func audit(ctx context.Context, nc *nats.Conn) (total uint64, distinct int, err error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, 0, err
	}
	actx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	st, err := js.Stream(actx, "V2X_EVENTS")
	if err != nil {
		return 0, 0, fmt.Errorf("corridor: events stream: %w", err)
	}
	info, err := st.Info(actx)
	if err != nil {
		return 0, 0, fmt.Errorf("corridor: events stream: %w", err)
	}
	// Every message by sequence number (no consumer to create, which a
	// cluster that just lost a server may be slow to do).
	ids := map[string]bool{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		var m *jetstream.RawStreamMsg
		for try := 0; ; try++ {
			gctx, cancel := context.WithTimeout(actx, 2*time.Second)
			m, err = st.GetMsg(gctx, seq)
			cancel()
			if err == nil || errors.Is(err, jetstream.ErrMsgNotFound) || try == 5 || actx.Err() != nil {
				break
			}
		}
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // deleted (limits); not counted
		}
		if err != nil {
			return total, len(ids), fmt.Errorf("corridor: read event %d: %w", seq, err)
		}
		total++
		ids[m.Header.Get(nats.MsgIdHdr)] = true
	}
	return total, len(ids), nil
}
